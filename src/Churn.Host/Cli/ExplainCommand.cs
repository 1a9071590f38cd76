using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Churn.Host.Configuration;
using Churn.Host.Scores;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Explanation;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Host.Cli;

/// <summary>
/// <c>churn explain</c>: each customer's probability split between the behaviours (exact Shapley values of the
/// calibrated log-odds against a background of customers). Input, scaler and limits as <c>churn predict</c>; the
/// customers are explained and written a chunk at a time, so memory stays bounded whatever the file's size.
/// </summary>
public static class ExplainCommand
{
    /// <summary>Customers explained and written at a time.</summary>
    private const int Chunk = 16_384;

    /// <summary>The summary <c>--json</c> prints.</summary>
    public sealed record ExplainSummary(
        int Customers, int BackgroundRows, int DistinctBackgroundRows, double BaseLogOdds, double BaseProbability, double MeanProbability,
        ImmutableArray<FeatureEffect> MeanAbsoluteContributions, double Seconds, string Output);

    /// <summary>A behaviour's mean |contribution| in log-odds over the customers explained.</summary>
    public sealed record FeatureEffect(string Feature, double MeanAbsoluteLogOdds);

    public static int Run(ParseResult parse)
    {
        var clock = Stopwatch.StartNew();
        var resolved = ModelReference.Resolve(parse, parse.GetRequiredValue(ChurnCommandLine.Model));
        if (resolved is Result<ModelReference.Resolved>.Error unresolved)
        {
            return ChurnCli.Fail(unresolved.Problem);
        }
        var modelDir = resolved.Unwrap().Directory;
        var input = parse.GetRequiredValue(ChurnCommandLine.Input);
        var output = parse.GetValue(ChurnCommandLine.Output);
        var json = parse.GetValue(ChurnCommandLine.Json);
        var scaling = PredictCommand.Scaling(parse);
        if (scaling is { ScalerFile: not null, ScaledInputs: true })
        {
            return ChurnCommandLine.Usage("--scaler and --scaled-inputs exclude each other: give the scaler, or say the input needs none", "explain");
        }
        if (json && output is null)
        {
            return ChurnCommandLine.Usage("--json needs --output CSV: the summary goes to stdout, the explanations to the file", "explain");
        }
        if (output is not null && Path.GetFullPath(output) == Path.GetFullPath(input))
        {
            return ChurnCli.Fail(new Problem("--output would overwrite the input file", output));
        }
        var backgroundFile = parse.GetValue(ChurnCommandLine.BackgroundFile);
        int? size = parse.Given(ChurnCommandLine.BackgroundSize) ? parse.GetValue(ChurnCommandLine.BackgroundSize) : null;
        var baseRate = PredictCommand.BaseRate(parse);

        var prepared = ChurnConfig.Load(parse.GetValue(ChurnCommandLine.Config)).Bind(config =>
            ModelArtifact.Load(modelDir)
                .Bind(model => CustomerScoring.WithScaler(model, modelDir, scaling.ScalerFile, scaling.ScaledInputs))
                .Bind(model => model.Calibration.Check(baseRate) is { } problem
                    ? Result.Fail<ModelArtifact>(problem with { File = Path.Combine(modelDir, ModelArtifact.ManifestFile) })
                    : Result.Ok(model))
                .Bind(model => CustomerCsv.Load(input, TargetPolicy.Optional, config.Run.Limits, standardized: scaling.ScaledInputs)
                    .Bind(customers => LoadBackground(model, backgroundFile, size, config.Run.Limits, scaling.ScaledInputs)
                        .Map(background => (Model: model, Customers: customers.Data, Background: background)))));
        if (prepared is Result<(ModelArtifact, Dataset, Background)>.Error error)
        {
            return ChurnCli.Fail(error.Problem);
        }
        var (artifact, data, chosen) = prepared.Unwrap();

        var totals = new double[artifact.FeatureNames.Length];
        double baseLogOdds = double.NaN, probabilitySum = 0;
        void Write(Stream stream)
        {
            stream.Write(Encoding.ASCII.GetBytes(Header(artifact.FeatureNames)));
            for (var start = 0; start < data.Rows; start += Chunk)
            {
                var rows = Math.Min(Chunk, data.Rows - start);
                var customers = data.Inputs.SubMatrix(start, rows, 0, data.Inputs.ColumnCount);
                var values = Shapley.Explain(artifact, customers, chosen, baseRate).Unwrap();
                baseLogOdds = values.BaseLogOdds;
                var ids = data.Ids.IsDefaultOrEmpty ? [.. Enumerable.Range(start + 1, rows).Select(i => (long)i)] : data.Ids.AsSpan(start, rows).ToArray();
                stream.Write(Encoding.ASCII.GetBytes(Lines(ids, customers, values)));
                for (var r = 0; r < rows; r++)
                {
                    probabilitySum += Calibration.Sigmoid(values.LogOdds[r]);
                    for (var j = 0; j < totals.Length; j++)
                    {
                        totals[j] += Math.Abs(values.Contributions[r, j]);
                    }
                }
            }
        }

        if (output is null)
        {
            using var stdout = Console.OpenStandardOutput();
            Write(stdout);
        }
        else if (AtomicFile.Write(output, Write) is Result<string>.Error writeError)
        {
            return ChurnCli.Fail(writeError.Problem);
        }
        if (data.Rows == 0)
        {
            baseLogOdds = Shapley.Explain(artifact, Matrix<double>.Build.Dense(0, artifact.FeatureNames.Length), chosen, baseRate).Unwrap().BaseLogOdds;
        }

        var n = Math.Max(1, data.Rows);
        var summary = new ExplainSummary(
            data.Rows, chosen.Total, chosen.Count, baseLogOdds, Calibration.Sigmoid(baseLogOdds), probabilitySum / n,
            [.. artifact.FeatureNames.Select((f, j) => new FeatureEffect(f, totals[j] / n)).OrderByDescending(e => e.MeanAbsoluteLogOdds)],
            clock.Elapsed.TotalSeconds, output ?? "-");
        ModelReference.Record(resolved.Unwrap(), "explain", input, new { customers = summary.Customers, meanProbability = summary.MeanProbability });
        if (json)
        {
            StandardOutput.Writer.WriteLine(JsonSerializer.Serialize(summary, JsonFormat.Options));
        }
        Console.Error.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"churn explain: explained {summary.Customers:N0} customers against {summary.DistinctBackgroundRows:N0} distinct background customers in {summary.Seconds:F1} s: base probability {summary.BaseProbability:F4}, largest mean effect {summary.MeanAbsoluteContributions[0].Feature}{(output is null ? "" : $" -> {output}")}"));
        return 0;
    }

    /// <summary><c>customer_id,probability,log_odds,base_log_odds,base_probability</c>, then for each behaviour its value, its log-odds contribution and its probability points.</summary>
    public static string Header(ImmutableArray<string> features) =>
        "customer_id,probability,log_odds,base_log_odds,base_probability," + string.Join(',', features.Select(f => $"{f},{f}_log_odds,{f}_points")) + "\n";

    private static Result<Background> LoadBackground(ModelArtifact model, string? file, int? size, DataLimits limits, bool standardized)
    {
        if (file is null)
        {
            return Explained.Background(model, null, size, limits);
        }
        // The file is read whole only when it is small enough to be a background at all (or to be sampled from).
        return CustomerCsv.Load(file, TargetPolicy.Optional, limits, standardized)
            .Bind(loaded => Explained.Background(model, loaded.Data.Inputs, size, limits, file));
    }

    private static string Lines(long[] ids, Matrix<double> customers, ShapleyValues values)
    {
        var points = Explained.ProbabilityPoints(values);
        var basePoint = Calibration.Sigmoid(values.BaseLogOdds);
        var text = new StringBuilder(ids.Length * 400);
        var inv = CultureInfo.InvariantCulture;
        for (var r = 0; r < ids.Length; r++)
        {
            text.Append(inv, $"{ids[r]},{Calibration.Sigmoid(values.LogOdds[r]):R},{values.LogOdds[r]:R},{values.BaseLogOdds:R},{basePoint:R}");
            for (var j = 0; j < customers.ColumnCount; j++)
            {
                text.Append(inv, $",{customers[r, j]:R},{values.Contributions[r, j]:R},{points[r, j]:R}");
            }
            text.Append('\n');
        }
        return text.ToString();
    }
}
