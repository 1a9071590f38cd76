using System.Collections.Immutable;
using Churn.Numerics.Data;

namespace Churn.Actors.Cluster;

/// <summary>One trial a node trains: its search, its position, who coordinates it, and whether it has reported its end.</summary>
public sealed record NodeTrial<TRef>(string SearchId, int Index, TRef Coordinator, bool Ended);

/// <summary>
/// A trial node's bookkeeping as a value: the splits it holds (by SHA-256, the newest <c>kept</c>), and the trials
/// it trains by their actor (<typeparamref name="TRef"/>: an actor reference, or plain values in tests).
/// </summary>
public sealed record TrialNodeState<TRef>(ImmutableList<(string Digest, Splits Splits)> Held, ImmutableDictionary<TRef, NodeTrial<TRef>> Trials)
    where TRef : notnull
{
    /// <summary>A node holding no splits and training nothing.</summary>
    public static readonly TrialNodeState<TRef> Empty = new([], ImmutableDictionary<TRef, NodeTrial<TRef>>.Empty);

    /// <summary>Splits that passed their SHA-256 check arrived: kept (dropping the oldest beyond <paramref name="kept"/>) unless already held.</summary>
    public (TrialNodeState<TRef> State, bool Added) SplitsArrived(string digest, Splits splits, int kept)
    {
        if (Held.Any(s => s.Digest == digest))
        {
            return (this, false);
        }
        var held = Held.Add((digest, splits));
        return (this with { Held = held.Count > kept ? held.RemoveRange(0, held.Count - kept) : held }, true);
    }

    /// <summary>The splits held under <paramref name="digest"/>, or null.</summary>
    public Splits? SplitsOf(string digest) => Held.FirstOrDefault(s => s.Digest == digest).Splits;

    /// <summary>A trial started here as <paramref name="actor"/>.</summary>
    public TrialNodeState<TRef> Started(TRef actor, string searchId, int index, TRef coordinator) =>
        this with { Trials = Trials.SetItem(actor, new NodeTrial<TRef>(searchId, index, coordinator, false)) };

    /// <summary>The actor training trial <paramref name="index"/> of <paramref name="searchId"/> here, if any.</summary>
    public (bool Found, TRef Actor) ActorOf(string searchId, int index)
    {
        foreach (var (actor, trial) in Trials)
        {
            if (trial.SearchId == searchId && trial.Index == index)
            {
                return (true, actor);
            }
        }
        return (false, default!);
    }

    /// <summary>The coordinator killed the trial: it is forgotten without a report.</summary>
    public TrialNodeState<TRef> Killed(TRef actor) => this with { Trials = Trials.Remove(actor) };

    /// <summary>A trial reported: to whom the report goes (none for an actor not known here); a final report ends the trial.</summary>
    public (TrialNodeState<TRef> State, NodeTrial<TRef>? To) Reported(TRef actor, bool final)
    {
        if (!Trials.TryGetValue(actor, out var trial))
        {
            return (this, null);
        }
        return (final ? this with { Trials = Trials.SetItem(actor, trial with { Ended = true }) } : this, trial);
    }

    /// <summary>A trial's actor stopped: the trial, when it stopped without its report (its coordinator must hear it failed).</summary>
    public (TrialNodeState<TRef> State, NodeTrial<TRef>? Unreported) Stopped(TRef actor)
    {
        if (!Trials.TryGetValue(actor, out var trial))
        {
            return (this, null);
        }
        return (this with { Trials = Trials.Remove(actor) }, trial.Ended ? null : trial);
    }
}
