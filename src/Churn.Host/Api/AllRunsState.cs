using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Host.Configuration;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Files;

namespace Churn.Host.Api;

/// <summary>
/// What the runs-wide event stream knows, as a value: each run this host runs as its events have built it
/// (<see cref="Here"/>: the runs actor's events carry the settings, labels, times and outcome a list shows), and what
/// the client was last told of each run not yet ended (<see cref="Told"/>). Following an event reads nothing: the
/// store is read only when the stream opens and for runs other processes record.
/// </summary>
public sealed record AllRunsState(
    ImmutableDictionary<string, RunSummary> Here,
    ImmutableDictionary<string, RunStep> Told)
{
    /// <summary>Nothing followed, nothing told.</summary>
    public static readonly AllRunsState Empty = new(ImmutableDictionary<string, RunSummary>.Empty, ImmutableDictionary<string, RunStep>.Empty);

    /// <summary>
    /// Follows one event of a run this host runs; <c>Moved</c> says whether the client should be told. A run's first
    /// event is its <see cref="RunQueued"/> (the runs actor replays every run from there): events of a run not seen
    /// queued are ignored. New labels are told even though the run did not move.
    /// </summary>
    public (AllRunsState State, bool Moved) Follow(IRunEvent e)
    {
        var before = Here.GetValueOrDefault(e.RunId);
        if (After(before, e) is not { } after)
        {
            return (this, false);
        }

        var next = this with { Here = Here.SetItem(e.RunId, after) };
        return e is RunLabelled
            ? (next with { Told = Told.Remove(e.RunId) }, true)
            : (next, before is null || Step(before) != Step(after));
    }

    /// <summary>The runs of the first page were told as listed: those not ended may change again.</summary>
    public AllRunsState Listed(IEnumerable<RunSummary> runs) => this with
    {
        Told = Told.SetItems(runs.Where(r => !RunStatus.IsFinished(r.Status)).Select(r => KeyValuePair.Create(r.Id, Step(r)))),
    };

    /// <summary>
    /// The summary to tell of run <paramref name="id"/>, or null when the client already has it (or the run is not
    /// known): as its events have it while this host runs it, else as <paramref name="fresh"/> (a read of the store,
    /// for a run another process records). A run told as ended is forgotten: it does not change again.
    /// </summary>
    public (AllRunsState State, RunSummary? Tell) Tell(string id, RunSummary? fresh, DateTimeOffset now)
    {
        if ((Here.TryGetValue(id, out var here) ? Current(here, now) : fresh) is not { } summary)
        {
            return (this, null);
        }

        var progress = Step(summary);
        if (Told.TryGetValue(id, out var last) && last == progress)
        {
            return (this, null);
        }

        var next = RunStatus.IsFinished(summary.Status)
            ? this with { Told = Told.Remove(id), Here = Here.Remove(id) }
            : this with { Told = Told.SetItem(id, progress) };
        return (next, summary);
    }

    /// <summary>A listed run's summary as its events have it when this host runs it (they are never behind the page), else as listed.</summary>
    public RunSummary Overlay(RunSummary listed, DateTimeOffset now) =>
        Here.TryGetValue(listed.Id, out var here) ? Current(here, now) : listed;

    /// <summary>A run as its events have built it, with how long it has run by <paramref name="now"/> while it runs.</summary>
    private static RunSummary Current(RunSummary run, DateTimeOffset now) =>
        run is { Status: RunStatus.Running, StartedAt: { } started } ? run with { DurationSeconds = Seconds(started, now) } : run;

    private static RunStep Step(RunSummary run) => new(run.Status, run.Stage, run.Epoch);

    /// <summary>
    /// Where <paramref name="e"/> leaves a run, in the words the store would use for it: a run is queued with its
    /// settings and labels, starts, moves stage and epoch, and ends with its outcome; null for a run not seen queued.
    /// </summary>
    public static RunSummary? After(RunSummary? run, IRunEvent e) => (run, e) switch
    {
        (_, RunQueued q) => Queued(q),
        (null, _) => null,
        ({ } r, RunStarted s) => r with { Status = RunStatus.Running, Position = null, StartedAt = s.At },
        ({ } r, StageStarted s) => r with { Stage = s.Stage },
        ({ } r, EpochCompleted m) => r with { Epoch = m.Metrics.Epoch },
        ({ } r, RunLabelled l) => Labelled(r, l.Labels),
        ({ } r, RunSucceeded s) => Ended(r, RunStatus.Succeeded, null, null, s.At) with { Headline = Headline(s.Outputs.Metrics) },
        ({ } r, RunFailed f) => Ended(r, RunStatus.Failed, f.Stage, f.Reason, f.At),
        ({ } r, RunCancelled c) => Ended(r, RunStatus.Cancelled, c.Stage, c.Reason, c.At),
        _ => run,
    };

    private static RunSummary Queued(RunQueued q) => Labelled(
        new RunSummary(
            q.RunId,
            RunStatus.Queued,
            q.Settings is { } mode ? RunRequest.ModeName(mode.Mode) : "",
            // The store counts a run among the queued ones until it starts: a run that starts now is the next one.
            Math.Max(1, q.Position),
            null,
            null,
            q.At ?? default,
            null,
            null,
            null,
            null,
            null,
            RunLinks.For(q.RunId),
            Parameters: q.Settings is { } settings ? RunSummary.ParametersOf(RunRequest.ToNode(settings)) : ImmutableSortedDictionary<string, JsonNode?>.Empty),
        q.Labels ?? RunLabels.None);

    private static RunSummary Labelled(RunSummary run, RunLabels labels) =>
        run with { Name = labels.Name, Tags = labels.Tags.IsDefault ? [] : labels.Tags, Archived = labels.Archived };

    /// <summary>An outcome as the store records it: the stage it names replaces the last one, and the run's time is fixed.</summary>
    private static RunSummary Ended(RunSummary run, string status, string? stage, string? error, DateTimeOffset? at) => run with
    {
        Status = status,
        Position = null,
        Stage = stage ?? run.Stage,
        FinishedAt = at,
        DurationSeconds = run.StartedAt is { } started && at is { } finished ? Seconds(started, finished) : null,
        Error = error,
    };

    /// <summary>The headline figures of a run's metrics, read as they are from the stored metrics document.</summary>
    private static RunHeadline? Headline(RunMetrics? metrics) =>
        metrics is null ? null : RunHeadline.From(JsonSerializer.SerializeToNode(metrics, JsonFormat.Options));

    private static double Seconds(DateTimeOffset from, DateTimeOffset to) => Math.Round((to - from).TotalSeconds, 3);
}
