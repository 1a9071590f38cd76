using System.Collections.Immutable;
using System.Text.Json.Nodes;

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
    string? Error);

/// <summary>A stage of a run: when it started, and when and how it completed if it did.</summary>
public sealed record StoredStage(string Stage, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt, string? Detail, double? ElapsedMs);

/// <summary>The losses and accuracies of one epoch, and how long training had taken by then.</summary>
public sealed record StoredEpoch(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy, double ElapsedMs);
