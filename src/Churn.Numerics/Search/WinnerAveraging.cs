using System.Collections.Immutable;

namespace Churn.Numerics.Search;

/// <summary>
/// The bookkeeping of training the winner's seeds again for the averaged model, as a value: the winner, the members
/// (each trains one seed, known by <typeparamref name="TMember"/>, e.g. its actor) and the models kept so far, by
/// trial. Complete when every member has kept its model; the models come in trial order, so the average does not
/// depend on which member finished first.
/// </summary>
public sealed record WinnerAveraging<TMember, TModel>(
    LeaderboardRow? Winner,
    ImmutableDictionary<TMember, int> Members,
    ImmutableSortedDictionary<int, TModel> Kept)
    where TMember : notnull
{
    /// <summary>No averaging under way.</summary>
    public static readonly WinnerAveraging<TMember, TModel> None = new(null, ImmutableDictionary<TMember, int>.Empty, ImmutableSortedDictionary<int, TModel>.Empty);

    /// <summary>The averaging of <paramref name="winner"/>'s seeds begins, with no members yet.</summary>
    public static WinnerAveraging<TMember, TModel> Of(LeaderboardRow winner) => None with { Winner = winner };

    /// <summary>The preparation the winner trained on (the empty key: the search's own).</summary>
    public string DataKey => Winner?.Data?.Key ?? "";

    /// <summary>Whether <paramref name="member"/> trains one of the winner's seeds.</summary>
    public bool IsMember(TMember member) => Members.ContainsKey(member);

    /// <summary><paramref name="member"/> trains trial <paramref name="trial"/> again.</summary>
    public WinnerAveraging<TMember, TModel> Joined(TMember member, int trial) => this with { Members = Members.SetItem(member, trial) };

    /// <summary><paramref name="from"/> kept its model of <paramref name="trial"/>; anything from a non-member is ignored.</summary>
    public WinnerAveraging<TMember, TModel> ModelKept(TMember from, int trial, TModel model) =>
        IsMember(from) ? this with { Kept = Kept.SetItem(trial, model) } : this;

    /// <summary>Every member has kept its model.</summary>
    public bool Complete => Members.Count > 0 && Kept.Count >= Members.Count;

    /// <summary>The kept models in trial order.</summary>
    public ImmutableArray<TModel> Models => [.. Kept.Values];
}
