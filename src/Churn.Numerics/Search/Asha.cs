using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Churn.Numerics.Search;

/// <summary>What happened to a configuration at a rung.</summary>
public enum RungOutcome
{
    /// <summary>Among the best 1/η so far at this rung: it trains on.</summary>
    Promoted,

    /// <summary>In the bottom part at this rung: its trials stop here.</summary>
    Stopped,

    /// <summary>Its trials had all ended (early stopping) before this rung; its final value still counts for the others.</summary>
    Finished,
}

/// <summary>
/// One scheduler decision, as recorded: at rung <paramref name="Rung"/> (epoch <paramref name="Epoch"/>) configuration
/// <paramref name="Configuration"/> had mean validation loss <paramref name="Value"/>, ranked <paramref name="Rank"/>
/// (0 = best) among <paramref name="Compared"/> configurations, of which the best <paramref name="Kept"/> go on. Rung,
/// configuration and rank are positions from 0 here and numbers from 1 in JSON (<see cref="Numbering"/>).
/// </summary>
public sealed record RungDecision(
    [property: JsonConverter(typeof(Numbering.FromOne))] int Rung,
    int Epoch,
    [property: JsonConverter(typeof(Numbering.FromOne))] int Configuration,
    double Value,
    RungOutcome Outcome,
    [property: JsonConverter(typeof(Numbering.FromOne))] int Rank,
    int Compared,
    int Kept);

/// <summary>
/// Asynchronous successive halving as a pure state machine. Configurations report their mean validation loss at
/// each rung (an epoch count); a configuration goes on if it is among the best ⌈n/η⌉ of the n configurations that
/// have reached that rung so far, otherwise it stops there.
/// </summary>
/// <remarks>
/// "So far" is taken in configuration order, not in time: configuration c is decided at a rung only once every
/// configuration before it has been decided there (or has dropped out earlier), and it is compared with exactly those.
/// A configuration never waits for a later one, so the search never deadlocks, and the decisions (hence the whole
/// search) are the same however many trials run at once and whichever finishes first.
/// </remarks>
public sealed record AshaState
{
    private abstract record Entry;

    private sealed record Reported(double Value, bool Finished) : Entry;

    private sealed record Decided(RungDecision Decision) : Entry;

    private sealed record Excluded : Entry
    {
        public static readonly Excluded Instance = new();
    }

    private AshaState(ImmutableArray<int> rungs, int reductionFactor, int configurations, ImmutableDictionary<(int Rung, int Configuration), Entry> entries)
    {
        Rungs = rungs;
        ReductionFactor = reductionFactor;
        Configurations = configurations;
        _entries = entries;
    }

    private readonly ImmutableDictionary<(int Rung, int Configuration), Entry> _entries;

    /// <summary>The rung epochs, increasing.</summary>
    public ImmutableArray<int> Rungs { get; }

    public int ReductionFactor { get; }

    public int Configurations { get; }

    public static AshaState Start(ImmutableArray<int> rungs, int reductionFactor, int configurations) =>
        new(rungs, reductionFactor, configurations, ImmutableDictionary<(int, int), Entry>.Empty);

    /// <summary>Every decision made so far, rung by rung, in configuration order.</summary>
    public ImmutableArray<RungDecision> Decisions =>
        [.. _entries.Values.OfType<Decided>().Select(d => d.Decision).OrderBy(d => d.Rung).ThenBy(d => d.Configuration)];

    /// <summary>The decision for <paramref name="configuration"/> at rung <paramref name="rung"/>, if made.</summary>
    public RungDecision? DecisionFor(int configuration, int rung) =>
        _entries.TryGetValue((rung, configuration), out var e) && e is Decided d ? d.Decision : null;

    /// <summary>The rung index of <paramref name="epoch"/>, or -1 when it is not a rung.</summary>
    public int RungOf(int epoch) => Rungs.IndexOf(epoch);

