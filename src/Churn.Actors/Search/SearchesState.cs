using System.Collections.Immutable;

namespace Churn.Actors.Search;

/// <summary>A search running in this process: its coordinator, who hears its outcome, and whether it has one yet.</summary>
public sealed record ActiveSearch<TRef>(TRef Coordinator, TRef Listener, bool Ended = false);

/// <summary>
/// The searches actor's bookkeeping as a value: the searches running here by id. A coordinator that stops before its
/// search has an outcome leaves its listener to be told the search failed.
/// </summary>
public sealed record SearchesState<TRef>(ImmutableDictionary<string, ActiveSearch<TRef>> Active)
    where TRef : notnull
{
    /// <summary>No search running.</summary>
    public static readonly SearchesState<TRef> Empty = new(ImmutableDictionary<string, ActiveSearch<TRef>>.Empty);

    /// <summary>Whether search <paramref name="id"/> runs here (a second one with its id is refused).</summary>
    public bool Runs(string id) => Active.ContainsKey(id);

    /// <summary>The coordinator of search <paramref name="id"/>, when it runs here.</summary>
    public (bool Found, TRef Coordinator) CoordinatorOf(string id) =>
        Active.TryGetValue(id, out var search) ? (true, search.Coordinator) : (false, default!);

    /// <summary>Search <paramref name="id"/> started with its coordinator and listener.</summary>
    public SearchesState<TRef> Started(string id, TRef coordinator, TRef listener) =>
        this with { Active = Active.SetItem(id, new ActiveSearch<TRef>(coordinator, listener)) };

    /// <summary>Search <paramref name="id"/> told its outcome.</summary>
    public SearchesState<TRef> Ended(string id) =>
        Active.TryGetValue(id, out var search) ? this with { Active = Active.SetItem(id, search with { Ended = true }) } : this;

    /// <summary>A coordinator stopped: its search is forgotten, and returned when it ended without an outcome.</summary>
    public (SearchesState<TRef> State, string? Id, ActiveSearch<TRef>? Unended) Stopped(TRef coordinator)
    {
        var (id, search) = Active.FirstOrDefault(a => EqualityComparer<TRef>.Default.Equals(a.Value.Coordinator, coordinator));
        if (id is null)
        {
            return (this, null, null);
        }
        return (this with { Active = Active.Remove(id) }, id, search.Ended ? null : search);
    }
}
