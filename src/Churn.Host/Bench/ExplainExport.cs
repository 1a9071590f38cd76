using System.Text.Json;
using Churn.Host.Cli;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Host.Bench;

/// <summary>
/// <c>churn bench explain-export --model DIR --input CSV --out FILE [--customers N] [--background-size B]</c>: what an
/// outside explainer needs to explain the model's calibrated log-odds as <c>churn explain</c> does: the network's
/// layers, its calibration, the first B rows of the background saved with the model and the first N customers of the
/// file, both scaled as the model scales. bench/explain.sh hands it to Python's shap.
/// </summary>
public static class ExplainExport
{
    private sealed record Layer(int Inputs, int Outputs, float[] Weight, float[] Bias);

    private sealed record Export(
        string Activation, Layer[] Layers, double Slope, double Intercept, double Epsilon, double[][] Background, long[] Ids, double[][] Customers);

    public static int Run(IReadOnlyList<string> args)
    {
        var parsed = Arguments.Parse("bench explain-export", args, ["model", "input", "out", "customers", "background-size"], []);
        if (parsed is not Result<Arguments>.Ok { Value: var a } || a.Get("model") is not { } modelDir || a.Get("input") is not { } input || a.Get("out") is not { } output)
        {
            Console.Error.WriteLine("usage: churn bench explain-export --model DIR --input CSV --out FILE [--customers N] [--background-size B]");
            return 2;
        }
        var customers = a.Int32("customers", 1, 1_000_000).Unwrap() ?? 100;
        var size = a.Int32("background-size", 1, 100_000).Unwrap() ?? BackgroundSample.DefaultSize;
        var model = ModelArtifact.Load(modelDir).Unwrap();
        if (model.Members is { IsDefaultOrEmpty: false } || model.Background is null)
        {
            Console.Error.WriteLine("the export covers a single network saved with a background sample");
            return 1;
        }
        var data = CustomerCsv.Load(input, TargetPolicy.Optional).Unwrap().Data;
        var n = Math.Min(customers, data.Rows);
        var scaled = Scaler.Apply(model.Scaler, data.Inputs.SubMatrix(0, n, 0, data.Inputs.ColumnCount));
        var export = new Export(
            model.Model.Config.Activation.ToString().ToLowerInvariant(),
            [.. model.Model.Layers.Select(l => new Layer(l.Inputs, l.Outputs, [.. l.Weight], [.. l.Bias]))],
            model.Calibration.Slope,
            model.Calibration.Intercept,
            Numerics.Evaluation.Calibration.Epsilon,
            model.Background.Take(size).ToRowArrays(),
            [.. data.Ids.Take(n)],
            scaled.ToRowArrays());
        File.WriteAllBytes(output, JsonSerializer.SerializeToUtf8Bytes(export, JsonFormat.Options));
        return 0;
    }
}
