using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Churn.Actors;
using Churn.Host.Logging;
using Churn.Host.Store;

namespace Churn.Host.Api;

/// <summary>Where a run's resources are.</summary>
public sealed record RunLinks(string Self, string Events, string Logs, string Artifacts)
{
    public static RunLinks For(string runId) => new($"/runs/{runId}", $"/runs/{runId}/events", $"/runs/{runId}/logs", $"/runs/{runId}/artifacts");
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
    RunLinks Links,
    string? Name = null,
    ImmutableArray<string> Tags = default,
    string? Notes = null,
    bool Archived = false)
{
    public static RunView From(StoredRun run, ImmutableArray<StoredStage>? stages = null, ImmutableArray<StoredEpoch>? epochs = null)
    {
        var labels = run.Labels ?? RunLabels.None;
        return new(run.Id, run.Status, run.Mode, run.Position, run.Stage, run.Epoch, run.QueuedAt, run.StartedAt, run.FinishedAt, run.Error,
            run.Config, run.Metrics, run.Manifest, run.Artifacts.IsDefault ? [] : run.Artifacts, stages, epochs, RunLinks.For(run.Id),
            labels.Name, labels.Tags.IsDefault ? [] : labels.Tags, labels.Notes, labels.Archived);
    }
}

/// <summary>
/// A run's headline figures from its metrics: first those on the customers' natural mix (the <c>population</c> section,
/// when the run has one), then the balanced test split's accuracy and ROC AUC, the recipe's figures kept for comparison.
/// </summary>
public sealed record RunHeadline(
    double? PopulationRocAuc,
    double? PopulationBrier,
    double? PopulationCalibrationError,
    double? CampaignProfitPer1000,
    double? TestAccuracy,
    double? TestRocAuc,
    double? BestValidationLoss)
{
    public static RunHeadline? From(JsonNode? metrics)
    {
        if (metrics is null)
        {
            return null;
        }

        double? Number(JsonNode? node) => node is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;
        var population = metrics["population"];
        var history = metrics["training"]?["history"] as JsonArray;
        var best = history?.Select(e => Number(e?["validationLoss"])).Where(v => v is not null).Min();
        return new RunHeadline(
            Number(population?["rocAuc"]),
            Number(population?["brier"]),
            Number(population?["calibrationError"]),
            Number(population?["campaign"]?["profitPer1000"]),
            Number(metrics["test"]?["accuracy"]),
            Number(metrics["test"]?["rocAuc"]),
            best);
    }
}

/// <summary>A run as lists show it (<c>GET /runs</c>, <c>churn runs</c>): status, progress, times and headline figures; details stay on <c>GET /runs/{id}</c>.</summary>
public sealed record RunSummary(
    string Id,
    string Status,
    string Mode,
    int? Position,
    string? Stage,
    int? Epoch,
    DateTimeOffset QueuedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    double? DurationSeconds,
    string? Error,
    RunHeadline? Headline,
    RunLinks Links,
    string? Name = null,
    ImmutableArray<string> Tags = default,
    bool Archived = false,
    ImmutableSortedDictionary<string, JsonNode?>? Parameters = null)
{
    public static RunSummary From(StoredRun run, DateTimeOffset now)
    {
        var labels = run.Labels ?? RunLabels.None;
        return new(run.Id, run.Status, run.Mode, run.Position, run.Stage, run.Epoch, run.QueuedAt, run.StartedAt, run.FinishedAt,
            run.StartedAt is { } started ? Math.Round(((run.FinishedAt ?? now) - started).TotalSeconds, 3) : null,
            run.Error, RunHeadline.From(run.Metrics), RunLinks.For(run.Id), labels.Name, labels.Tags.IsDefault ? [] : labels.Tags, labels.Archived,
            ParametersOf(run.Config));
    }

    /// <summary>The settings a table of runs may show as columns ("model.width": 32), paths left out: the run's page has them all.</summary>
    public static ImmutableSortedDictionary<string, JsonNode?> ParametersOf(JsonNode? config)
    {
        var flat = ImmutableSortedDictionary.CreateBuilder<string, JsonNode?>(StringComparer.Ordinal);
        void Add(string prefix, JsonNode? node)
        {
            if (node is JsonObject o)
            {
                foreach (var (key, value) in o)
                {
                    Add(prefix.Length == 0 ? key : $"{prefix}.{key}", value);
                }
            }
            else if (prefix is not ("data" or "out" or "npzDir" or "prefix"))
            {
                flat[prefix] = node?.DeepClone();
            }
        }

        Add("", config);
        return flat.ToImmutable();
    }
}

/// <summary>What a list of runs asks for: only those with <see cref="Status"/> when given, at most <see cref="Limit"/>, older than the run <see cref="Before"/> names when given.</summary>
public sealed record RunListQuery(string? Status, int Limit, string? Before);

/// <summary>One page of <c>GET /runs</c>, newest first; <see cref="Next"/> asks for the page after it (null on the last).</summary>
public sealed record RunList(ImmutableArray<RunSummary> Runs, string? Next)
{
    /// <summary>The page a <see cref="RunListQuery"/> asks for, newest first, with the link to the next one.</summary>
    public static RunList Page(SqliteRunStore store, RunListQuery query, DateTimeOffset now)
    {
        var (status, limit, before) = query;
        // One more than the page: whether a next page exists is known without a second query.
        var rows = store.List(status, limit + 1, before);
        var page = rows.Length > limit ? rows[..limit] : rows;
        var next = rows.Length > limit
            ? $"/runs?limit={limit}&before={Uri.EscapeDataString(page[^1].Id)}{(status is null ? "" : $"&status={status}")}"
            : null;
        return new RunList([.. page.Select(r => RunSummary.From(r, now))], next);
    }
}

public sealed record RunArtifactList(string RunId, ImmutableArray<RunArtifact> Artifacts);

public sealed record RunLogs(string RunId, ImmutableArray<LogEntry> Lines);

/// <summary>The reply to <c>DELETE /runs/{id}</c>: <c>cancelled</c> for a run that was waiting, <c>cancelling</c> for one that runs.</summary>
public sealed record RunCancelRequested(string Id, string Status, RunLinks Links);

public sealed record Health(string Status);
