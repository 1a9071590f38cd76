using System.Collections.Immutable;
using Churn.Host.Configuration;
using Churn.Host.Scores;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Explanation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Churn.Host.Api;

/// <summary>
/// <c>POST /runs/{id}/target</c>: scores a customer file (the CSV text in the body's <c>customers</c>, at most
/// <c>host.maxScoreBytes</c>) with a finished run's model and returns the contact list (or the scored list) with the
/// campaign summary, as <c>churn target</c> and <c>churn predict</c> do. JSON, or the list alone as CSV for
/// <c>Accept: text/csv</c>. A model with no scaler of its own (trained from <c>.npz</c> files that recorded none) scores
/// only customers sent already standardized (<c>"scaledInputs": true</c>); raw ones are a 409.
/// </summary>
internal sealed class TargetApi(SqliteRunStore store, ChurnConfig config)
{
    /// <summary>The body: the customers as CSV text, then the same choices as <c>churn target</c>'s flags.</summary>
    private sealed record TargetRequest(
        string? Customers,
        double? ContactCost = null,
        double? ConversionValue = null,
        int? Budget = null,
        double? Top = null,
        double? BaseRate = null,
        string? List = null,
        bool? ScaledInputs = null,
        int? Reasons = null);

    /// <summary>Contacted customers one request may have explained with <c>reasons</c>.</summary>
    public const int MaxExplainedContacts = 5_000;

    private sealed record ContactWithReasons(long CustomerId, double Probability, double ExpectedValue, int Rank, bool Contact, ImmutableArray<string> Reasons);

    private sealed record ScoreRow(long CustomerId, double Probability, double Uncalibrated);

    private sealed record TargetResponse(string RunId, string List, CampaignSummary Summary, IReadOnlyList<object> Rows);

    public void Map(WebApplication app) => app.MapPost("/runs/{id}/target", (Delegate)TargetAsync);

    private async Task<IResult> TargetAsync(string id, HttpContext context)
    {
        var (run, request, refusal) = await RunModel.WithRequestAsync<TargetRequest>(store, id, "score with", context, config.Host.MaxScoreBytes, "host.maxScoreBytes", Title);
        if (run is null || request is null)
        {
            return refusal!;
        }
        if (request.Customers is not { Length: > 0 } customers)
        {
            return Bad("customers", "the customers to score, as the text of a customer CSV file (ID and the 10 features; the target column may be there)");
        }
        if (request.List is not (null or "contacts" or "scores"))
        {
            return Bad("list", "expected \"contacts\" or \"scores\"");
        }
        if (request.Budget is not null && request.Top is not null)
        {
            return Bad("top", "give budget or top, not both");
        }
        ContactPolicy policy = ContactPolicy.ExpectedValue;
        if (request.Budget is { } budget)
        {
            if (budget < 1)
            {
                return Bad("budget", "the number of customers to contact, a whole number from 1");
            }
            policy = new ContactPolicy.Budget(budget);
        }
        else if (request.Top is { } top)
        {
            if (!(top > 0 && top <= 100))
            {
                return Bad("top", "a percentage of customers above 0 and at most 100");
            }
            policy = new ContactPolicy.Top(top / 100);
        }
        var economics = new CampaignEconomics(request.ContactCost ?? config.Run.Campaign.ContactCost, request.ConversionValue ?? config.Run.Campaign.ConversionValue);
        if (economics.Check() is { } economicsProblem)
        {
            return Bad(economicsProblem.Column!, economicsProblem.Reason);
        }
        if (request.BaseRate is { } rate && !ApiBody.IsBaseRate(rate))
        {
            return Bad("baseRate", ApiBody.BaseRateRule);
        }
        if (request.Reasons is { } asked && (asked < 1 || asked > Schema.FeatureCount || request.List == "scores"))
        {
            return Bad("reasons", $"the contacted customers' strongest reasons, a whole number from 1 to {Schema.FeatureCount}, with the contact list");
        }

        var (model, modelDir) = (run.Model, run.Directory);
        var scaledInputs = request.ScaledInputs ?? false;
        if (!model.ScalerKnown && !scaledInputs)
        {
            return run.NoScaler("; send customers that are already standardized with \"scaledInputs\": true", "scaledInputs");
        }
        var scored = Score(model, modelDir, customers, request.BaseRate, new InputScaling(ScaledInputs: scaledInputs));
        if (scored is Result<CustomerScores>.Error error)
        {
            // Never the host's paths: the problem speaks of the posted customers or the run's model.
            var where = error.Problem.Line is { } line ? $"line {line}: " : "";
            var column = error.Problem.Column is { } c ? $"column '{c}': " : "";
            return Bad("customers", where + column + error.Problem.Reason);
        }
        var scores = scored.Unwrap();
        var plan = Campaign.Plan(scores.Customers.Ids, scores.Probabilities, scores.Customers.HasTargets ? scores.Customers.Targets : [], policy, economics);
        var why = ImmutableDictionary<int, ImmutableArray<Reason>>.Empty;
        if (request.Reasons is { } count)
        {
            if (plan.Summary.Contacted > MaxExplainedContacts)
            {
                return Bad("reasons", $"reasons are given for at most {MaxExplainedContacts} contacted customers per request; this plan contacts {plan.Summary.Contacted}");
            }
            var scaling = new InputScaling(ScaledInputs: scaledInputs);
            var explained = CustomerScoring.ContactReasons(model, modelDir, scaling, scores, plan, count, request.BaseRate);
            if (explained is Result<ImmutableDictionary<int, ImmutableArray<Reason>>>.Error { Problem: var problem })
            {
                return ApiProblem.Of(StatusCodes.Status409Conflict, "cannot explain", $"run {id}'s model cannot give reasons: {problem.Reason}", "reasons");
            }
            why = explained.Unwrap();
        }
        var list = request.List ?? "contacts";
        var csv = context.Request.Headers.Accept.Any(a => a is not null && a.Contains("text/csv", StringComparison.OrdinalIgnoreCase));
        if (csv)
        {
            return Results.Bytes(list == "scores" ? ScoreLists.Scores(scores) : ScoreLists.ContactList(plan, why, request.Reasons ?? 0), "text/csv; charset=utf-8");
        }
        IReadOnlyList<object> rows = list == "scores"
            ? [.. scores.Customers.Ids.Select((customer, i) => new ScoreRow(customer, scores.Probabilities[i], scores.Raw[i]))]
            : request.Reasons is null ? [.. plan.Rows.OrderBy(r => r.Rank)]
            : [.. plan.Rows.Select((r, i) => (r, i)).OrderBy(p => p.r.Rank).Select(p => new ContactWithReasons(
                p.r.CustomerId, p.r.Probability, p.r.ExpectedValue, p.r.Rank, p.r.Contact, [.. why.GetValueOrDefault(p.i, []).Select(reason => reason.ToString())]))];
        return Results.Json(new TargetResponse(id, list, plan.Summary, rows), JsonFormat.Options);
    }

    /// <summary>The posted CSV goes through the same loader as a file, from a private temporary copy.</summary>
    private static Result<CustomerScores> Score(ModelArtifact model, string modelDir, string customers, double? baseRate, InputScaling scaling) =>
        ApiBody.Staged(customers, path => CustomerScoring.Score(model, modelDir, path, baseRate, scaling));

    private const string Title = "invalid target request";

    private static IResult Bad(string field, string detail) => ApiBody.Bad(Title, field, detail);
}
