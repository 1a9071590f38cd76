using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Host.Configuration;
using Churn.Host.Scores;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Files;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Churn.Host.Api;

/// <summary>
/// The model registry over HTTP, the same registry <c>churn models</c> keeps in the run store: <c>GET /models</c>,
/// <c>GET /models/{name}</c>, <c>POST /models/{name}/versions</c> (register a run's model), <c>PUT
/// /models/{name}/production</c> (promote), <c>POST /models/{name}/rollback</c>, and <c>POST /models/compare</c>
/// (champion against challenger on posted labelled customers, as <c>churn models compare</c>). Host paths are never
/// shown: a version names its run, a scoring its file's name.
/// </summary>
internal sealed class ModelsApi(SqliteRunStore store, ChurnConfig config, LoadedModels models)
{
    /// <summary>Scorings a model's view lists, newest first.</summary>
    public const int ScoringsShown = 20;

    private sealed record VersionView(int Version, string Sha256, string? RunId, string? RunName, DateTimeOffset RegisteredAt, bool Production, RunHeadline? Headline, JsonNode? TestMetrics);

    private sealed record ScoringView(int Version, string Command, string Input, string InputSha256, DateTimeOffset At, JsonNode? Summary, string? Drift, ImmutableArray<string> Moved);

    private sealed record ModelView(string Name, int? Production, ImmutableArray<VersionView> Versions, ImmutableArray<ScoringView> Scorings);

    private sealed record RegisterRequest(string? RunId);

    private sealed record PromoteRequest(int? Version);

    private sealed record CompareRequest(string? A, string? B, string? Customers, double? ContactCost = null, double? ConversionValue = null, double? BaseRate = null, ulong? Seed = null, int? Resamples = null);

    public void Map(WebApplication app)
    {
        app.MapGet("/models", () => Results.Json(new { models = store.Models().Select(View) }, JsonFormat.Options));
        app.MapGet("/models/{name}", (string name) => store.Model(name) is { } model
            ? Results.Json(View(model), JsonFormat.Options)
            : Unknown(name));
        app.MapPost("/models/{name}/versions", (Delegate)RegisterAsync);
        app.MapPut("/models/{name}/production", (Delegate)PromoteAsync);
        app.MapPost("/models/{name}/rollback", (string name) => Changed(name, store.Model(name) is null ? null : store.Rollback(name, DateTimeOffset.UtcNow)));
        app.MapPost("/models/compare", (Delegate)CompareAsync);
    }

    private async Task<IResult> RegisterAsync(string name, HttpContext context)
    {
        var (request, refusal) = await ApiBody.ReadAsync<RegisterRequest>(context, config.Host.MaxRequestBytes, "host.maxRequestBytes", "invalid registration");
        if (refusal is not null)
        {
            return refusal;
        }
        if (!SqliteRunStore.IsModelName(name))
        {
            return ApiBody.Bad("invalid registration", "name", $"'{name}' is not a model name: letters, digits, '.', '-' and '_', up to 64, starting with a letter or digit");
        }
        if (request!.RunId is not { Length: > 0 } runId)
        {
            return ApiBody.Bad("invalid registration", "runId", "the id of the run whose model to register");
        }
        if (store.Get(runId) is not { } run)
        {
            return ApiBody.Bad("invalid registration", "runId", $"no run with id '{runId}'");
        }
        var modelDir = run.Artifacts.IsDefault ? null : run.Artifacts.FirstOrDefault(a => Path.GetFileName(a) == RunFiles.ModelDirectoryName);
        if (run.Status != RunStatus.Succeeded || modelDir is null)
        {
            return ApiProblem.Of(StatusCodes.Status409Conflict, "no model", $"run {runId} has no model to register (status {run.Status}, mode {run.Mode})", "runId");
        }
        var registered = store.RegisterModel(name, modelDir, runId, DateTimeOffset.UtcNow);
        if (registered is Result<ModelVersion>.Error { Problem: var problem })
        {
            // The reason only: the run's folder and the store's copies are the host's business.
            return ApiProblem.Of(StatusCodes.Status409Conflict, "cannot register", $"run {runId}'s model cannot be registered: {problem.Reason}", "runId");
        }
        var version = registered.Unwrap();
        return Results.Json(VersionOf(version, store.Model(name)!.Production), JsonFormat.Options, statusCode: StatusCodes.Status201Created);
    }

    private async Task<IResult> PromoteAsync(string name, HttpContext context)
    {
        var (request, refusal) = await ApiBody.ReadAsync<PromoteRequest>(context, config.Host.MaxRequestBytes, "host.maxRequestBytes", "invalid promotion");
        if (refusal is not null)
        {
            return refusal;
        }
        if (store.Model(name) is not { } model)
        {
            return Unknown(name);
        }
        if (request!.Version is not { } version || model.Versions.All(v => v.Version != version))
        {
            return ApiBody.Bad("invalid promotion", "version", $"one of the model's versions: {string.Join(", ", model.Versions.Select(v => v.Version))}");
        }
        return Changed(name, store.Promote(name, version, DateTimeOffset.UtcNow));
    }

    private IResult Changed(string name, Result<ModelVersion>? changed)
    {
        if (changed is null)
        {
            return Unknown(name);
        }
        models.Promoted(name);
        if (changed is Result<ModelVersion>.Error { Problem: var problem })
        {
            return ApiProblem.Of(StatusCodes.Status409Conflict, "cannot change production", problem.Reason, problem.Column);
        }
        return Results.Json(View(store.Model(name)!), JsonFormat.Options);
    }

