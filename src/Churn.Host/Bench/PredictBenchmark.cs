using System.Diagnostics;
using System.Globalization;
using Churn.Host.Cli;
using Churn.Host.Scores;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Host.Bench;

/// <summary>
/// <c>churn bench predict --model DIR [--rows N] [--repeats R]</c>: scoring throughput in-process once the model is
/// loaded, and load + scale + score + format of a generated file, as medians over repeats.
/// </summary>
public static class PredictBenchmark
{
    public static int Run(IReadOnlyList<string> args)
    {
        var parsed = Arguments.Parse("bench predict", args, ["model", "rows", "repeats", "csv"], []);
        if (parsed is not Result<Arguments>.Ok { Value: var a } || a.Get("model") is not { } modelDir)
        {
            Console.Error.WriteLine("usage: churn bench predict --model DIR [--rows N] [--repeats R] [--csv FILE]");
            return 2;
        }

        var rows = a.Int32("rows", 1, 50_000_000).Unwrap() ?? 1_000_000;
        var repeats = a.Int32("repeats", 1, 100).Unwrap() ?? 7;
        if (ModelArtifact.Load(modelDir) is not Result<ModelArtifact>.Ok { Value: var artifact })
        {
            Console.Error.WriteLine($"cannot load the model in {modelDir}");
            return 1;
        }

        var csv = a.Get("csv") ?? Path.Combine(Path.GetTempPath(), $"churn-bench-predict-{rows}.csv");
        if (!File.Exists(csv))
        {
            AtomicFile.Write(csv, stream => SyntheticCustomers.WriteCsv(stream, rows, 42)).Unwrap();
        }

        var data = CustomerCsv.Load(csv, TargetPolicy.Optional).Unwrap().Data;
        var scaled = Scaler.Apply(artifact.Scaler, data.Inputs);
        Scoring.Probabilities(artifact.Model, scaled); // warm-up: JIT and libtorch kernels

        var scoring = Median(repeats, () => Scoring.Probabilities(artifact.Model, scaled));
        var endToEnd = Median(repeats, () =>
        {
            var loaded = CustomerCsv.Load(csv, TargetPolicy.Optional).Unwrap().Data;
            ScoreLists.Scores(artifact.Score(loaded, artifact.Calibration.PopulationRate is null ? 0.16 : null).Unwrap());
        });

        var inv = CultureInfo.InvariantCulture;
        StandardOutput.Writer.WriteLine(string.Create(inv, $"rows                         {rows:N0}"));
        StandardOutput.Writer.WriteLine(string.Create(inv, $"scoring only (median of {repeats})  {scoring.TotalMilliseconds:F0} ms = {rows / scoring.TotalSeconds:N0} rows/s (target >= 1,000,000)"));
        StandardOutput.Writer.WriteLine(string.Create(inv, $"load+scale+score+format       {endToEnd.TotalMilliseconds:F0} ms"));
        return 0;
    }

    private static TimeSpan Median(int repeats, Action work)
    {
        var times = new List<TimeSpan>(repeats);
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            work();
            times.Add(clock.Elapsed);
        }

        times.Sort();
        return times[repeats / 2];
    }
}
