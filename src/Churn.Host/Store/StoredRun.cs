using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Churn.Actors;
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

/// <summary>The rules a run's labels keep, checked where they come in (the command line, <c>POST</c> and <c>PATCH /runs</c>).</summary>
public static class RunLabelRules
{
    /// <summary>These labels tidied (trimmed, tags once each), or the first field out of bounds and why.</summary>
    public static Result<RunLabels> Check(this RunLabels labels)
    {
        var tags = labels.Tags.IsDefault ? [] : labels.Tags;
        static bool Printable(string text) => !text.Any(char.IsControl);
        Problem? problem =
            labels.Name is { } name && (name.Length > RunLabels.MaxName || !Printable(name)) ? new($"at most {RunLabels.MaxName} printable characters", Column: "name")
            : tags.Length > RunLabels.MaxTags ? new($"at most {RunLabels.MaxTags} tags", Column: "tags")
            : tags.FirstOrDefault(t => string.IsNullOrWhiteSpace(t) || t.Length > RunLabels.MaxTag || !Printable(t)) is { } tag
                ? new($"'{ConsoleText.Printable(tag)}' is not a tag of 1 to {RunLabels.MaxTag} printable characters", Column: "tags")
            : labels.Notes is { Length: > RunLabels.MaxNotes } ? new($"at most {RunLabels.MaxNotes} characters", Column: "notes")
            : null;
        return problem is null
            ? Result.Ok(labels with { Name = string.IsNullOrWhiteSpace(labels.Name) ? null : labels.Name.Trim(), Tags = [.. tags.Select(t => t.Trim()).Distinct(StringComparer.Ordinal)] })
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
}

/// <summary>What <see cref="SqliteRunStore.Elsewhere"/> found: the newest run's number, and the runs it lists by id.</summary>
public sealed record RunsElsewhere(long Newest, ImmutableDictionary<string, RunStep> Runs);
