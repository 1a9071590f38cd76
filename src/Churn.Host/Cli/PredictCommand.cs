using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using Churn.Host.Scores;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Explanation;

namespace Churn.Host.Cli;

/// <summary>
/// <c>churn predict</c>: scores customers with a saved model. The input is validated like the training file (target
/// optional); the model's stored scaler is applied before scoring, and its calibration turns the network's score into
/// P(buys again) for the population the model came from (or one with the rate <c>--base-rate</c> gives).
/// </summary>
public static class PredictCommand
{
    public static int Run(ParseResult parse)
    {
        var resolved = ModelReference.Resolve(parse, parse.GetRequiredValue(ChurnCommandLine.Model));
        if (resolved is Result<ModelReference.Resolved>.Error unresolved)
        {
            return ChurnCli.Fail(unresolved.Problem);
        }
        var modelDir = resolved.Unwrap().Directory;
        var input = parse.GetRequiredValue(ChurnCommandLine.Input);
        var output = parse.GetValue(ChurnCommandLine.Output);
        if (output is not null && Path.GetFullPath(output) == Path.GetFullPath(input))
        {
            return ChurnCli.Fail(new Problem("--output would overwrite the input file", output));
        }

        var scaling = Scaling(parse);
        if (scaling is { ScalerFile: not null, ScaledInputs: true })
        {
            return ChurnCommandLine.Usage("--scaler and --scaled-inputs exclude each other: give the scaler, or say the input needs none", "predict");
        }

        int? reasons = parse.Given(ChurnCommandLine.Reasons) ? parse.GetValue(ChurnCommandLine.Reasons) : null;
        var baseRate = BaseRate(parse);
        var loaded = ModelArtifact.Load(modelDir);
        var scored = loaded.Bind(model => CustomerScoring.Score(model, modelDir, input, baseRate, scaling).Bind(scores =>
            reasons is { } count
                ? CustomerScoring.ReasonsFor(model, modelDir, scaling, scores, [.. Enumerable.Range(0, scores.Customers.Rows)], count, baseRate).Map(r => (scores, r))
                : Result.Ok((scores, ImmutableArray<ImmutableArray<Reason>>.Empty))));
        if (scored is Result<(CustomerScores, ImmutableArray<ImmutableArray<Reason>>)>.Error error)
        {
            return ChurnCli.Fail(error.Problem);
        }

        var (scores, why) = scored.Unwrap();
        var model = loaded.Unwrap();
        var drift = DriftCommand.Check(model, scores, scaling.ScaledInputs);
        var csv = reasons is { } k ? ScoreLists.WithReasons(ScoreLists.Scores(scores), why, k) : ScoreLists.Scores(scores);
        ModelReference.Record(resolved.Unwrap(), "predict", input, new
        {
            customers = scores.Probabilities.Length,
            meanProbability = scores.Probabilities.Length == 0 ? 0 : scores.Probabilities.Average(),
            drift = drift is null ? null : new { level = drift.Level, moved = drift.Moved.Select(l => l.Describe()) },
        });
        if (output is null)
        {
            using var stdout = Console.OpenStandardOutput();
            stdout.Write(csv);
            DriftCommand.Warn("predict", model, drift, scaling.ScaledInputs, Console.Error);
            return 0;
        }

        if (AtomicFile.Write(output, csv) is Result<string>.Error writeError)
        {
            return ChurnCli.Fail(writeError.Problem);
        }

        var p = scores.Probabilities;
        Console.Error.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"churn predict: scored {p.Length:N0} customers: {p.Sum():N0} buyers expected (mean probability {(p.Length == 0 ? 0 : p.Average()):F4}), {p.Count(x => x >= 0.5):N0} at probability 0.5 or more -> {output}"));
        DriftCommand.Warn("predict", model, drift, scaling.ScaledInputs, Console.Error);
        return 0;
    }

    /// <summary><c>--base-rate R</c> (checked by the parser to lie in (0, 1)), or null when not given.</summary>
    public static double? BaseRate(ParseResult parse) => parse.Given(ChurnCommandLine.BaseRate) ? parse.GetValue(ChurnCommandLine.BaseRate) : null;

    /// <summary><c>--scaler MANIFEST</c> and <c>--scaled-inputs</c> as given (the verb refuses both at once).</summary>
    public static InputScaling Scaling(ParseResult parse) =>
        new(parse.GetValue(ChurnCommandLine.ScalerFile), parse.GetValue(ChurnCommandLine.ScaledInputs));
}
