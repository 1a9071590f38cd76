using System.Diagnostics;
using System.Globalization;
using Churn.Host.Cli;
using Churn.Numerics;
using Churn.Numerics.Data;

namespace Churn.Host.Bench;

/// <summary>
/// <c>churn bench prepare</c>: loads and prepares synthetic customer files of 100k and 1M rows in this process and
/// prints the median wall time, the parsed matrix size and the peak memory, to check that preparation stays linear in
/// rows, fast (1M rows in at most 2 s) and lean (peak at most 4x the parsed matrix). See bench/README.md.
/// </summary>
public static class PrepareBenchmark
{
    private const string Usage =
        "usage: churn bench prepare [--rows 100000,1000000] [--runs 5] [--dir DIR] [--seed 1] [--balance first|random] [--stratify]";

    private sealed record Options(IReadOnlyList<int> Rows, int Runs, string Directory, ulong Seed, PrepareOptions Prepare);

    private sealed record Measurement(double LoadSeconds, double TotalSeconds, long PeakGrowthBytes, long PeakBytes, long AllocatedBytes);

    public static int Run(IReadOnlyList<string> args)
    {
        var parsed = Parse(args);
        if (parsed is Result<Options>.Error error)
        {
            Console.Error.WriteLine($"churn bench prepare: {error.Problem.Reason}");
            Console.Error.WriteLine(Usage);
            return 2;
        }
        var options = parsed.Unwrap();
        // What the runtime itself occupies before any data: peaks are reported above this line.
        var baseline = ProcStatus("VmRSS");
        Directory.CreateDirectory(options.Directory);
        var resettable = TryResetPeak();
        StandardOutput.Writer.WriteLine($"prepare benchmark: load CSV + balance ({options.Prepare.Balance}) + scale + split " +
            $"({Ratios(options.Prepare.Ratios)}{(options.Prepare.Stratify ? ", stratified" : "")}), {options.Runs} runs after 1 warm-up, " +
            $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}");
        if (!resettable)
        {
            StandardOutput.Writer.WriteLine("note: /proc/self/clear_refs is not writable, so peak memory is the process peak so far, not per run");
        }

        var medians = new List<(int Rows, double Seconds)>();
        foreach (var rows in options.Rows)
        {
            var path = Path.Combine(options.Directory, $"synthetic-{rows}-seed{options.Seed}.csv");
            if (!File.Exists(path))
            {
                StandardOutput.Writer.WriteLine($"generating {path} ...");
                if (AtomicFile.Write(path, stream => SyntheticCustomers.WriteCsv(stream, rows, options.Seed)) is Result<string>.Error failed)
                {
                    Console.Error.WriteLine(failed.Problem);
                    return 1;
                }
            }
            var runs = new List<Measurement>();
            for (var run = 0; run <= options.Runs; run++)
            {
                var measured = Measure(path, options.Prepare, baseline);
                if (measured is Result<Measurement>.Error problem)
                {
                    Console.Error.WriteLine(problem.Problem);
                    return 1;
                }
                if (run > 0)
                {
                    runs.Add(measured.Unwrap());
                }
            }
            var matrixBytes = (long)rows * Schema.FeatureCount * sizeof(double);
            var total = Median(runs.Select(r => r.TotalSeconds));
            var peakGrowth = runs.Max(r => r.PeakGrowthBytes);
            medians.Add((rows, total));
            StandardOutput.Writer.WriteLine(
                $"{rows,9:N0} rows ({new FileInfo(path).Length / 1e6:F1} MB): median {total:F3} s (load {Median(runs.Select(r => r.LoadSeconds)):F3} s), " +
                $"min {runs.Min(r => r.TotalSeconds):F3} s, max {runs.Max(r => r.TotalSeconds):F3} s");
            StandardOutput.Writer.WriteLine(
                $"{"",9}  matrix {Mb(matrixBytes)}; peak RSS above the runtime's own {Mb(baseline)}: {Mb(peakGrowth)} = " +
                $"{(double)peakGrowth / matrixBytes:F2}x the matrix (process peak {Mb(runs.Max(r => r.PeakBytes))}); allocated {Mb((long)Median(runs.Select(r => (double)r.AllocatedBytes)))} per run");
        }
        for (var i = 1; i < medians.Count; i++)
        {
            StandardOutput.Writer.WriteLine(
                $"time ratio {medians[i].Rows:N0}/{medians[i - 1].Rows:N0} rows: {medians[i].Seconds / medians[i - 1].Seconds:F2} " +
                $"(linear: {(double)medians[i].Rows / medians[i - 1].Rows:F2})");
        }
        return 0;
    }

    private static Result<Measurement> Measure(string path, PrepareOptions options, long baseline)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        TryResetPeak();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var loaded = CustomerCsv.Load(path);
        var load = clock.Elapsed.TotalSeconds;
        var prepared = loaded.Bind(l => Preparation.Prepare(l, options));
        var total = clock.Elapsed.TotalSeconds;
        var peak = ProcStatus("VmHWM");
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        GC.KeepAlive(prepared);
        return prepared.Map(_ => new Measurement(load, total, Math.Max(0, peak - baseline), peak, allocated));
    }

    /// <summary>Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+), so each run gets its own peak.</summary>
    private static bool TryResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A memory line of /proc/self/status (kB) in bytes; 0 where there is no procfs.</summary>
    private static long ProcStatus(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(key + ":", StringComparison.Ordinal))
                {
                    var kb = line[(key.Length + 1)..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
        return 0;
    }

    private static Result<Options> Parse(IReadOnlyList<string> args)
    {
        var options = new Options([100_000, 1_000_000], 5, Path.Combine(Path.GetTempPath(), "churn-bench"), 1,
            PrepareOptions.Default with { Balance = BalanceStrategy.Random });
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            switch (args[i])
            {
                case "--rows" when value is not null:
                    var rows = value.Split(',').Select(r => int.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).ToList();
                    if (rows.Any(r => r <= 0))
                    {
                        return Result.Fail<Options>($"--rows needs positive whole numbers, got '{value}'");
                    }
                    options = options with { Rows = rows };
                    i++;
                    break;
                case "--runs" when value is not null:
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var runs) || runs < 1)
                    {
                        return Result.Fail<Options>($"--runs needs a whole number of at least 1, got '{value}'");
                    }
                    options = options with { Runs = runs };
                    i++;
                    break;
                case "--dir" when value is not null:
                    options = options with { Directory = value };
                    i++;
                    break;
                case "--seed" when value is not null:
                    if (!ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seed))
                    {
                        return Result.Fail<Options>($"--seed needs a whole number, got '{value}'");
                    }
                    options = options with { Seed = seed, Prepare = options.Prepare with { Seed = seed } };
                    i++;
                    break;
                case "--balance" when value is not null:
                    if (!Enum.TryParse<BalanceStrategy>(value, ignoreCase: true, out var balance) || !Enum.IsDefined(balance))
                    {
                        return Result.Fail<Options>($"--balance is first or random, got '{value}'");
                    }
                    options = options with { Prepare = options.Prepare with { Balance = balance } };
                    i++;
                    break;
                case "--stratify":
                    options = options with { Prepare = options.Prepare with { Stratify = true } };
                    break;
                default:
                    return Result.Fail<Options>($"unknown or incomplete option '{args[i]}'");
            }
        }
        return Result.Ok(options);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Mb(long bytes) => $"{bytes / 1e6:F1} MB";

    private static string Ratios(SplitRatios r) => string.Create(CultureInfo.InvariantCulture, $"{r.Train}/{r.Validation}/{r.Test}");
}