    private async Task<IResult> CompareAsync(HttpContext context)
    {
        const string title = "invalid comparison";
        var (request, refusal) = await ApiBody.ReadAsync<CompareRequest>(context, config.Host.MaxScoreBytes, "host.maxScoreBytes", title);
        if (refusal is not null)
        {
            return refusal;
        }
        var economics = new CampaignEconomics(request!.ContactCost ?? config.Run.Campaign.ContactCost, request.ConversionValue ?? config.Run.Campaign.ConversionValue);
        var invalid = request switch
        {
            { A: null or "" } => ("a", "the champion: NAME or NAME@VERSION of a registered model"),
            { B: null or "" } => ("b", "the challenger: NAME or NAME@VERSION of a registered model"),
            { Customers: null or "" } => ("customers", "the labelled customers both models score, as the text of a customer CSV file with its target column"),
            { BaseRate: { } rate } when !ApiBody.IsBaseRate(rate) => ("baseRate", ApiBody.BaseRateRule),
            { Resamples: < 100 or > 100_000 } => ("resamples", "a whole number from 100 to 100000"),
            _ => economics.Check() is { } p ? (p.Column!, p.Reason) : default,
        };
        if (invalid is (string wrong, string reason))
        {
            return ApiBody.Bad(title, wrong, reason);
        }
        var sides = new List<LoadedModel>();
        foreach (var (field, reference) in new[] { ("a", request.A!), ("b", request.B!) })
        {
            if (!SqliteRunStore.IsModelReference(reference) || models.Get(reference) is not Result<LoadedModel>.Ok { Value: var loaded })
            {
                var why = store.ResolveModel(reference, field) is Result<ModelVersion>.Error { Problem: var p } ? p.Reason : "its copy cannot be read";
                return ApiBody.Bad(title, field, why);
            }
            sides.Add(loaded);
        }
        var labelled = ApiBody.Staged(request.Customers!, path => CustomerCsv.Load(path, TargetPolicy.Required, config.Run.Limits));
        if (labelled is Result<LoadedData>.Error { Problem: var bad })
        {
            var where = bad.Line is { } line ? $"line {line}: " : "";
            var column = bad.Column is { } c ? $"column '{c}': " : "";
            return ApiBody.Bad(title, "customers", where + column + bad.Reason);
        }
        var data = labelled.Unwrap().Data;
        var compared = Probabilities(sides[0], data, request.BaseRate).Bind(pa => Probabilities(sides[1], data, request.BaseRate).Map(pb =>
            ChampionChallenger.Compare(pa, pb, data.Targets, economics, request.Seed ?? 0, request.Resamples ?? ChampionChallenger.DefaultResamples)));
        if (compared is Result<ModelComparison>.Error { Problem: var cannot })
        {
            return ApiProblem.Of(StatusCodes.Status409Conflict, "cannot compare", cannot.Reason, "baseRate");
        }
        var a = sides[0].Version;
        var b = sides[1].Version;
        return Results.Json(new { champion = $"{a.Name}@{a.Version}", challenger = $"{b.Name}@{b.Version}", comparison = compared.Unwrap() }, JsonFormat.Options);
    }

    private static Result<ImmutableArray<double>> Probabilities(LoadedModel side, Dataset data, double? baseRate) =>
        CustomerScoring.Probabilities(side.Model, side.Version.Directory, data, baseRate)
            .Match(Result.Ok, problem => Result.Fail<ImmutableArray<double>>($"{side.Version.Name}@{side.Version.Version}: {problem.Reason}"));

    private ModelView View(RegisteredModel model) => new(
        model.Name,
        model.Production,
        [.. model.Versions.Select(v => VersionOf(v, model.Production))],
        [.. store.Scorings(model.Name, ScoringsShown).Select(ScoringOf)]);

    private VersionView VersionOf(ModelVersion version, int? production)
    {
        var run = version.RunId is { } id ? store.Get(id) : null;
        return new VersionView(version.Version, version.Sha256, version.RunId, run?.Labels?.Name, version.RegisteredAt, version.Version == production,
            RunHeadline.From(run?.Metrics), TestMetrics(version.Directory));
    }

    /// <summary>The test figures the version's <c>model.json</c> records (its copy in the store; null when it cannot be read).</summary>
    private static JsonNode? TestMetrics(string directory)
    {
        try
        {
            using var stream = File.OpenRead(Path.Combine(directory, ModelArtifact.ManifestFile));
            return JsonNode.Parse(stream)?["testMetrics"]?.DeepClone();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    private static ScoringView ScoringOf(ModelScoring s)
    {
        JsonNode? summary;
        try
        {
            summary = JsonNode.Parse(s.Summary);
        }
        catch (JsonException)
        {
            summary = null;
        }
        var drift = summary?["drift"];
        var moved = drift?["moved"] is JsonArray list ? [.. list.Select(m => m?.GetValue<string>() ?? "")] : ImmutableArray<string>.Empty;
        return new ScoringView(s.Version, s.Command, Path.GetFileName(s.Input), s.InputSha256, s.At, summary, drift?["level"]?.ToString(), moved);
    }

    private static IResult Unknown(string name) => ApiProblem.Of(StatusCodes.Status404NotFound, "unknown model", $"no model named '{name}' is registered");
}
