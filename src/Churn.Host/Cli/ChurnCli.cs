using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Host.Configuration;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;

namespace Churn.Host.Cli;

/// <summary>
/// The <c>churn</c> command line. Exit codes: 0 success, 1 bad input or a failed run (one clear line on stderr),
/// 2 a usage error, 130 cancelled with Ctrl-C. A stack trace is printed only with <c>--verbose</c>.
/// </summary>
public static class ChurnCli
{
    private const string Usage = """
        usage: churn <command> [options]

          run       prepare + train + evaluate + save: the main job
                    [--data CSV] [--out DIR] [--seed N] [--config FILE] [--balance first|random]
                    [--log-features none|skewed|NAME,...]
                    [--split 0.8,0.1,0.1] [--stratify] [--device auto|cpu|cuda|mps] [--json] [--timings] [--verbose]
          prepare   load, balance, standardize, shuffle, split and write the .npz files
                    [--data CSV] [--out DIR] [--seed N] [--config FILE] [--balance first|random]
                    [--log-features none|skewed|NAME,...] [--split 0.8,0.1,0.1] [--stratify] [--prefix NAME] [--verbose]
          train     train from three .npz files  --npz DIR [--prefix NAME] [--out DIR] [--seed N]
                    [--config FILE] [--device ...] [--json] [--verbose]
          predict   score customers  --model DIR --input CSV [--output CSV] [--scaler MANIFEST | --scaled-inputs] [--verbose]
          search    hyperparameter search, each trial an actor; writes leaderboard.csv, best.json, the winner's model
                    [--data CSV] [--out DIR] [--space FILE] [--trials N] [--parallel P] [--threads T] [--seeds K]
                    [--scheduler none|asha] [--seed N] [--host URL [--token T]] [--resume ID] [--config FILE] [--json] [--verbose]
                    (--trials counts configurations; each is trained with K seeds)
          host      serve the HTTP API: take runs, queue them, keep every run in the run store
                    [--port N] [--bind ADDR] [--store PATH] [--config FILE] [--trusted-network] [--verbose]
          logs      the actors' log lines  [--run ID] [--actor GLOB] [--level L] [--follow] [--dir DIR]

        'run' and 'prepare' take --host URL [--token T] to send the run to a host and follow it there
        (the token may also come from CHURN_API_TOKEN).

        Defaults come from config/churn.json beside the executable; --config FILE overrides them.
        """;

