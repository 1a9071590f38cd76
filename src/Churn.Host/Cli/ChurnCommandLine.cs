using System.Collections.Immutable;
using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json.Nodes;
using Churn.Actors;
using Churn.Host.Configuration;
using Churn.Host.Search;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using Churn.Numerics.Search;

namespace Churn.Host.Cli;

/// <summary>
/// The one definition of the <c>churn</c> command line: every verb and option, its default (read from the shipped
/// <c>config/churn.json</c> and <c>config/search.json</c>) and its allowed values. Parsing, <c>--help</c>,
/// <c>churn help VERB</c>, <c>--version</c>, suggestions, shell completion and the README's command reference all
/// come from here.
/// </summary>
/// <remarks>
/// To add an option: declare it below, add it to the verbs that take it in <see cref="Build"/>, and read it in the
/// verb's action with <see cref="ParseResult.GetValue{T}(Option{T})"/>. An option that sets a field of a run
/// request (the fields of <c>config/churn.json</c> that <c>POST /runs</c> takes) goes into <see cref="RunFields"/>
/// too, an option that sets a field of a search request into <see cref="SearchFields"/>: the request is then built
/// and checked by the same code whether it comes from flags, <c>--config</c>, a space file or an HTTP body.
/// Exit codes: 2 for anything wrong on the command line itself (unknown verb or option, missing or malformed
/// value, a value out of range), 1 for bad input (files, their contents, a failed run).
/// </remarks>
public static class ChurnCommandLine
{
    private static readonly ChurnConfig? Defaults = ChurnConfig.Load(null) is Result<ChurnConfig>.Ok { Value: var c } ? c : null;
    private static readonly SearchDefinition? SearchDefaults = SpaceFile.Load(SearchPlanner.DefaultSpacePath, (string?)null) is Result<SearchDefinition>.Ok { Value: var s } ? s : null;

    /// <summary>One option for each row of the run specification's field table that has a flag, in the table's order.</summary>
    public static readonly ImmutableArray<(Option Option, SettingField Field)> RunOptions =
        [.. Configuration.RunFields.All.Where(f => f.Flag is not null).Select(f => (FromTable(f), f))];

    // Fields of a run request, as the verbs that take them by name refer to them.
    public static readonly Option Data = RunOption("data");
    public static readonly Option Out = RunOption("out");
    public static readonly Option Prefix = RunOption("prefix");
    public static readonly Option Seed = RunOption("seed");

    // Shared by several verbs.
    public static readonly Option<string> Config = Text("--config", "FILE", "a configuration file laid over config/churn.json", null);
    public static readonly Option<bool> Json = Flag("--json", "the result as one JSON object on stdout (progress stays on stderr, as plain lines)");
    public static readonly Option<bool> Verbose = Flag("--verbose", "log lines on stderr, stack traces for internal errors");
    public static readonly Option<bool> Timings = Flag("--timings", "print how long each step took");
    public static readonly Option<string> HostUrl = new("--host")
    {
        Description = "send the work to a running churn host and follow it there",
        HelpName = "URL",
        Validators = { r => CheckUrl(r) },
    };
    public static readonly Option<string> Token = Text("--token", "T", "the host's API token (default: $" + RemoteRun.TokenVariable + ")", null);

    // train
    public static readonly Option<string> Npz = new("--npz") { Description = "folder with <prefix>_train/validation/test.npz", HelpName = "DIR", Required = true };

    // predict
    public static readonly Option<string> Model = new("--model") { Description = "a saved model folder, or a registered model: NAME (its production version) or NAME@VERSION", HelpName = "MODEL", Required = true };
    public static readonly Option<string> Input = new("--input") { Description = "customers to score (ID + 10 features, target optional), CSV or Parquet", HelpName = "FILE", Required = true };
    public static readonly Option<string> Format = Choice("--format", "the output's format (default: Parquet for a .parquet output, else CSV)", ["csv", "parquet"], null);
    public static readonly Option<string> Output = Text("--output", "CSV", "where to write the scores (default: stdout)", null);
    public static readonly Option<string> ScalerFile = Text("--scaler", "MANIFEST", "the manifest.json whose scaler standardizes the input (for a model trained from .npz files without one)", null);
    public static readonly Option<bool> ScaledInputs = Flag("--scaled-inputs", "the input is already standardized: score it as it is");
    public static readonly Option<double> BaseRate = Share("--base-rate", "R", "the buying rate of the customers scored, when it differs from the model's population (a share between 0 and 1)");

