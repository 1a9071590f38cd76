using System.Collections.Immutable;
using System.Globalization;
using Churn.Host.Configuration;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Explanation;
using Churn.Numerics.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Churn.Host.Api;

/// <summary>
/// <c>POST /models/{name}/score</c> (or <c>{name}@{version}</c>): real-time scoring of a few customers sent as a JSON
/// array (see <see cref="CustomerJson"/>; at most <c>host.limits.maxScoreRows</c> a request, at most
/// <c>host.maxScoreBytes</c>). Each gets its probability, whether contacting pays at the configured cost and value,
/// and its <c>?reasons=K</c> strongest reasons (default 3, 0 for none). Reasons are fast by default (the version's
/// <see cref="ReasonTable"/>, a few look-ups a customer); <c>?method=exact</c> gives the exact Shapley values
/// <c>churn predict --reasons</c> gives, against the model's saved background sample (its first <c>?background=N</c>
/// customers when asked: an exact explanation costs in proportion to them). The model comes from
/// <see cref="LoadedModels"/>: a request reads no file.
/// </summary>
internal sealed class ScoreApi(SqliteRunStore store, ChurnConfig config, LoadedModels models)
{
    /// <summary>Reasons a customer gets when the request does not say.</summary>
    public const int DefaultReasons = 3;

    private sealed record ScoredReason(string Feature, double Value, double LogOdds, string Text);

    private sealed record ScoredCustomer(long CustomerId, double Probability, bool Contact, double ExpectedValue, ImmutableArray<ScoredReason>? Reasons);

    private sealed record ScoreResponse(string Model, int Version, double ContactCost, double ConversionValue, string? ReasonMethod, IReadOnlyList<ScoredCustomer> Customers);

    /// <summary>How reasons are computed when the request does not say: the table, or the exact values.</summary>
    public const string FastMethod = "fast";

    public const string ExactMethod = "exact";

    private const string Title = "invalid score request";

    public void Map(WebApplication app) => app.MapPost("/models/{reference}/score", (Delegate)ScoreAsync);

