using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
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
        var input = parse.GetRequiredValue(ChurnCommandLine.Input);
        var output = parse.GetValue(ChurnCommandLine.Output);
        var json = parse.GetValue(ChurnCommandLine.Json);
        if (ScoringModel.ScalingUsage(parse, "explain") is { } usage)
        {
            return usage;
        }
        if (json && output is null)
        {
            return ChurnCommandLine.Usage("--json needs --output CSV: the summary goes to stdout, the explanations to the file", "explain");
        }
        if (ScoringModel.OverwritesInput(input, output) is { } overwrites)
        {
            return overwrites;
        }
        var backgroundFile = parse.GetValue(ChurnCommandLine.BackgroundFile);
        int? size = parse.Given(ChurnCommandLine.BackgroundSize) ? parse.GetValue(ChurnCommandLine.BackgroundSize) : null;

        var prepared = ScoringModel.Load(parse).Bind(model =>
            LoadBackground(model.Artifact, backgroundFile, size, model.Limits, model.Scaling.ScaledInputs).Map(background => (Model: model, Background: background)));
        if (prepared is Result<(ScoringModel, Background)>.Error error)
        {
            return ChurnCli.Fail(error.Problem);
        }
        var (model, chosen) = prepared.Unwrap();
        var artifact = model.Artifact;
        var baseRate = model.BaseRate;

        // The customers stream past a chunk at a time: explained on the scoring thread, written and summed up here.
        var totals = new double[artifact.FeatureNames.Length];
        var baseLogOdds = Shapley.Explain(artifact, Matrix<double>.Build.Dense(0, artifact.FeatureNames.Length), chosen, baseRate).Unwrap().BaseLogOdds;
        double probabilitySum = 0;
        long customers = 0;
        var sha256 = "";
        var written = ScoringStream.WriteOutput(output, stream =>
        {
            stream.Write(Encoding.ASCII.GetBytes(Header(artifact.FeatureNames)));
            var read = ScoringStream.Run(
                input,
                model.Limits.ForScoring(),
                model.Scaling.ScaledInputs,
                chunk =>
                {
                    var values = Shapley.Explain(artifact, chunk.Inputs, chosen, baseRate).Unwrap();
                    var ids = chunk.Ids.IsDefaultOrEmpty ? [.. Enumerable.Range(1, chunk.Rows).Select(i => (long)i)] : chunk.Ids.ToArray();
                    return (Values: values, Text: Encoding.ASCII.GetBytes(Lines(ids, chunk.Inputs, values)));
                },
                explained =>
                {
                    stream.Write(explained.Text);
                    var values = explained.Values;
                    for (var r = 0; r < values.LogOdds.Length; r++)
                    {
                        probabilitySum += Calibration.Sigmoid(values.LogOdds[r]);
                        for (var j = 0; j < totals.Length; j++)
                        {
                            totals[j] += Math.Abs(values.Contributions[r, j]);
                        }
                    }
                    customers += values.LogOdds.Length;
                    return null;
                },
                Chunk);
            if (read is Result<LoadedData>.Error readError)
            {
                return readError.Problem;
            }
            sha256 = read.Unwrap().Sha256;
            return null;
        });
        if (written is Result<string>.Error writeError)
        {
            return ChurnCli.Fail(writeError.Problem);
        }

        var n = Math.Max(1, customers);
        var summary = new ExplainSummary(
            (int)customers, chosen.Total, chosen.Count, baseLogOdds, Calibration.Sigmoid(baseLogOdds), probabilitySum / n,
            [.. artifact.FeatureNames.Select((f, j) => new FeatureEffect(f, totals[j] / n)).OrderByDescending(e => e.MeanAbsoluteLogOdds)],
            clock.Elapsed.TotalSeconds, output ?? "-");
        ModelReference.Record(model.Reference, "explain", input, new { customers = summary.Customers, meanProbability = summary.MeanProbability }, sha256);
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
