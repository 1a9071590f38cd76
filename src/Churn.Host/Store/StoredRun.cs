using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Churn.Actors.Messages;
using Churn.Host.Logging;
using Churn.Numerics;

namespace Churn.Host.Store;

/// <summary>The statuses a run goes through; <c>interrupted</c> marks runs the host was killed under.</summary>
public static class RunStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public const string Interrupted = "interrupted";

    public static readonly System.Collections.Immutable.ImmutableArray<string> All = [Queued, Running, Succeeded, Failed, Cancelled, Interrupted];

    public static bool IsFinished(string status) => status is Succeeded or Failed or Cancelled or Interrupted;
}

/// <summary>
/// One run as the store holds it. <see cref="Position"/> is its place in the queue (1 = next) while it waits;
/// <see cref="Config"/>, <see cref="Metrics"/> and <see cref="Manifest"/> are the JSON documents as stored.
/// </summary>
public sealed record StoredRun(
    string Id,
    string Mode,
    string Status,
    int? Position,
    string? Stage,
    int? Epoch,
    DateTimeOffset QueuedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    JsonNode? Config,
    JsonNode? Metrics,
    JsonNode? Manifest,
    ImmutableArray<string> Artifacts,
    string? Error,
    RunLabels? Labels = null);

/// <summary>What people say of a run: a name, tags, notes, and whether it is archived (kept, but out of the way).</summary>
public sealed record RunLabels(string? Name, ImmutableArray<string> Tags, string? Notes, bool Archived)
{
    public static readonly RunLabels None = new(null, [], null, false);

    /// <summary>Nothing said of the run.</summary>
    public bool IsEmpty => Name is null && Tags.IsDefaultOrEmpty && Notes is null && !Archived;

    public const int MaxName = 100;
    public const int MaxTags = 20;
    public const int MaxTag = 40;
    public const int MaxNotes = 4000;

    /// <summary>These labels tidied (trimmed, tags once each), or the first field out of bounds and why.</summary>
    public Result<RunLabels> Check()
    {
        var tags = Tags.IsDefault ? [] : Tags;
        static bool Printable(string text) => !text.Any(char.IsControl);
        Problem? problem =
            Name is { } name && (name.Length > MaxName || !Printable(name)) ? new($"at most {MaxName} printable characters", Column: "name")
            : tags.Length > MaxTags ? new($"at most {MaxTags} tags", Column: "tags")
            : tags.FirstOrDefault(t => string.IsNullOrWhiteSpace(t) || t.Length > MaxTag || !Printable(t)) is { } tag
                ? new($"'{ConsoleText.Printable(tag)}' is not a tag of 1 to {MaxTag} printable characters", Column: "tags")
            : Notes is { Length: > MaxNotes } ? new($"at most {MaxNotes} characters", Column: "notes")
            : null;
        return problem is null
            ? Result.Ok(this with { Name = string.IsNullOrWhiteSpace(Name) ? null : Name.Trim(), Tags = [.. tags.Select(t => t.Trim()).Distinct(StringComparer.Ordinal)] })
            : Result.Fail<RunLabels>(problem);
    }
}

/// <summary>A stage of a run: when it started, and when and how it completed if it did.</summary>
public sealed record StoredStage(string Stage, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt, string? Detail, double? ElapsedMs);

/// <summary>The losses and accuracies of one epoch, and how long training had taken by then.</summary>
public sealed record StoredEpoch(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy, double ElapsedMs);

/// <summary>Where a run is: what the table of runs shows moving, and what a runs-wide event stream tells when it changes.</summary>
public sealed record RunStep(string Status, string? Stage, int? Epoch)
{
    public static RunStep Of(StoredRun run) => new(run.Status, run.Stage, run.Epoch);

    /// <summary>
    /// Where a run event leaves the run (<paramref name="progress"/> null: a run not seen before); the same progress
    /// for events that do not move it, and null for its outcome, which only the store tells in full.
    /// </summary>
    public static RunStep? After(RunStep? progress, IRunEvent e) => (progress, e) switch
    {
        (_, RunQueued) => new RunStep(RunStatus.Queued, null, null),
        (_, RunSucceeded or RunFailed or RunCancelled) => null,
        ({ } p, RunStarted) => p with { Status = RunStatus.Running },
        ({ } p, StageStarted s) => p with { Stage = s.Stage },
        ({ } p, EpochCompleted m) => p with { Epoch = m.Metrics.Epoch },
        _ => progress,
    };
}

/// <summary>What <see cref="SqliteRunStore.Elsewhere"/> found: the newest run's number, and the runs it lists by id.</summary>
public sealed record RunsElsewhere(long Newest, ImmutableDictionary<string, RunStep> Runs);