    private static readonly string[] PrepareOptions = ["data", "out", "seed", "config", "balance", "log-features", "split", "prefix", "device", "host", "token"];
    private static readonly string[] TrainOptions = ["npz", "prefix", "out", "seed", "config", "device"];
    private static readonly string[] PredictOptions = ["model", "input", "output", "scaler"];
    private static readonly string[] PredictFlags = ["verbose", "scaled-inputs"];
    private static readonly string[] RunFlags = ["stratify", "json", "verbose", "timings"];
    private static readonly string[] VerboseOnly = ["verbose"];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            StandardOutput.Writer.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        var verbose = args.Contains("--verbose");
        try
        {
            var rest = args[1..];
            return args[0] switch
            {
                "prepare" => await WithArguments("prepare", rest, PrepareOptions, RunFlags, a => PipelineAsync(a, RunMode.Prepare)),
                "run" => await WithArguments("run", rest, PrepareOptions, RunFlags, a => PipelineAsync(a, RunMode.Full)),
                "train" => await WithArguments("train", rest, TrainOptions, RunFlags, a => PipelineAsync(a, RunMode.TrainFromNpz)),
                "predict" => await WithArguments("predict", rest, PredictOptions, PredictFlags, a => Task.FromResult(PredictCommand.Run(a))),
                "search" => await WithArguments("search", rest, SearchCommand.Options, SearchCommand.Flags, SearchCommand.RunAsync),
                "host" => await WithArguments("host", rest, HostCommand.Options, HostCommand.Flags, HostCommand.RunAsync),
                "logs" => await WithArguments("logs", rest, LogsCommand.Options, LogsCommand.Flags, LogsCommand.RunAsync),
                "bench" => Bench.BenchCommand.Run(rest),
                _ => UsageError($"unknown command '{args[0]}'"),
            };
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine(verbose ? $"churn: internal error: {ex}" : $"churn: internal error: {ex.GetType().Name}: {ex.Message} (run with --verbose for details)");
            return 1;
        }
    }

    public static int Fail(Problem problem)
    {
        Console.Error.WriteLine($"churn: error: {problem}");
        return 1;
    }

    private static int UsageError(string message)
    {
        Console.Error.WriteLine($"churn: {message}");
        Console.Error.WriteLine("run 'churn --help' for the commands and their options");
        return 2;
    }

    private static async Task<int> WithArguments(string verb, string[] rest, string[] valued, string[] flags, Func<Arguments, Task<int>> command) =>
        Arguments.Parse(verb, rest, valued, flags) switch
        {
            Result<Arguments>.Ok ok => await command(ok.Value),
            Result<Arguments>.Error e => UsageError(e.Problem.Reason),
            _ => 2,
        };

    /// <summary>The configuration for this command: defaults, then <c>--config</c>, then flags.</summary>
    private static Result<ChurnConfig> Configure(Arguments a)
    {
        var seed = a.UInt64("seed");
        if (seed is Result<ulong?>.Error seedError)
        {
            return seedError.Problem;
        }

        return ChurnConfig.Load(a.Get("config")).Bind(c =>
        {
            c = c with
            {
                Data = a.Get("data") ?? c.Data,
                Out = a.Get("out") ?? c.Out,
                Prefix = a.Get("prefix") ?? c.Prefix,
                Seed = seed.Unwrap() ?? c.Seed,
                Stratify = a.Flags.Contains("stratify") || c.Stratify,
            };
            if (a.Get("balance") is { } balance)
            {
                if (!Enum.TryParse<BalanceStrategy>(balance, ignoreCase: true, out var strategy) || !Enum.IsDefined(strategy))
                {
                    return Result.Fail<ChurnConfig>($"--balance takes 'first' or 'random', not '{balance}'");
                }

                c = c with { Balance = strategy };
            }

            if (a.Get("log-features") is { } logFeatures)
            {
                var parsed = FeatureTransform.Parse(logFeatures);
                if (parsed is Result<ImmutableArray<string>>.Error logError)
                {
                    return Result.Fail<ChurnConfig>($"--log-features: {logError.Problem.Reason}");
                }

                c = c with { LogFeatures = parsed.Unwrap() };
            }

            if (a.Get("device") is { } device)
            {
                if (!Enum.TryParse<Numerics.Model.DeviceChoice>(device, ignoreCase: true, out var choice) || !Enum.IsDefined(choice))
                {
                    return Result.Fail<ChurnConfig>($"--device takes auto, cpu, cuda or mps, not '{device}'");
                }

                c = c with { Device = choice };
            }

            if (a.Get("split") is { } split)
            {
                return Splitter.ParseRatios(split).Match(
                    r => Result.Ok(c with { Split = r }),
                    p => Result.Fail<ChurnConfig>($"--split: {p.Reason}"));
            }

            return Result.Ok(c);
        });
    }

    private static async Task<int> PipelineAsync(Arguments a, RunMode mode)
    {
        if (mode == RunMode.TrainFromNpz && a.Get("npz") is null)
        {
            return UsageError("'churn train' needs --npz DIR (the folder with the three .npz files)");
        }

        if (a.Get("host") is { } host)
        {
            return await RemoteAsync(a, host, mode);
        }

        if (a.Get("token") is not null)
        {
            return UsageError("--token goes with --host");
        }

        var configured = Configure(a);
        if (configured is Result<ChurnConfig>.Error error)
        {
            return Fail(error.Problem);
        }

        var config = configured.Unwrap();
        var settings = config.ToRunSettings(mode, a.Get("npz"));
        var json = a.Flags.Contains("json");
        Console.Error.WriteLine(mode == RunMode.TrainFromNpz
            ? $"churn train: {settings.NpzDir} -> {settings.OutDir}"
            : $"churn {a.Verb}: {settings.DataPath} -> {settings.OutDir}");

        // libtorch takes a few hundred milliseconds to load; loading it while the data stages run hides that time.
        // Then, as training uses one core, the report renderer's first-use costs are paid on the other.
        var torchLoad = mode == RunMode.Prepare ? null : Task.Run(WarmUpTorch);
        var chartWarmUp = torchLoad is null ? Task.CompletedTask : torchLoad.ContinueWith(_ => WarmUpChart(), TaskScheduler.Default);
        var timings = a.Flags.Contains("timings");
        void Timing(string what, TimeSpan took)
        {
            if (timings)
            {
                Console.Error.WriteLine($"  timing    {what}: {took.TotalMilliseconds:F0} ms");
            }
        }

        Timing("process start to main", DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime);
        using var cancel = new CancellationTokenSource();
        using var signals = new CancelSignals("churn: cancelling…", cancel.Cancel);
        var outcome = await EmbeddedRun.ExecuteAsync(config, settings, a.Verbose, ConsoleOutput.Progress, cancel.Token, Timing);
        if (torchLoad is not null)
        {
            Timing("libtorch load (in parallel with the data stages)", await torchLoad);
        }

        await chartWarmUp;

        switch (outcome)
        {
            case RunSucceeded s when mode == RunMode.Prepare:
                ConsoleOutput.PrepareSummary(s.Outputs);
                return 0;
            case RunSucceeded s when json:
                StandardOutput.Writer.WriteLine(JsonNode.Parse(File.ReadAllText(s.Outputs.MetricsFile!))!.ToJsonString());
                return 0;
            case RunSucceeded s:
                ConsoleOutput.TrainingSummary(s.Outputs);
                return 0;
            case RunCancelled c:
                Console.Error.WriteLine($"churn: cancelled during {c.Stage}; files written before that stage are intact");
                return 130;
            case RunFailed f:
                Console.Error.WriteLine($"churn: error: stage {f.Stage}: {f.Reason}");
                return 1;
            default:
                return 1;
        }
    }

    private static async Task<int> RemoteAsync(Arguments a, string host, RunMode mode)
    {
        if (!Uri.TryCreate(host, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return UsageError($"--host takes a URL such as http://127.0.0.1:5080, not '{host}'");
        }

        var request = RemoteRun.Request(a, mode == RunMode.Prepare ? "prepare" : "run");
        if (request is Result<JsonObject>.Error error)
        {
            return Fail(error.Problem);
        }

        var token = a.Get("token") ?? Environment.GetEnvironmentVariable(RemoteRun.TokenVariable);
        return await RemoteRun.ExecuteAsync(host, token, request.Unwrap(), a.Flags.Contains("json"));
    }

    private static TimeSpan WarmUpTorch()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var probe = TorchSharp.torch.zeros(1);
        return clock.Elapsed;
    }

    private static void WarmUpChart()
    {
        try
        {
            ReportChart.WarmUp();
        }
        catch (Exception)
        {
            // Only a head start: if rendering cannot work here, the save stage reports it properly.
        }
    }

    /// <summary>The metrics of a finished run as one JSON object, for <c>--json</c> and the HTTP API.</summary>
    public static string MetricsJson(RunMetrics metrics) => JsonSerializer.Serialize(metrics, JsonFormat.Options);
}