    // explain, and the reasons predict and target add
    public static readonly Option<string> BackgroundFile = Text("--background", "CSV", "customers to explain against (default: the sample saved with the model)", null);
    public static readonly Option<int> BackgroundSize = Whole("--background-size", "N", $"explain against N customers of the background (default: {BackgroundSample.DefaultSize} of the model's sample; a file's: all)", null, 1, 1_000_000);
    public static readonly Option<int> Reasons = Whole("--reasons", "K", "add each customer's K strongest reasons (behaviours by the size of their effect on the odds)", null, 1, Schema.FeatureCount);

    // target
    public static readonly Option<string> Contacts = Text("--output", "CSV", "where to write the contact list, campaign.png beside it (default: stdout, no chart)", null);
    public static readonly Option<double> ContactCost = Amount("--contact-cost", "C", "what contacting one customer costs", Defaults?.Run.Campaign.ContactCost, allowZero: true);
    public static readonly Option<double> ConversionValue = Amount("--conversion-value", "V", "what a customer who buys again is worth", Defaults?.Run.Campaign.ConversionValue, allowZero: false);
    public static readonly Option<int> Budget = Whole("--budget", "N", "contact the N most likely buyers instead", null, 1);
    public static readonly Option<double> Top = new("--top")
    {
        Description = "contact this share of customers, most likely buyers first, instead",
        HelpName = "P%",
        CustomParser = r => double.TryParse(r.Tokens[0].Value.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent > 0 && percent <= 100
            ? percent / 100
            : Error<double>(r, $"--top takes a percentage of customers above 0 and at most 100 (e.g. 20%), not '{r.Tokens[0].Value}'"),
    };

    // search
    public static readonly Option<string> SearchOut = Text("--out", "DIR", "the output folder", Defaults is null ? null : Path.Combine(Defaults.Run.Out, "search"));
    public static readonly Option<string> Space = Text("--space", "FILE", "a space file laid over config/search.json", null);
    public static readonly Option<int> Trials = Whole("--trials", "N", "how many configurations to sample (each trained --seeds times)", SearchDefaults?.Trials);
    public static readonly Option<int> Seeds = Whole("--seeds", "K", "trainings per configuration", SearchDefaults?.Seeds);
    public static readonly Option<int> Parallel = Whole("--parallel", "P", "trials training at once", Environment.ProcessorCount);
    public static readonly Option<int> Threads = Whole("--threads", "T", "torch threads per trial", 1);
    public static readonly Option<string> Scheduler = Choice("--scheduler", "asha stops poor configurations early", ["none", "asha"], SearchDefaults is null ? null : Name(SearchDefaults.Scheduler));
    public static readonly Option<string[]> SearchBalance = Choices(
        "--balance", "a balancing the search may choose (repeat the flag for several): sets space.balance", Names<BalanceStrategy>());
    public static readonly Option<string[]> SearchLogFeatures = new("--log-features")
    {
        Description = "a feature set the search may standardize as ln(1 + x) (repeat the flag for several, e.g. --log-features none --log-features skewed): sets space.logFeatures",
        HelpName = "none|skewed|NAME,...",
        AllowMultipleArgumentsPerToken = false,
    };
    public static readonly Option<string> Resume = Text("--resume", "ID", "continue a stored search (only --parallel, --threads, --json, --verbose may change)", null);

    // host
    public static readonly Option<int> Port = Whole("--port", "N", "TCP port (0: any free port)", Defaults?.Host.Port, 0, 65535);
    public static readonly Option<string> Bind = Text("--bind", "ADDR", "address to listen on", Defaults?.Host.Bind);
    public static readonly Option<string> Store = Text("--store", "PATH", "the SQLite run store", Defaults?.Host.Store);
    public static readonly Option<bool> TrustedNetwork = Flag("--trusted-network", "allow binding beyond loopback without an API token (host.trustedNetwork)");
    public static readonly Option<int> ClusterPort = Whole("--cluster-port", "N", "also a cluster node (the seed) coordinating searches over workers, on this port (0: any free one; not given: no cluster)", Defaults?.Host.ClusterPort, 0, 65535);

    // worker
    public static readonly Option<string> Join = new("--join") { Description = "the host's cluster port", HelpName = "HOST:PORT", Required = true };
    public static readonly Option<int> Slots = Whole("--slots", "S", "trial slots this node offers", Environment.ProcessorCount, 1, 256);
    public static readonly Option<int> WorkerPort = Whole("--port", "M", "this node's cluster port (0: any free one)", 0, 0, 65535);
    public static readonly Option<string> ClusterBind = Text("--bind", "ADDR", "address the cluster port listens on (beyond loopback only with TLS)", Defaults?.Host.ClusterBind);

    // What people call a run: kept in the run store beside it (the dashboard and GET /runs show them).
    public static readonly Option<string> RunName = Text("--name", "NAME", "a name for the run, shown by the dashboard and GET /runs", null);
    public static readonly Option<string[]> Tag = new("--tag")
    {
        Description = "a tag for the run (repeat the flag for several: --tag baseline --tag q3)",
        HelpName = "TAG",
        AllowMultipleArgumentsPerToken = false,
    };

    // Recording: run, prepare, train and search record into the run store unless told not to.
    public static readonly Option<bool> NoStore = Flag("--no-store", "record nothing in the run store");

    // runs
    public static readonly Option<string> Status = Choice("--status", "only runs with this status", [.. Churn.Host.Store.RunStatus.All], null);
    public static readonly Option<int> Limit = Whole("--limit", "N", "how many runs, newest first", 20, 1, 10_000);

    // logs
    public static readonly Option<string> RunId = Text("--run", "ID", "only this run's lines", null);
    public static readonly Option<string> Actor = Text("--actor", "GLOB", "only actors whose path matches (* and ?)", null);
    public static readonly Option<string> Level = Choice("--level", "lowest level shown", ["debug", "info", "warning", "error"], "debug");
    public static readonly Option<bool> Follow = Flag("--follow", "keep printing new lines until Ctrl-C");
    public static readonly Option<string> Dir = Text("--dir", "DIR", "the logs directory", Defaults?.Logs);

    /// <summary>Run-request fields set by flags, by the field's name in <c>config/churn.json</c> and <c>POST /runs</c>.</summary>
    public static readonly ImmutableArray<(Option Option, string Field)> RunFields = [.. RunOptions.Select(o => (o.Option, o.Field.Name))];

    /// <summary>Search-request fields set by flags, by the field's name in a space file and <c>POST /searches</c>.</summary>
    public static readonly ImmutableArray<(Option Option, string Field)> SearchFields =
    [
        (Data, "data"), (SearchOut, "out"), (Seed, "seed"), (Trials, "trials"), (Seeds, "seeds"), (Scheduler, "scheduler"),
        (Parallel, "parallel"), (Threads, "threads"), (SearchBalance, "space.balance"), (SearchLogFeatures, "space.logFeatures"),
    ];

    private static readonly Lazy<RootCommand> Root = new(Build);

    /// <summary>The definition as a <see cref="RootCommand"/>.</summary>
    public static RootCommand Command => Root.Value;

    /// <summary>Parses <paramref name="args"/> and runs the verb; usage errors print what is wrong and a suggestion, and give 2.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Command.Parse(args.Length == 0 ? ["--help"] : args);
        if (args.Length == 0)
        {
            await parse.InvokeAsync(new InvocationConfiguration { Output = Console.Error });
            return 2;
        }

        if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction)
        {
            return UsageErrors(parse);
        }

