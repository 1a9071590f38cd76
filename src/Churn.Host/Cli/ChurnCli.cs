using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Host.Configuration;
using Churn.Host.Logging;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Files;

namespace Churn.Host.Cli;

/// <summary>
/// The pipeline verbs (<c>run</c>, <c>prepare</c>, <c>train</c>) of the <c>churn</c> command line, defined in
/// <see cref="ChurnCommandLine"/>. Exit codes: 0 success, 1 bad input or a failed run (one clear line on stderr),
/// 2 a usage error, 130 cancelled with Ctrl-C. A stack trace is printed only with <c>--verbose</c>.
/// </summary>
public static class ChurnCli
{
    public static int Fail(Problem problem)
    {
        Console.Error.WriteLine($"churn: error: {ConsoleText.Printable(problem.ToString())}");
        return 1;
    }

    /// <summary>
    /// The run a pipeline verb asks for: the <c>--config</c> file's run fields, then the flags given (see
    /// <see cref="ChurnCommandLine.RunFields"/>), as the same <see cref="RunRequest"/> a <c>POST /runs</c> body becomes.
    /// </summary>
    public static Result<RunRequest> Request(ParseResult parse, RunMode mode)
    {
        var fields = new JsonObject();
        if (parse.GetValue(ChurnCommandLine.Config) is { } file)
        {
            // Only the file's own run fields: the shipped defaults it is laid over are not the request's.
            var read = ChurnConfig.ReadFile(file);
            if (read is Result<JsonObject>.Error error)
            {
                return error.Problem;
            }

            var own = read.Unwrap();
            foreach (var (key, value) in own)
            {
                if (RunRequest.RunFields.Contains(key, StringComparer.OrdinalIgnoreCase))
                {
                    fields[key] = value?.DeepClone();
                }
            }
        }

        var request = RunRequest.Of(mode, fields, mode == RunMode.TrainFromNpz ? parse.GetValue(ChurnCommandLine.Npz) : null);
        var options = parse.CommandResult.Command.Options;
        foreach (var (option, field) in ChurnCommandLine.RunFields)
        {
            if (options.Contains(option) && parse.Given(option))
            {
                request = request.With(field, ChurnCommandLine.ValueOf(parse, option));
            }
        }

        return Result.Ok(request);
    }

    /// <summary>
    /// A problem in the request resolved from the command line: a field a flag set is that flag's usage error (exit 2),
    /// anything else the named file's (exit 1).
    /// </summary>
    public static int Report(Problem problem, ParseResult parse, IEnumerable<(Option Option, string Field)> fields) =>
        FlagOf(problem, parse, fields) is { } flag
            ? ChurnCommandLine.Usage($"{flag.Name}: {problem.Reason}", parse.CommandResult.Command.Name)
            : Fail(problem);

    /// <summary>
    /// Every one of <paramref name="problems"/> as <see cref="Report"/> tells one, the pointer to <c>--help</c> once at
    /// the end: a usage error (2) when a flag is at fault, else 1.
    /// </summary>
    public static int ReportAll(IReadOnlyList<Problem> problems, ParseResult parse, IEnumerable<(Option Option, string Field)> fields)
    {
        var usage = false;
        foreach (var problem in problems)
        {
            if (FlagOf(problem, parse, fields) is { } flag)
            {
                Console.Error.WriteLine($"churn: {ConsoleText.Printable($"{flag.Name}: {problem.Reason}")}");
                usage = true;
            }
            else
            {
                Fail(problem);
            }
        }
        if (usage)
        {
            Console.Error.WriteLine($"run 'churn {parse.CommandResult.Command.Name} --help' for its options");
        }
        return usage ? 2 : 1;
    }

    /// <summary>The flag given on the command line that set the field <paramref name="problem"/> names, if one did.</summary>
    private static Option? FlagOf(Problem problem, ParseResult parse, IEnumerable<(Option Option, string Field)> fields)
    {
        var verb = parse.CommandResult.Command;
        return fields.FirstOrDefault(f => verb.Options.Contains(f.Option) && parse.Given(f.Option)
            && (string.Equals(f.Field, problem.Column, StringComparison.OrdinalIgnoreCase) || (problem.Column?.StartsWith(f.Field + "[", StringComparison.OrdinalIgnoreCase) ?? false))).Option;
    }

