using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Churn.Host.Configuration;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Explanation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Churn.Host.Api;

/// <summary>
/// <c>POST /runs/{id}/explain</c>: explains a few customers (at most <see cref="MaxCustomers"/>, each an object of the
/// ten behaviours by name and an optional <c>customerId</c>) with a finished run's model against the background saved
/// with it, as <c>churn explain</c> does: probability, log-odds, base, and each behaviour's contribution in log-odds and
/// probability points, with the reasons <c>churn predict --reasons</c> gives. The customers pass the customer file's
/// checks (the same loader), so a value a file could not hold is refused here too. For the dashboard's customer page.
/// </summary>
internal sealed class ExplainApi(SqliteRunStore store, ChurnConfig config)
{
    /// <summary>Customers one request may explain: each costs about 14,000 network evaluations.</summary>
    public const int MaxCustomers = 100;

    private sealed record ExplainRequest(ImmutableArray<Dictionary<string, double>>? Customers, double? BaseRate = null);

    private sealed record Contribution(string Feature, double Value, double LogOdds, double Points);

    private sealed record CustomerExplanation(long CustomerId, double Probability, double LogOdds, ImmutableArray<Contribution> Contributions, ImmutableArray<string> Reasons);

    private sealed record ExplainResponse(
        string RunId, double BaseLogOdds, double BaseProbability, int BackgroundRows, ImmutableArray<string> Features, ImmutableArray<CustomerExplanation> Customers);

    public void Map(WebApplication app) => app.MapPost("/runs/{id}/explain", (Delegate)ExplainAsync);

    private async Task<IResult> ExplainAsync(string id, HttpContext context)
    {
        var (run, request, refusal) = await RunModel.WithRequestAsync<ExplainRequest>(store, id, "explain with", context, config.Host.MaxRequestBytes, "host.maxRequestBytes", Title);
        if (run is null || request is null)
        {
            return refusal!;
        }
        if (request.Customers is not { Length: > 0 } customers)
        {
            return Bad("customers", "a list of customers, each an object of the ten behaviours by name (and an optional customerId)");
        }
        if (customers.Length > MaxCustomers)
        {
            return Bad("customers", $"at most {MaxCustomers} customers per request, got {customers.Length}");
        }
        if (request.BaseRate is { } rate && !ApiBody.IsBaseRate(rate))
        {
            return Bad("baseRate", ApiBody.BaseRateRule);
        }
        var csv = Csv(customers);
        if (csv is Result<string>.Error { Problem: var shape })
        {
            return Bad(shape.Column ?? "customers", shape.Reason);
        }

        var model = run.Model;
        if (!model.ScalerKnown)
        {
            return run.NoScaler("");
        }
        var read = Load(csv.Unwrap());
        if (read is Result<Dataset>.Error { Problem: var refused })
        {
            // The loader counts lines from 1; the request's customers from 0. Never the host's paths.
            var which = refused.Line is { } line ? $"customers[{line - 1}]" : "customers";
            return Bad(refused.Column is { } column ? $"{which}.{column}" : which, refused.Reason);
        }
        var data = read.Unwrap();
        var explained = Explained.Background(model, null, null, config.Run.Limits)
            .Bind(background => Shapley.Explain(model, data.Inputs, background, request.BaseRate).Map(values => (background, values)));
        if (explained is Result<(Background, ShapleyValues)>.Error { Problem: var cannot })
        {
            return ApiProblem.Of(StatusCodes.Status409Conflict, "cannot explain", $"run {id}'s model cannot explain: {cannot.Reason}");
        }
        var (chosen, result) = explained.Unwrap();
        var points = Explained.ProbabilityPoints(result);
        var names = model.FeatureNames;
        return Results.Json(
            new ExplainResponse(
                id, result.BaseLogOdds, Calibration.Sigmoid(result.BaseLogOdds), chosen.Total, names,
                [.. Enumerable.Range(0, data.Rows).Select(r => new CustomerExplanation(
                    data.Ids[r], Calibration.Sigmoid(result.LogOdds[r]), result.LogOdds[r],
                    [.. names.Select((f, j) => new Contribution(f, data.Inputs[r, j], result.Contributions[r, j], points[r, j]))],
                    [.. Explained.Reasons(result, data.Inputs, names, r, 3).Select(reason => reason.ToString())]))]),
            JsonFormat.Options);
    }

    /// <summary>The customers as the text of a customer file, so that the file loader checks them; a problem for an unknown or missing name.</summary>
    private static Result<string> Csv(ImmutableArray<Dictionary<string, double>> customers)
    {
        var text = new StringBuilder();
        for (var i = 0; i < customers.Length; i++)
        {
            var customer = customers[i];
            if (customer.Keys.FirstOrDefault(k => k != "customerId" && !Schema.FeatureNames.Contains(k)) is { } unknown)
            {
                return Result.Fail<string>($"'{unknown}' is not a behaviour; expected {string.Join(", ", Schema.FeatureNames)}", column: $"customers[{i}]");
            }
            if (Schema.FeatureNames.FirstOrDefault(f => !customer.ContainsKey(f)) is { } missing)
            {
                return Result.Fail<string>("every behaviour needs a value", column: $"customers[{i}].{missing}");
            }
            var customerId = customer.TryGetValue("customerId", out var given) ? given : i + 1;
            if (customerId != Math.Floor(customerId) || customerId is < 0 or > 9e15)
            {
                return Result.Fail<string>("a whole number of 0 or more", column: $"customers[{i}].customerId");
            }
            text.Append(CultureInfo.InvariantCulture, $"{(long)customerId}");
            foreach (var feature in Schema.FeatureNames)
            {
                text.Append(CultureInfo.InvariantCulture, $",{customer[feature]:R}");
            }
            text.Append('\n');
        }
        return Result.Ok(text.ToString());
    }

    private static Result<Dataset> Load(string csv) =>
        ApiBody.Staged(csv, path => CustomerCsv.Load(path, TargetPolicy.Optional).Map(loaded => loaded.Data));

    private const string Title = "invalid explain request";

    private static IResult Bad(string field, string detail) => ApiBody.Bad(Title, field, detail);
}
