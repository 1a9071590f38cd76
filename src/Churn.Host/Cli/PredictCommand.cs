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

        var scored = ModelArtifact.Load(modelDir).Bind(artifact =>
            CustomerCsv.Load(input, TargetPolicy.Optional).Map(loaded => Score(artifact, loaded.Data)));
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