    internal static async Task<int> PipelineAsync(ParseResult parse, RunMode mode)
    {
        var atVerb = StartupClock.SinceMain;
        var verb = parse.CommandResult.Command.Name;
        var configFile = parse.GetValue(ChurnCommandLine.Config);
        var loaded = ChurnConfig.LoadNode(configFile).Bind(node => ChurnConfig.FromNode(node, configFile ?? ChurnConfig.DefaultPath).Map(_ => node));
        if (loaded is Result<JsonNode>.Error loadError)
        {
            return Fail(loadError.Problem);
        }

        var requested = Request(parse, mode);
        if (requested is Result<RunRequest>.Error requestError)
        {
            return Fail(requestError.Problem);
        }

        var request = requested.Unwrap();
        // Checked here by the code the host runs too, so a bad flag is the same usage error with or without --host.
        var resolved = request.Resolve(loaded.Unwrap());
        if (resolved is Result<(ChurnConfig, RunSettings)>.Error resolveError)
        {
            return Report(resolveError.Problem, parse, ChurnCommandLine.RunFields);
        }

        var labelled = new RunLabels(parse.GetValue(ChurnCommandLine.RunName), [.. parse.GetValue(ChurnCommandLine.Tag) ?? []], null, false).Check();
        if (labelled is Result<RunLabels>.Error labelError)
        {
            return ChurnCommandLine.Usage($"--{(labelError.Problem.Column == "tags" ? "tag" : labelError.Problem.Column)}: {labelError.Problem.Reason}", verb);
        }

        var labels = labelled.Unwrap();
        var verbose = parse.GetValue(ChurnCommandLine.Verbose);
        var json = parse.GetValue(ChurnCommandLine.Json);
        if (parse.GetValue(ChurnCommandLine.HostUrl) is { } host)
        {
            if (parse.Given(ChurnCommandLine.Store) || parse.Given(ChurnCommandLine.NoStore))
            {
                return ChurnCommandLine.Usage("--store and --no-store do not go with --host: the host records the run in its own store", verb);
            }

            var token = parse.GetValue(ChurnCommandLine.Token) ?? Environment.GetEnvironmentVariable(RemoteRun.TokenVariable);
            var liveModel = LiveProgress.Wanted(json) && !verbose && mode != RunMode.Prepare ? resolved.Unwrap().Item2.Spec.Model : null;
            var forHost = RemoteRun.ForHost(request);
            if (!labels.IsEmpty)
            {
                forHost = forHost.With("name", labels.Name).With("tags", new JsonArray([.. labels.Tags.Select(t => (JsonNode)t)]));
            }

            return await RemoteRun.ExecuteAsync(host, token, forHost, json, liveModel);
        }

        if (parse.Given(ChurnCommandLine.Token))
        {
            return ChurnCommandLine.Usage("--token goes with --host", verb);
        }

        if (parse.Given(ChurnCommandLine.Store) && parse.GetValue(ChurnCommandLine.NoStore))
        {
            return ChurnCommandLine.Usage(StoreConflict, verb);
        }

        var (config, settings) = resolved.Unwrap();
        var atResolved = StartupClock.SinceMain;
        var opened = OpenStore(parse, config);
        if (opened is Result<SqliteRunStore?>.Error storeError)
        {
            return Fail(storeError.Problem);
        }

        using var store = opened.Unwrap();
        var atStore = StartupClock.SinceMain;
        var runId = RunIds.New();
        if (!labels.IsEmpty)
        {
            store?.Label(runId, labels);
        }

        var recorded = store is null ? "not recorded (--no-store)" : $"recorded in {store.FilePath}";
        Console.Error.WriteLine(ConsoleText.Printable($"churn {verb}: run {runId}, {recorded}"));
        Console.Error.WriteLine(ConsoleText.Printable(mode == RunMode.TrainFromNpz
            ? $"churn train: {settings.NpzDir} -> {settings.Spec.Out}"
            : $"churn {verb}: {settings.Spec.Data} -> {settings.Spec.Out}"));

        // libtorch takes a few hundred milliseconds of processor time to load, and the report renderer's first use
        // about as much. Both wait for the first stage: begun earlier, they take the second core from the actor
        // system's start on a 2-core machine. libtorch then loads beside the data stages, and the renderer warms up
        // while training uses one core.
        var firstStage = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var torchLoad = mode == RunMode.Prepare ? null : firstStage.Task.ContinueWith(s => s.IsCanceled ? (TimeSpan?)null : WarmUpTorch(), TaskScheduler.Default);
        var chartWarmUp = torchLoad is null ? Task.CompletedTask : torchLoad.ContinueWith(t =>
        {
            if (t.Result is not null)
            {
                WarmUpChart();
            }
        }, TaskScheduler.Default);
        var timings = parse.GetValue(ChurnCommandLine.Timings);
        void Timing(string what, TimeSpan took)
        {
            if (timings)
            {
                Console.Error.WriteLine($"  timing    {what}: {took.TotalMilliseconds:F0} ms");
            }
        }

        if (timings)
        {
            var sinceMain = StartupClock.SinceMain;
            Timing("process start to main", StartupClock.SinceProcessStart - sinceMain);
            Timing("main to the verb (the command line defined and parsed)", atVerb);
            Timing("configuration read and the run resolved", atResolved - atVerb);
            Timing("run store opened", atStore - atResolved);
            Timing("main to run start (command line, configuration, run store)", sinceMain);
        }
        using var cancel = new CancellationTokenSource();
        using var signals = new CancelSignals("churn: cancelling…", cancel.Cancel);
        Task<IRunEvent> Run(Action<IRunEvent> onEvent) => EmbeddedRun.ExecuteAsync(runId, config, settings, store, verbose, e =>
        {
            if (e is StageStarted)
            {
                firstStage.TrySetResult();
            }

            onEvent(e);
        }, cancel.Token, Timing);
        var outcome = LiveProgress.Wanted(json) && !verbose && mode != RunMode.Prepare
            ? await LiveProgress.RunAsync(LiveProgress.Stderr(), settings.Spec.Model, Run)
            : await Run(ConsoleOutput.Progress);
        firstStage.TrySetCanceled();  // no stage began: nothing to warm up
        if (torchLoad is not null && await torchLoad is { } torchTook)
        {
            Timing("libtorch load (in parallel with the data stages)", torchTook);
        }

        await chartWarmUp;

        switch (outcome)
        {
            case RunSucceeded s when mode == RunMode.Prepare:
                ConsoleOutput.PrepareSummary(s.Outputs);
                return 0;
            case RunSucceeded s when json:
                // The metrics come with the run's result; metrics.json is the same object, written for the user.
                StandardOutput.Writer.WriteLine(JsonSerializer.SerializeToNode(s.Outputs.Metrics, JsonFormat.Options)!.ToJsonString());
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

    /// <summary>The usage error for a command given both <c>--store</c> and <c>--no-store</c>.</summary>
    public const string StoreConflict = "--store PATH and --no-store contradict each other: give one";

    /// <summary>
    /// The run store this command records into: <c>--store PATH</c>, else the configuration's <c>host.store</c>; none
    /// with <c>--no-store</c>. Another process (a host, another command) may be writing to the same file.
    /// </summary>
    public static Result<SqliteRunStore?> OpenStore(ParseResult parse, ChurnConfig config) =>
        parse.GetValue(ChurnCommandLine.NoStore)
            ? Result.Ok<SqliteRunStore?>(null)
            : SqliteRunStore.Open(StorePath(parse, config), DateTimeOffset.UtcNow).Map(s => (SqliteRunStore?)s);

    /// <summary><c>--store</c> when given, else the configuration's <c>host.store</c> (which <c>--config</c> may set).</summary>
    public static string StorePath(ParseResult parse, ChurnConfig config) =>
        parse.Given(ChurnCommandLine.Store) ? parse.GetValue(ChurnCommandLine.Store)! : config.Host.Store;

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
