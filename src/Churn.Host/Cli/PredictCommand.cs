using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using Churn.Host.Scores;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Drift;
using Churn.Numerics.Explanation;

namespace Churn.Host.Cli;

/// <summary>
/// <c>churn predict</c>: scores customers with a saved model. The input is validated like the training file (target
/// optional); the model's stored scaler is applied before scoring, and its calibration turns the network's score into
/// P(buys again) for the population the model came from (or one with the rate <c>--base-rate</c> gives).
/// </summary>
public static class PredictCommand
{
    public const string Header = "customer_id,probability,uncalibrated,predicted\n";

    public static int Run(ParseResult parse)
    {
        var input = parse.GetRequiredValue(ChurnCommandLine.Input);
        var output = parse.GetValue(ChurnCommandLine.Output);
        if (ScoringModel.OverwritesInput(input, output) is { } overwrites)
        {
            return overwrites;
        }
        if (ScoringModel.ScalingUsage(parse, "predict") is { } usage)
        {
            return usage;
        }
        var reasons = ScoringModel.Reasons(parse);
        var loaded = ScoringModel.Load(parse).Bind(model => reasons is { } k
            ? CustomerScoring.ReasonsFor(model.Artifact, model.Directory, InputScaling.ModelsOwn with { ScaledInputs = true }, EmptyScores(model), [], k, model.BaseRate).Map(_ => model)
            : Result.Ok(model));
        if (loaded is Result<ScoringModel>.Error error)
        {
            return ChurnCli.Fail(error.Problem);
        }
        var model = loaded.Unwrap();
        var format = ScoreTableWriter.FormatOf(output, ScoringStream.FormatGiven(parse));
        var tally = model.Artifact.Drift is { } profile && !model.Scaling.ScaledInputs ? new DriftTally(profile) : null;
        long customers = 0, atHalf = 0;
        double probabilitySum = 0;
        var sha256 = "";
        var written = ScoringStream.WriteOutput(output, stream =>
        {
            var table = ScoreTableWriter.Create(format, stream, Columns(reasons ?? 0));
            var read = ScoringStream.Run(
                input,
                model.Limits.ForScoring(),
                model.Scaling.ScaledInputs,
                chunk =>
                {
                    var scores = model.Score(chunk);
                    var why = reasons is { } k
                        ? Explained.TopReasons(model.Artifact, chunk.Inputs, [.. Enumerable.Range(0, chunk.Rows)], k, model.BaseRate).Unwrap()
                        : [];
                    return (Scores: scores, Reasons: why);
                },
                scored =>
                {
                    table.Write(Chunk(scored.Scores, scored.Reasons, reasons ?? 0));
                    tally?.Add(scored.Scores.Customers.Inputs, scored.Scores.Raw);
                    customers += scored.Scores.Probabilities.Length;
                    foreach (var p in scored.Scores.Probabilities)
                    {
                        probabilitySum += p;
                        atHalf += p >= 0.5 ? 1 : 0;
                    }
                    return null;
                });
            if (read is Result<LoadedData>.Error readError)
            {
                return readError.Problem;
            }
            table.Finish();
            sha256 = read.Unwrap().Sha256;
            return null;
        });
        if (written is Result<string>.Error writeError)
        {
            return ChurnCli.Fail(writeError.Problem);
        }

        var drift = tally?.Report();
        var mean = customers == 0 ? 0 : probabilitySum / customers;
        ModelReference.Record(model.Reference, "predict", input, new
        {
            customers,
            meanProbability = mean,
            drift = DriftCommand.Recorded(drift),
        }, sha256);
        if (output is not null)
        {
            Console.Error.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"churn predict: scored {customers:N0} customers: {probabilitySum:N0} buyers expected (mean probability {mean:F4}), {atHalf:N0} at probability 0.5 or more -> {output}"));
        }
        DriftCommand.Warn("predict", model.Artifact, drift, model.Scaling.ScaledInputs, Console.Error);
        return 0;
    }

    /// <summary>The columns predict writes: id, calibrated probability, uncalibrated score, class at 0.5, and <paramref name="reasons"/> reasons.</summary>
    public static ImmutableArray<ColumnSpec> Columns(int reasons) =>
    [
        new(Schema.IdColumn, ColumnKind.Whole), new("probability", ColumnKind.Number), new("uncalibrated", ColumnKind.Number), new("predicted", ColumnKind.Flag),
        .. Enumerable.Range(1, reasons).Select(i => new ColumnSpec($"reason_{i}", ColumnKind.Text)),
    ];

    /// <summary>Scored customers as rows of <see cref="Columns"/>.</summary>
    public static TableChunk Chunk(CustomerScores scores, ImmutableArray<ImmutableArray<Reason>> why, int reasons)
    {
        var n = scores.Probabilities.Length;
        var ids = scores.Customers.Ids.IsDefaultOrEmpty ? [.. Enumerable.Range(1, n).Select(i => (long)i)] : scores.Customers.Ids.ToArray();
        var columns = new List<Array> { ids, scores.Probabilities.ToArray(), scores.Raw.ToArray(), scores.Probabilities.Select(p => p >= 0.5 ? 1 : 0).ToArray() };
        for (var j = 0; j < reasons; j++)
        {
            columns.Add(Enumerable.Range(0, n).Select(i => i < why.Length && j < why[i].Length ? why[i][j].ToString() : "").ToArray());
        }
        return new TableChunk(n, columns);
    }

    private static CustomerScores EmptyScores(ScoringModel model) =>
        new(new Dataset([], MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(0, model.Artifact.FeatureNames.Length), []), [], []);

    /// <summary><c>--base-rate R</c> (checked by the parser to lie in (0, 1)), or null when not given.</summary>
    public static double? BaseRate(ParseResult parse) => parse.Given(ChurnCommandLine.BaseRate) ? parse.GetValue(ChurnCommandLine.BaseRate) : null;

    /// <summary><c>--scaler MANIFEST</c> and <c>--scaled-inputs</c> as given (the verb refuses both at once).</summary>
    public static InputScaling Scaling(ParseResult parse) =>
        new(parse.GetValue(ChurnCommandLine.ScalerFile), parse.GetValue(ChurnCommandLine.ScaledInputs));
}