    private async Task<IResult> ScoreAsync(string reference, HttpContext context)
    {
        var reasons = DefaultReasons;
        if (context.Request.Query["reasons"].FirstOrDefault() is { } asked
            && !(int.TryParse(asked, NumberStyles.None, CultureInfo.InvariantCulture, out reasons) && reasons <= Schema.FeatureCount))
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "invalid query", $"reasons: a whole number from 0 to {Schema.FeatureCount}", "reasons");
        }
        var method = context.Request.Query["method"].FirstOrDefault() ?? FastMethod;
        if (method is not (FastMethod or ExactMethod))
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "invalid query", $"method: \"{FastMethod}\" (the default) or \"{ExactMethod}\"", "method");
        }
        int? backgroundSize = null;
        if (context.Request.Query["background"].FirstOrDefault() is { } size)
        {
            if (!(int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var wanted) && wanted is >= 1 and <= BackgroundSample.DefaultSize))
            {
                return ApiProblem.Of(StatusCodes.Status400BadRequest, "invalid query", $"background: a whole number of background customers from 1 to {BackgroundSample.DefaultSize}", "background");
            }
            if (method != ExactMethod)
            {
                return ApiProblem.Of(StatusCodes.Status400BadRequest, "invalid query", $"background: only exact reasons take a background size (method={ExactMethod}); fast reasons are fitted against the model's {BackgroundSample.DefaultSize}", "background");
            }
            backgroundSize = wanted;
        }
        if (!SqliteRunStore.IsModelReference(reference))
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "invalid model", $"'{reference}' is not NAME or NAME@VERSION of a registered model", "model");
        }
        var loaded = models.Get(reference);
        if (loaded is Result<LoadedModel>.Error { Problem: var unknown })
        {
            var name = reference.Split('@')[0];
            return store.Model(name) is null
                ? ApiProblem.Of(StatusCodes.Status404NotFound, "unknown model", $"no model named '{name}' is registered")
                : ApiProblem.Of(StatusCodes.Status409Conflict, "no model to score with", unknown.Reason, "model");
        }
        var model = loaded.Unwrap();
        if (!model.Model.ScalerKnown)
        {
            return ApiProblem.Of(StatusCodes.Status409Conflict, "model has no scaler",
                $"{model.Version.Name}@{model.Version.Version} was trained from .npz files that recorded no scaler, so it cannot score raw customers", "model");
        }
        if (reasons > 0 && model.Background is null)
        {
            return ApiProblem.Of(StatusCodes.Status409Conflict, "cannot explain", $"{model.Version.Name}@{model.Version.Version} cannot give reasons: {model.NoReasons}; ask with ?reasons=0", "reasons");
        }

        var (bytes, length, refusal) = await ApiBody.ReadBytesAsync(context, config.Host.MaxScoreBytes, "host.maxScoreBytes");
        if (refusal is not null)
        {
            return refusal;
        }
        var read = CustomerJson.Read(bytes.AsSpan(0, length), config.Host.Limits.MaxScoreRows, "host.limits.maxScoreRows");
        if (read is Result<Dataset>.Error { Problem: var bad })
        {
            return ApiBody.Bad(Title, bad.Column ?? JsonInput.Body, bad.Reason);
        }
        var customers = read.Unwrap();
        var scored = model.Model.Score(customers);
        if (scored is Result<CustomerScores>.Error { Problem: var cannot })
        {
            return ApiProblem.Of(StatusCodes.Status409Conflict, "cannot score", $"{model.Version.Name}@{model.Version.Version}: {cannot.Reason}", "model");
        }
        var probabilities = scored.Unwrap().Probabilities;
        var economics = new CampaignEconomics(config.Run.Campaign.ContactCost, config.Run.Campaign.ConversionValue);
        var plan = Campaign.Plan(customers.Ids, probabilities, [], ContactPolicy.ExpectedValue, economics);
        ShapleyValues? why = null;
        if (reasons > 0 && customers.Rows > 0 && method == FastMethod)
        {
            if (model.FastReasons.Value is Result<ReasonTable>.Error { Problem: var unfitted })
            {
                return ApiProblem.Of(StatusCodes.Status409Conflict, "cannot explain", $"{unfitted.Reason}; ask with ?method={ExactMethod} or ?reasons=0", "reasons");
            }
            why = model.FastReasons.Value.Unwrap().Explain(model.Model, customers.Inputs, scored.Unwrap().Raw);
        }
        else if (reasons > 0 && customers.Rows > 0)
        {
            // A smaller background (the first rows of the same seeded sample) costs proportionally less, and is a coarser reference.
            var background = backgroundSize is { } n && n < model.Background!.Total
                ? Explained.Background(model.Model, null, n, DataLimits.Default).Unwrap()
                : model.Background!;
            var explained = Shapley.Explain(model.Model, customers.Inputs, background);
            if (explained is Result<ShapleyValues>.Error { Problem: var unexplained })
            {
                return ApiProblem.Of(StatusCodes.Status409Conflict, "cannot explain", unexplained.Reason, "reasons");
            }
            why = explained.Unwrap();
        }
        var rows = new ScoredCustomer[customers.Rows];
        for (var i = 0; i < rows.Length; i++)
        {
            var row = plan.Rows[i];
            rows[i] = new ScoredCustomer(row.CustomerId, row.Probability, row.Contact, row.ExpectedValue,
                why is null ? null : [.. Explained.Reasons(why, customers.Inputs, model.Model.FeatureNames, i, reasons).Select(r => new ScoredReason(r.Feature, r.Value, r.LogOdds, r.ToString()))]);
        }
        return Results.Json(new ScoreResponse(model.Version.Name, model.Version.Version, economics.ContactCost, economics.ConversionValue, reasons > 0 ? method : null, rows), SqliteRunStore.Compact);
    }
}
