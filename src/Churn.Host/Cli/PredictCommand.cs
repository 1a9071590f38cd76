using System.Buffers.Text;
using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using System.Text;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Drift;
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
        var input = parse.GetRequiredValue(ChurnCommandLine.Input);
        var output = parse.GetValue(ChurnCommandLine.Output);
        if (output is not null && Path.GetFullPath(output) == Path.GetFullPath(input))
        {
            return ChurnCli.Fail(new Problem("--output would overwrite the input file", output));
        }
        if (ScoringModel.ScalingUsage(parse, "predict") is { } usage)
        {
            return usage;
        }
        int? reasons = parse.Given(ChurnCommandLine.Reasons) ? parse.GetValue(ChurnCommandLine.Reasons) : null;
        var loaded = ScoringModel.Load(parse).Bind(model => reasons is { } k
            ? ReasonsFor(model.Artifact, model.Directory, PredictCommand.InputScaling.ModelsOwn with { ScaledInputs = true }, EmptyScores(model), [], k, model.BaseRate).Map(_ => model)
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
            drift = drift is null ? null : new { level = drift.Level, moved = drift.Moved.Select(l => l.Describe()) },
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
