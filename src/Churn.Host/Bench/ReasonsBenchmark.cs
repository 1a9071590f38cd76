using System.Diagnostics;
using System.Globalization;
using Churn.Host.Cli;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Explanation;
using Churn.Numerics.Model;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Host.Bench;

/// <summary>
/// <c>churn bench reasons --model DIR --input CSV [--customers N] [--seed S]</c>: how often the fast reasons the host
/// gives by default (<see cref="ReasonTable"/>) are the exact ones (<c>churn predict --reasons</c>), on N customers of
/// the file drawn with the seed, leaving out any equal to a customer the table was fitted on; and what each costs.
/// </summary>
public static class ReasonsBenchmark
{
    public static int Run(IReadOnlyList<string> args)
    {
        var parsed = Arguments.Parse("bench reasons", args, ["model", "input", "customers", "seed"], []);
        if (parsed is not Result<Arguments>.Ok { Value: var a } || a.Get("model") is not { } modelDir || a.Get("input") is not { } input)
        {
            Console.Error.WriteLine("usage: churn bench reasons --model DIR --input CSV [--customers N] [--seed S]");
            return 2;
        }
        var wanted = a.Int32("customers", 1, 100_000).Unwrap() ?? 2_000;
        var seed = (ulong)(a.Int32("seed", 0, int.MaxValue).Unwrap() ?? 0);
        var model = ModelArtifact.Load(modelDir).Unwrap();
        var background = Explained.Background(model, null, null, DataLimits.Default).Unwrap();

        var clock = Stopwatch.StartNew();
        var table = ReasonTable.ForModel(model, background).Unwrap();
        var fitted = clock.Elapsed;

        var scaled = Scaler.Apply(model.Scaler, CustomerCsv.Load(input, TargetPolicy.Optional).Unwrap().Data.Inputs);
        var fittedOn = model.Background!.Take(BackgroundSample.StoredSize).ToRowArrays().Select(r => string.Join(",", r)).ToHashSet();
        var heldOut = SeededRandom.Permutation(scaled.RowCount, seed)
            .Where(r => !fittedOn.Contains(string.Join(",", scaled.Row(r).ToArray())))
            .Take(wanted)
            .ToArray();
        var customers = Matrix<double>.Build.Dense(heldOut.Length, scaled.ColumnCount, (r, c) => scaled.At(heldOut[r], c));

        clock.Restart();
        var exact = Shapley.Exact(Shapley.CalibratedLogOdds(model), customers, background);
        var exactTime = clock.Elapsed;
        clock.Restart();
        var fast = table.Explain(customers, exact.LogOdds);
        var fastTime = clock.Elapsed;

        var inv = CultureInfo.InvariantCulture;
        var output = StandardOutput.Writer;
        output.WriteLine(string.Create(inv, $"table      fitted on the exact values of {table.Customers} saved customers against {background.Total} in {fitted.TotalMilliseconds:F0} ms"));
        output.WriteLine(string.Create(inv, $"customers  {heldOut.Length:N0} of {scaled.RowCount:N0} (seed {seed}), none equal to a customer the table was fitted on"));
        output.WriteLine(string.Create(inv, $"exact      {exactTime.TotalMilliseconds / heldOut.Length:F3} ms a customer (all cores)"));
        output.WriteLine(string.Create(inv, $"fast       {fastTime.TotalMilliseconds * 1000 / heldOut.Length:F3} us a customer (one core)"));
        foreach (var count in new[] { 1, 3, 5 })
        {
            var f = ReasonFidelity.Measure(exact.Contributions, fast.Contributions, count);
            output.WriteLine(string.Create(inv,
                $"{count} reasons  first reason {f.FirstReason:P1}, same set {f.SameReasons:P1}, same order {f.SameOrder:P1}, overlap {f.Overlap:P1}, same direction {f.SameSign:P1}, mean |error| {f.MeanAbsError:F3} of mean |contribution| {f.MeanAbsContribution:F3} log-odds"));
        }
        return 0;
    }
}
