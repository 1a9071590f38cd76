using System.Buffers.Text;
using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using System.Text;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Explanation;
using Churn.Numerics.Model;

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
        var scored = loaded.Bind(model => Score(model, modelDir, input, baseRate, scaling).Bind(scores =>
            reasons is { } count
                ? ReasonsFor(model, modelDir, scaling, scores, [.. Enumerable.Range(0, scores.Customers.Rows)], count, baseRate).Map(r => (scores, r))
                : Result.Ok((scores, ImmutableArray<ImmutableArray<Reason>>.Empty))));
        if (scored is Result<(CustomerScores, ImmutableArray<ImmutableArray<Reason>>)>.Error error)
        {
            return ChurnCli.Fail(error.Problem);
        }

        var (scores, why) = scored.Unwrap();
        var model = loaded.Unwrap();
        var drift = DriftCommand.Check(model, scores, scaling.ScaledInputs);
        var csv = reasons is { } k ? WithReasons(Format(scores), why, k) : Format(scores);
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

    /// <summary>How raw customer values become the model's inputs: the model's own scaler unless the user gives <c>--scaler</c> or <c>--scaled-inputs</c>.</summary>
    public sealed record InputScaling(string? ScalerFile = null, bool ScaledInputs = false)
    {
        public static readonly InputScaling ModelsOwn = new();
    }

    /// <summary><c>--scaler MANIFEST</c> and <c>--scaled-inputs</c> as given (the verb refuses both at once).</summary>
    public static InputScaling Scaling(ParseResult parse) =>
        new(parse.GetValue(ChurnCommandLine.ScalerFile), parse.GetValue(ChurnCommandLine.ScaledInputs));

    /// <summary>
    /// The scaler to score with: the model's own; the one in <paramref name="scalerFile"/> (a <c>manifest.json</c> of
    /// prepared splits); or none when the inputs are already standardized. A model trained from <c>.npz</c> files
    /// without a recorded scaler has no scaler of its own, and scoring raw customers with it would be silently wrong.
    /// </summary>
    public static Result<ModelArtifact> WithScaler(ModelArtifact artifact, string modelDir, string? scalerFile, bool scaledInputs)
    {
        if (scaledInputs)
        {
            return Result.Ok(artifact with { Scaler = Scaler.Identity(artifact.FeatureNames) });
        }
        if (scalerFile is not null)
        {
            return Preparation.ReadManifest(scalerFile).Bind(manifest =>
                manifest.Scaler.Means.Length == artifact.FeatureNames.Length
                    ? Result.Ok(artifact with { Scaler = manifest.Scaler, ScalerKnown = true })
                    : Result.Fail<ModelArtifact>($"its scaler has {manifest.Scaler.Means.Length} features; the model takes {artifact.FeatureNames.Length}", scalerFile));
        }
        return artifact.ScalerKnown
            ? Result.Ok(artifact)
            : new Problem(
                "the model was trained from .npz files that recorded no scaler (no manifest.json beside them), so it cannot scale raw customer data: " +
                "give --scaler with the manifest.json of the preparation that standardized them, or --scaled-inputs if the input file is already standardized",
                modelDir);
    }

    /// <summary>
    /// Loads the model and the customer file and scores every customer; a model without a scaler of its own refuses
    /// raw customers unless <paramref name="scaling"/> gives one or says the inputs are standardized already.
    /// </summary>
    public static Result<CustomerScores> Load(string modelDir, string input, double? baseRate, InputScaling scaling) =>
        ModelArtifact.Load(modelDir).Bind(artifact => Score(artifact, modelDir, input, baseRate, scaling));

    /// <summary>Scores the customer file <paramref name="input"/> with a loaded model, as <see cref="Load"/> does.</summary>
    public static Result<CustomerScores> Score(ModelArtifact model, string modelDir, string input, double? baseRate, InputScaling scaling) =>
        WithScaler(model, modelDir, scaling.ScalerFile, scaling.ScaledInputs).Bind(artifact =>
            CustomerCsv.Load(input, TargetPolicy.Optional, standardized: scaling.ScaledInputs).Bind(loaded =>
                artifact.Score(loaded.Data, baseRate).Match(
                    Result.Ok,
                    problem => Result.Fail<CustomerScores>(problem with { File = problem.File ?? Path.Combine(modelDir, ModelArtifact.ManifestFile) }))));

    /// <summary>
    /// The <paramref name="count"/> strongest reasons of the customers at <paramref name="rows"/> (see
    /// <see cref="Explained.TopReasons"/>), with the model scaled as it scored them.
    /// </summary>
    public static Result<ImmutableArray<ImmutableArray<Reason>>> ReasonsFor(
        ModelArtifact model, string modelDir, InputScaling scaling, CustomerScores scores, IReadOnlyList<int> rows, int count, double? baseRate) =>
        WithScaler(model, modelDir, scaling.ScalerFile, scaling.ScaledInputs)
            .Bind(scaled => Explained.TopReasons(scaled, scores.Customers.Inputs, rows, count, baseRate))
            .Match(Result.Ok, problem => Result.Fail<ImmutableArray<ImmutableArray<Reason>>>(problem with { File = problem.File ?? Path.Combine(modelDir, ModelArtifact.ManifestFile) }));

    /// <summary>A CSV with columns <c>reason_1</c> .. <c>reason_K</c> added: line i + 1 gets <paramref name="reasons"/>[i] (empty when there are fewer lines of reasons).</summary>
    public static byte[] WithReasons(byte[] csv, IReadOnlyList<ImmutableArray<Reason>> reasons, int count)
    {
        var lines = Encoding.ASCII.GetString(csv).Split('\n');
        var text = new StringBuilder(csv.Length + (reasons.Count * count * 48));
        text.Append(lines[0]).Append(string.Concat(Enumerable.Range(1, count).Select(i => $",reason_{i}"))).Append('\n');
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }
            text.Append(lines[i]);
            var why = i - 1 < reasons.Count ? reasons[i - 1] : [];
            for (var j = 0; j < count; j++)
            {
                text.Append(',').Append(j < why.Length ? why[j].ToString() : "");
            }
            text.Append('\n');
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>
    /// One line per customer: id, calibrated probability, the network's uncalibrated score (the original notebook's
    /// output, for comparison), both with 6 decimals, and the class at probability 0.5.
    /// </summary>
    public static byte[] Format(CustomerScores scores)
    {
        var ids = scores.Customers.Ids;
        var probabilities = scores.Probabilities;
        var buffer = new byte[Header.Length + (probabilities.Length * 56)];
        var n = Encoding.ASCII.GetBytes(Header, buffer);
        var format = new System.Buffers.StandardFormat('F', 6);
        for (var i = 0; i < probabilities.Length; i++)
        {
            Utf8Formatter.TryFormat(ids[i], buffer.AsSpan(n), out var w);
            n += w;
            buffer[n++] = (byte)',';
            Utf8Formatter.TryFormat(probabilities[i], buffer.AsSpan(n), out w, format);
            n += w;
            buffer[n++] = (byte)',';
            Utf8Formatter.TryFormat(scores.Raw[i], buffer.AsSpan(n), out w, format);
            n += w;
            buffer[n++] = (byte)',';
            buffer[n++] = probabilities[i] >= 0.5 ? (byte)'1' : (byte)'0';
            buffer[n++] = (byte)'\n';
        }

        return buffer[..n];
    }
}
