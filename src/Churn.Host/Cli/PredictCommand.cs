using System.Buffers.Text;
using System.Collections.Immutable;
using System.CommandLine;
using System.Text;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Host.Cli;

/// <summary>
/// <c>churn predict</c>: scores customers with a saved model. The input is validated like the training file (target
/// optional); the model's stored scaler is applied before scoring.
/// </summary>
public static class PredictCommand
{
    public const string Header = "customer_id,probability,predicted\n";

    public static int Run(ParseResult parse)
    {
        var modelDir = parse.GetRequiredValue(ChurnCommandLine.Model);
        var input = parse.GetRequiredValue(ChurnCommandLine.Input);
        var output = parse.GetValue(ChurnCommandLine.Output);
        if (output is not null && Path.GetFullPath(output) == Path.GetFullPath(input))
        {
            return ChurnCli.Fail(new Problem("--output would overwrite the input file", output));
        }

        var scaledInputs = parse.GetValue(ChurnCommandLine.ScaledInputs);
        var scalerFile = parse.GetValue(ChurnCommandLine.ScalerFile);
        if (scaledInputs && scalerFile is not null)
        {
            return ChurnCommandLine.Usage("--scaler and --scaled-inputs exclude each other: give the scaler, or say the input needs none", "predict");
        }

        var scored = ModelArtifact.Load(modelDir)
            .Bind(artifact => WithScaler(artifact, modelDir, scalerFile, scaledInputs))
            .Bind(artifact => CustomerCsv.Load(input, TargetPolicy.Optional, standardized: scaledInputs).Map(loaded => Score(artifact, loaded.Data)));
        if (scored is Result<(Dataset Data, ImmutableArray<double> P)>.Error error)
        {
            return ChurnCli.Fail(error.Problem);
        }

        var (data, probabilities) = scored.Unwrap();
        var csv = Format(data.Ids, probabilities);
        if (output is null)
        {
            using var stdout = Console.OpenStandardOutput();
            stdout.Write(csv);
            return 0;
        }

        if (AtomicFile.Write(output, csv) is Result<string>.Error writeError)
        {
            return ChurnCli.Fail(writeError.Problem);
        }

        var buyers = probabilities.Count(p => p >= 0.5);
        Console.Error.WriteLine($"churn predict: scored {probabilities.Length:N0} customers ({buyers:N0} predicted to buy again) -> {output}");
        return 0;
    }

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

    /// <summary>Scales with the model's own scaler, then scores.</summary>
    public static (Dataset Data, ImmutableArray<double> P) Score(ModelArtifact artifact, Dataset data) =>
        (data, Scoring.Probabilities(artifact.Model, Scaler.Apply(artifact.Scaler, data.Inputs)));

    /// <summary>One line per customer: id, probability (6 decimals), predicted class at 0.5.</summary>
    public static byte[] Format(ImmutableArray<long> ids, ImmutableArray<double> probabilities)
    {
        var buffer = new byte[Header.Length + (probabilities.Length * 40)];
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
            buffer[n++] = probabilities[i] >= 0.5 ? (byte)'1' : (byte)'0';
            buffer[n++] = (byte)'\n';
        }

        return buffer[..n];
    }
}