        var invocation = new InvocationConfiguration
        {
            Output = StandardOutput.Writer,
            Error = Console.Error,
            EnableDefaultExceptionHandler = false,
            // Our commands handle Ctrl-C and SIGTERM themselves (CancelSignals): a run stops at a safe point.
            ProcessTerminationTimeout = null,
        };
        return await parse.InvokeAsync(invocation, CancellationToken.None);
    }

    /// <summary>True when the user wrote <paramref name="option"/> (not just its default).</summary>
    public static bool Given(this ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>The value given for <paramref name="option"/>, as the JSON a request field holds.</summary>
    public static JsonNode? ValueOf(ParseResult parse, Option option) => option switch
    {
        _ when RunOptions.FirstOrDefault(o => o.Option == option).Field is { } field => field.IsSwitch
            ? JsonValue.Create(parse.GetValue((Option<bool>)option))
            : field.FromFlag(parse.GetValue((Option<string>)option)!).Unwrap(),
        Option<string> o => JsonValue.Create(parse.GetValue(o)),
        Option<bool> o => JsonValue.Create(parse.GetValue(o)),
        Option<int> o => JsonValue.Create(parse.GetValue(o)),
        Option<ulong> o => JsonValue.Create(parse.GetValue(o)),
        Option<double> o => JsonValue.Create(parse.GetValue(o)),
        Option<string[]> o => new JsonArray([.. (parse.GetValue(o) ?? []).Select(v => (JsonNode?)JsonValue.Create(v))]),
        _ => throw new InvalidOperationException($"{option.Name}: no JSON form for options of type {option.ValueType.Name}"),
    };

    /// <summary>A usage error found after parsing (e.g. a combination of options): printed like the parser's own, exit 2.</summary>
    public static int Usage(string message, string? verb = null)
    {
        Console.Error.WriteLine($"churn: {Logging.ConsoleText.Printable(message)}");
        Console.Error.WriteLine(verb is null ? "run 'churn --help' for the commands" : $"run 'churn {verb} --help' for its options");
        return 2;
    }

    private static RootCommand Build()
    {
        var root = new RootCommand("ChurnActors: prepares the audiobook customers' data, trains a network that says who will buy again, scores customers, searches hyperparameters; every stage an actor.");
        var run = Verb("run", "prepare + train + evaluate + save: the main job",
            [.. RunFlags(SettingUse.Preparation, SettingUse.Training), Config, Json, Timings, RunName, Tag, Store, NoStore, HostUrl, Token, Verbose],
            (p, c) => ChurnCli.PipelineAsync(p, RunMode.Full));
        var prepare = Verb("prepare", "load, balance, standardize, shuffle, split and write the .npz files",
            [.. RunFlags(SettingUse.Preparation), Config, RunName, Tag, Store, NoStore, HostUrl, Token, Verbose],
            (p, c) => ChurnCli.PipelineAsync(p, RunMode.Prepare));
        var train = Verb("train", "train and evaluate from three .npz files (ours, or numpy's np.savez files)",
            [Npz, .. RunFlags(SettingUse.Training), Config, Json, RunName, Tag, Store, NoStore, Verbose],
            (p, c) => ChurnCli.PipelineAsync(p, RunMode.TrainFromNpz));
        var predict = Verb("predict", "score customers with a saved model: P(buys again) for the model's population",
            [Model, Input, Output, Format, BaseRate, ScalerFile, ScaledInputs, Reasons, Config, Store, Verbose],
            (p, c) => Task.FromResult(PredictCommand.Run(p)));
        var explain = Verb("explain", "explain customers' scores: each behaviour's contribution to the log-odds and the probability (exact Shapley values)",
            [Model, Input, Output, BackgroundFile, BackgroundSize, BaseRate, ScalerFile, ScaledInputs, Config, Store, Json, Verbose],
            (p, c) => Task.FromResult(ExplainCommand.Run(p)));
        var target = Verb("target", "plan a campaign: whom to contact, the expected profit, campaign.png",
            [Model, Input, Contacts, Format, ContactCost, ConversionValue, Budget, Top, BaseRate, ScalerFile, ScaledInputs, Reasons, Config, Store, Json, Verbose],
            (p, c) => Task.FromResult(TargetCommand.Run(p)));
        var drift = Verb("drift", "how far customers have moved from those a model was trained on: PSI per behaviour and of the score",
            [Model, Input, ScalerFile, Config, Store, Json, Verbose],
            (p, c) => Task.FromResult(DriftCommand.Run(p)));
        var search = Verb("search", "hyperparameter search, each trial an actor; writes leaderboard.csv, best.json and the winner's model",
            [Data, SearchOut, Space, Trials, Seeds, Parallel, Threads, Scheduler, SearchBalance, SearchLogFeatures, Seed, Config, Resume, Store, NoStore, HostUrl, Token, Json, Verbose],
            (p, c) => SearchCommand.RunAsync(p));
        var host = Verb("host", "serve the HTTP API: take runs and searches, queue them, keep them in the run store",
            [Port, Bind, Store, ClusterPort, Config, TrustedNetwork, Verbose],
            (p, c) => HostCommand.RunAsync(p));
        var worker = Verb("worker", "a cluster node that trains the trials of the host's searches",
            [Join, Slots, WorkerPort, ClusterBind, Config, Verbose],
            (p, c) => WorkerCommand.RunAsync(p));
        var logs = Verb("logs", "the actors' log lines, for people",
            [RunId, Actor, Level, Follow, Dir, Config, Verbose],
            (p, c) => LogsCommand.RunAsync(p));

        var runs = Verb("runs", "the runs in the run store, newest first, whoever recorded them",
            [Store, Status, Limit, Config, Json, Verbose],
            (p, c) => Task.FromResult(RunsCommand.Run(p)));

        var models = ModelsCommand.Build();
        var verbs = new[] { run, prepare, train, predict, explain, target, drift, models, search, host, worker, logs, runs };
        foreach (var verb in verbs)
        {
            root.Subcommands.Add(verb);
        }

        var topic = new Argument<string?>("verb") { Description = "the command to explain", Arity = ArgumentArity.ZeroOrOne };
        topic.AcceptOnlyFromAmong([.. verbs.Select(v => v.Name)]);
        var help = new Command("help", "show the help of a command") { topic };
        help.SetAction(p => Command.Parse(p.GetValue(topic) is { } verb ? [verb, "--help"] : ["--help"]).Invoke(new InvocationConfiguration { Output = StandardOutput.Writer }));
        root.Subcommands.Add(help);

        var shell = new Argument<string>("shell") { Description = "the shell", DefaultValueFactory = _ => "bash" };
        shell.AcceptOnlyFromAmong("bash");
        var completion = new Command("completion", "print the shell completion script: eval \"$(churn completion bash)\"") { shell };
        completion.SetAction(_ => StandardOutput.Writer.Write(Completion.Bash));
        root.Subcommands.Add(completion);

        // In-process measurements the bench/ scripts drive; they parse their own arguments.
        var benchArgs = new Argument<string[]>("args") { Arity = ArgumentArity.ZeroOrMore };
        var bench = new Command("bench", "benchmarks (bench/)") { Hidden = true, TreatUnmatchedTokensAsErrors = false };
        bench.Arguments.Add(benchArgs);
        bench.SetAction(p => Bench.BenchCommand.Run([.. p.GetValue(benchArgs) ?? [], .. p.UnmatchedTokens]));
        root.Subcommands.Add(bench);

        foreach (var option in root.Options)
        {
            if (option is VersionOption version)
            {
                version.Action = new VersionAction();
            }
        }

        return root;
    }

    internal static Command Verb(string name, string description, Option[] options, Func<ParseResult, CancellationToken, Task<int>> action)
    {
        var command = new Command(name, description);
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancel) =>
        {
            var verbose = parse.GetValue(Verbose);
            try
            {
                return await action(parse, cancel);
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine(verbose
                    ? $"churn: internal error: {ex}"
                    : $"churn: internal error: {ex.GetType().Name}: {ex.Message} (run with --verbose for details)");
                return 1;
            }
        });
        return command;
    }

    /// <summary>Every parse error on its own line, with the closest known verb or option for a mistyped one.</summary>
    private static int UsageErrors(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        // `churn help VERB` takes a verb: a mistyped one is matched against the verbs.
        var words = command.Name == "help" ? Command : command;
        var known = words.Subcommands.Where(s => !s.Hidden && s.Name != "help").Select(s => s.Name)
            .Concat(command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)))
            .ToImmutableArray();
        // "Required command was not provided" says nothing more than an unknown verb's own error does.
        foreach (var error in parse.Errors.Where(e => parse.Errors.Count == 1 || e.SymbolResult is not CommandResult || e.Message.Contains('\'', StringComparison.Ordinal)))
        {
            // Some of the parser's messages list values on lines of their own: one line each here, like ours.
            var message = string.Join(' ', error.Message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Console.Error.WriteLine($"churn: {Logging.ConsoleText.Printable(message)}");
        }

        foreach (var token in parse.UnmatchedTokens.Concat(parse.Errors.Select(e => e.Message).SelectMany(Quoted)).Distinct())
        {
            if (Suggest(token, known) is { } suggestion)
            {
                Console.Error.WriteLine($"churn: did you mean '{suggestion}'?");
            }
        }

        var path = command == Command ? "churn" : $"churn {command.Name}";
        Console.Error.WriteLine($"run '{path} --help' for {(command == Command ? "the commands" : "its options")}");
        return 2;
    }

    private static IEnumerable<string> Quoted(string message)
    {
        var parts = message.Split('\'');
        for (var i = 1; i < parts.Length; i += 2)
        {
            yield return parts[i];
        }
    }

    /// <summary>The known word closest to <paramref name="token"/>, if it is close enough to be a typo.</summary>
    public static string? Suggest(string token, IReadOnlyCollection<string> known)
    {
        if (known.Contains(token))
        {
            return null;
        }

        var best = known
            .Select(k => (Word: k, Distance: Distance(token.TrimStart('-'), k.TrimStart('-'))))
            .Where(k => token.StartsWith('-') == k.Word.StartsWith('-'))
            .OrderBy(k => k.Distance)
            .ThenBy(k => k.Word, StringComparer.Ordinal)
            .FirstOrDefault();
        var bare = token.TrimStart('-');
        return best.Word is not null && (best.Distance <= Math.Max(1, bare.Length / 3) || (bare.Length >= 3 && best.Word.TrimStart('-').StartsWith(bare, StringComparison.Ordinal)))
            ? best.Word
            : null;
    }

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }

    /// <summary>The flags of the rows used by <paramref name="uses"/> (and of those used everywhere).</summary>
    private static IEnumerable<Option> RunFlags(params SettingUse[] uses) =>
        RunOptions.Where(o => o.Field.Use == SettingUse.Everywhere || uses.Contains(o.Field.Use)).Select(o => o.Option);

    private static Option RunOption(string field) => RunOptions.Single(o => o.Field.Name == field).Option;

    /// <summary>
    /// A row's flag: a switch, or a value checked as the row checks it (so a bad value is a usage error before
    /// anything runs), its default the shipped configuration's.
    /// </summary>
    private static Option FromTable(SettingField field)
    {
        var flag = field.Flag!;
        if (field.IsSwitch)
        {
            return Flag(flag, field.Help);
        }

        var option = Text(flag, field.HelpName ?? "VALUE", field.Help, Defaults is null ? null : field.Text(Defaults.Run));
        if (!field.Choices.IsEmpty)
        {
            option.CompletionSources.Add([.. field.Choices]);
        }
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && field.FromFlag(r.Tokens[0].Value) is Result<JsonNode?>.Error { Problem.Reason: var reason })
            {
                r.AddError(reason.StartsWith("takes ", StringComparison.Ordinal) ? $"{flag} {reason}" : $"{flag}: {reason}");
            }
        });
        return option;
    }

    private static Option<string> Text(string name, string helpName, string description, string? defaultValue)
    {
        var option = new Option<string>(name) { Description = description, HelpName = helpName };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue;
        }

        return option;
    }

    /// <summary>A repeatable option whose every value must be one of <paramref name="allowed"/>.</summary>
    private static Option<string[]> Choices(string name, string description, string[] allowed)
    {
        var option = new Option<string[]>(name) { Description = description, HelpName = string.Join('|', allowed), AllowMultipleArgumentsPerToken = false };
        option.CompletionSources.Add(allowed);
        option.Validators.Add(r =>
        {
            foreach (var token in r.Tokens.Where(t => !allowed.Contains(t.Value)))
            {
                r.AddError($"{name} takes {string.Join(", ", allowed[..^1])} or {allowed[^1]}, not '{token.Value}'");
            }
        });
        return option;
    }

    private static Option<string> Choice(string name, string description, string[] allowed, string? defaultValue)
    {
        var option = Text(name, string.Join('|', allowed), description, defaultValue);
        option.CompletionSources.Add(allowed);
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && !allowed.Contains(r.Tokens[0].Value))
            {
                r.AddError($"{name} takes {string.Join(", ", allowed[..^1])} or {allowed[^1]}, not '{r.Tokens[0].Value}'");
            }
        });
        return option;
    }

    private static Option<bool> Flag(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.Zero };

    private static Option<int> Whole(string name, string helpName, string description, int? defaultValue, int min = int.MinValue, int max = int.MaxValue)
    {
        var option = new Option<int>(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = r => int.TryParse(r.Tokens[0].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                ? n
                : Error<int>(r, $"{name} takes a whole number, not '{r.Tokens[0].Value}'"),
        };
        if (defaultValue is { } d)
        {
            option.DefaultValueFactory = _ => d;
        }

        if (min != int.MinValue || max != int.MaxValue)
        {
            option.Validators.Add(r =>
            {
                if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[0].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) && (v < min || v > max))
                {
                    r.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} takes a whole number from {min} to {max}, not '{r.Tokens[0].Value}'"));
                }
            });
        }

        return option;
    }

    private static Option<double> Share(string name, string helpName, string description) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = r => double.TryParse(r.Tokens[0].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && v < 1
            ? v
            : Error<double>(r, $"{name} takes a share between 0 and 1 (exclusive), not '{r.Tokens[0].Value}'"),
    };

    private static Option<double> Amount(string name, string helpName, string description, double? defaultValue, bool allowZero)
    {
        var option = new Option<double>(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = r => double.TryParse(r.Tokens[0].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && (v > 0 || (allowZero && v == 0))
                ? v
                : Error<double>(r, $"{name} takes a number {(allowZero ? "of at least 0" : "above 0")}, not '{r.Tokens[0].Value}'"),
        };
        if (defaultValue is { } d)
        {
            option.DefaultValueFactory = _ => d;
        }

        return option;
    }

    private static T Error<T>(ArgumentResult r, string message)
    {
        r.AddError(message);
        return default!;
    }

    private static void CheckUrl(OptionResult r)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            r.AddError($"--host takes a URL such as http://127.0.0.1:5080, not '{text}'");
        }
    }

    private static string[] Names<T>()
        where T : struct, Enum => [.. Enum.GetValues<T>().Select(v => Name(v))];

    /// <summary>An enum value as the configuration files and flags write it (camelCase, as the JSON options do).</summary>
    public static string Name<T>(T value)
        where T : struct, Enum
    {
        var text = value.ToString();
        return char.ToLowerInvariant(text[0]) + text[1..];
    }


    /// <summary><c>churn --version</c>: the product with its commit, and what it runs on.</summary>
    private sealed class VersionAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var v = ModelArtifact.RuntimeVersions();
            var output = StandardOutput.Writer;
            output.WriteLine($"churn {v["churn"]}");
            output.WriteLine($"  .NET       {v["dotnet"]}");
            output.WriteLine($"  TorchSharp {v["torchsharp"]}");
            output.WriteLine($"  libtorch   {v["libtorch"]}");
            return 0;
        }
    }
}

/// <summary>Shell completion: the script asks <c>churn</c> itself (System.CommandLine's <c>[suggest]</c> directive), so it completes from the one definition.</summary>
internal static class Completion
{
    public const string Bash = """
        # churn completion for bash: eval "$(churn completion bash)" (e.g. in ~/.bashrc)
        _churn_complete() {
            local line="${COMP_LINE:0:COMP_POINT}"
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${#line}]" "$line" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _churn_complete churn ./churn

        """;
}
