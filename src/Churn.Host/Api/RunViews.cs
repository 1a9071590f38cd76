using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Churn.Host.Logging;
using Churn.Host.Store;

namespace Churn.Host.Api;

/// <summary>Where a run's resources are.</summary>
public sealed record RunLinks(string Self, string Events, string Logs)
{
    public static RunLinks For(string runId) => new($"/runs/{runId}", $"/runs/{runId}/events", $"/runs/{runId}/logs");
}

/// <summary>The reply to <c>POST /runs</c>: the run's id and its place in the queue (0 when it starts at once).</summary>
public sealed record RunSubmitted(string Id, string Status, int Position, RunLinks Links);

/// <summary>
/// A run as <c>GET /runs/{id}</c> shows it. <see cref="Stages"/> and <see cref="Epochs"/> are filled for a single run and
/// left out of lists.
/// </summary>
public sealed record RunView(
    string Id,
    string Status,
    string Mode,
    int? Position,
    string? Stage,
    int? Epoch,
    DateTimeOffset QueuedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error,
    JsonNode? Config,
    JsonNode? Metrics,
    JsonNode? Manifest,
    ImmutableArray<string> Artifacts,
    ImmutableArray<StoredStage>? Stages,
    ImmutableArray<StoredEpoch>? Epochs,
    RunLinks Links)
{
    public static RunView From(StoredRun run, ImmutableArray<StoredStage>? stages = null, ImmutableArray<StoredEpoch>? epochs = null) =>
        new(run.Id, run.Status, run.Mode, run.Position, run.Stage, run.Epoch, run.QueuedAt, run.StartedAt, run.FinishedAt, run.Error,
            run.Config, run.Metrics, run.Manifest, run.Artifacts.IsDefault ? [] : run.Artifacts, stages, epochs, RunLinks.For(run.Id));
}

public sealed record RunList(ImmutableArray<RunView> Runs);

public sealed record RunLogs(string RunId, ImmutableArray<LogEntry> Lines);

/// <summary>The reply to <c>DELETE /runs/{id}</c>: <c>cancelled</c> for a run that was waiting, <c>cancelling</c> for one that runs.</summary>
public sealed record RunCancelRequested(string Id, string Status, RunLinks Links);

public sealed record Health(string Status);
