using System.Collections.Immutable;
using Churn.Actors.Messages;
using Churn.Host.Store;

namespace Churn.Host.Api;

/// <summary>
/// What the runs-wide event stream knows, as a value: where the events of the runs this host runs have brought each
/// (<see cref="Here"/>), the stored summary of each as last read (<see cref="Stored"/>), and what the client was last
/// told of each run not yet ended (<see cref="Told"/>). The store is read only when a run's status changes (it holds
/// what events do not carry: labels, start time, outcome); stage and epoch events are told from the events alone.
/// </summary>
public sealed record AllRunsState(
    ImmutableDictionary<string, RunStep> Here,
    ImmutableDictionary<string, RunSummary> Stored,
    ImmutableDictionary<string, RunStep> Told)
{
    /// <summary>Nothing followed, nothing told.</summary>
    public static readonly AllRunsState Empty = new(
        ImmutableDictionary<string, RunStep>.Empty, ImmutableDictionary<string, RunSummary>.Empty, ImmutableDictionary<string, RunStep>.Empty);

    /// <summary>Whether following <paramref name="e"/> needs the run's summary from the store: a run not seen before, or a change of status.</summary>
    public bool NeedsStored(IRunEvent e) =>
        !Stored.ContainsKey(e.RunId) || e is RunQueued or RunStarted or RunSucceeded or RunFailed or RunCancelled;

    /// <summary>
    /// Follows one event of a run this host runs, with the run's <paramref name="stored"/> summary when
    /// <see cref="NeedsStored"/> asked for it; <c>Moved</c> says whether the client should be told.
    /// </summary>
    public (AllRunsState State, bool Moved) Follow(IRunEvent e, RunSummary? stored)
    {
        var known = stored ?? Stored.GetValueOrDefault(e.RunId);
        var remembered = known is null ? Stored : Stored.SetItem(e.RunId, known);
        var before = Here.GetValueOrDefault(e.RunId) ?? (e is RunQueued || known is null ? null : new RunStep(known.Status, known.Stage, known.Epoch));
        var after = RunStep.After(before, e);
        return after is null
            ? (this with { Here = Here.Remove(e.RunId), Stored = remembered }, e is RunSucceeded or RunFailed or RunCancelled)
            : (this with { Here = Here.SetItem(e.RunId, after), Stored = remembered }, after != before);
    }

    /// <summary>The runs of the first page were told as listed: those not ended may change again.</summary>
    public AllRunsState Listed(IEnumerable<RunSummary> runs) => this with
    {
        Told = Told.SetItems(runs.Where(r => !RunStatus.IsFinished(r.Status)).Select(r => KeyValuePair.Create(r.Id, new RunStep(r.Status, r.Stage, r.Epoch)))),
    };

    /// <summary>
    /// The summary to tell of run <paramref name="id"/>, or null when the client already has it (or the run is not
    /// known): where its events say it is while this host runs it, else as <paramref name="fresh"/> (a new read of the
    /// store) or the last read has it. A run told as ended is forgotten: it does not change again.
    /// </summary>
    public (AllRunsState State, RunSummary? Tell) Tell(string id, RunSummary? fresh, DateTimeOffset now)
    {
        if ((fresh ?? Stored.GetValueOrDefault(id)) is not { } stored)
        {
            return (this, null);
        }

        var summary = Overlay(stored, now);
        var progress = new RunStep(summary.Status, summary.Stage, summary.Epoch);
        if (Told.TryGetValue(id, out var last) && last == progress)
        {
            return (this, null);
        }

        var next = RunStatus.IsFinished(summary.Status)
            ? this with { Told = Told.Remove(id), Stored = Stored.Remove(id) }
            : this with { Told = Told.SetItem(id, progress) };
        return (next, summary);
    }

    /// <summary>A stored run's summary as far as its events have brought it (the store may be a step ahead of them).</summary>
    public RunSummary Overlay(RunSummary summary, DateTimeOffset now) =>
        Here.TryGetValue(summary.Id, out var p)
            ? summary with
            {
                Status = p.Status,
                Stage = p.Stage,
                Epoch = p.Epoch,
                StartedAt = p.Status == RunStatus.Queued ? null : summary.StartedAt,
                FinishedAt = null,
                DurationSeconds = p.Status == RunStatus.Queued ? null : summary.StartedAt is { } at ? Math.Round((now - at).TotalSeconds, 3) : null,
                Error = null,
                Headline = null,
            }
            : summary;
}