    /// <summary><paramref name="configuration"/> reached rung <paramref name="rung"/> with mean validation loss <paramref name="value"/>.</summary>
    public (AshaState State, ImmutableArray<RungDecision> Decided) Report(int configuration, int rung, double value) =>
        Pending(rung, configuration) ? With(rung, configuration, new Reported(value, false)).Settle() : (this, []);

    /// <summary>
    /// Every trial of <paramref name="configuration"/> ended with mean best validation loss <paramref name="value"/>: that
    /// value stands for it at every rung it has not been decided at yet.
    /// </summary>
    public (AshaState State, ImmutableArray<RungDecision> Decided) Finish(int configuration, double value)
    {
        var next = this;
        for (var r = 0; r < Rungs.Length; r++)
        {
            if (next.Pending(r, configuration))
            {
                next = next.With(r, configuration, new Reported(value, true));
            }
        }
        return next.Settle();
    }

    /// <summary><paramref name="configuration"/> failed: it takes no part in any rung not decided yet.</summary>
    public (AshaState State, ImmutableArray<RungDecision> Decided) Exclude(int configuration)
    {
        var next = this;
        for (var r = 0; r < Rungs.Length; r++)
        {
            if (next._entries.GetValueOrDefault((r, configuration)) is null or Reported)
            {
                next = next.With(r, configuration, Excluded.Instance);
            }
        }
        return next.Settle();
    }

    /// <summary>Puts back decisions recorded before a restart, so a resumed search decides nothing twice.</summary>
    public AshaState Restore(IEnumerable<RungDecision> decisions)
    {
        var next = this;
        foreach (var d in decisions.OrderBy(d => d.Rung).ThenBy(d => d.Configuration))
        {
            next = next.With(d.Rung, d.Configuration, new Decided(d));
            if (d.Outcome == RungOutcome.Stopped)
            {
                for (var r = d.Rung + 1; r < Rungs.Length; r++)
                {
                    next = next.With(r, d.Configuration, Excluded.Instance);
                }
            }
        }
        return next;
    }

    private bool Pending(int rung, int configuration) =>
        rung >= 0 && rung < Rungs.Length && !_entries.ContainsKey((rung, configuration));

    private AshaState With(int rung, int configuration, Entry entry) =>
        new(Rungs, ReductionFactor, Configurations, _entries.SetItem((rung, configuration), entry));

    /// <summary>Decides every reported configuration whose predecessors at its rung are all settled, rung by rung.</summary>
    private (AshaState State, ImmutableArray<RungDecision> Decided) Settle()
    {
        var state = this;
        var made = ImmutableArray.CreateBuilder<RungDecision>();
        for (var r = 0; r < Rungs.Length; r++)
        {
            var counted = new List<(int Configuration, double Value)>();
            for (var c = 0; c < Configurations; c++)
            {
                var entry = state._entries.GetValueOrDefault((r, c));
                if (entry is null)
                {
                    break;
                }
                if (entry is Decided d)
                {
                    counted.Add((c, d.Decision.Value));
                }
                else if (entry is Reported reported)
                {
                    var rank = counted.Count(o => o.Value < reported.Value || (o.Value == reported.Value && o.Configuration < c));
                    var compared = counted.Count + 1;
                    var kept = (compared + ReductionFactor - 1) / ReductionFactor;
                    var outcome = reported.Finished ? RungOutcome.Finished : rank < kept ? RungOutcome.Promoted : RungOutcome.Stopped;
                    var decision = new RungDecision(r, Rungs[r], c, reported.Value, outcome, rank, compared, kept);
                    made.Add(decision);
                    counted.Add((c, reported.Value));
                    state = state.With(r, c, new Decided(decision));
                    if (outcome == RungOutcome.Stopped)
                    {
                        for (var later = r + 1; later < Rungs.Length; later++)
                        {
                            state = state.With(later, c, Excluded.Instance);
                        }
                    }
                }
            }
        }
        return (state, made.ToImmutable());
    }
}
