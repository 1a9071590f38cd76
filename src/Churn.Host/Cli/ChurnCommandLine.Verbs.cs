using System.CommandLine;
using System.CommandLine.Invocation;
using Churn.Actors;
using Churn.Host.Configuration;
using Churn.Numerics.Artifacts;

namespace Churn.Host.Cli;

/// <summary>The verbs: which options each takes and what it runs, the defaults the shipped configuration gives them, and <c>--version</c>.</summary>
public static partial class ChurnCommandLine
{
    /// <summary>The options whose defaults the shipped configuration gives, given them.</summary>
    private static void SetDefaults(ShippedDefaults shipped)
    {
        var (config, search) = (shipped.Config, shipped.Search);
        foreach (var (option, field) in RunOptions.Where(o => !o.Field.IsSwitch))
        {
            var text = field.Text(config.Run);
            ((Option<string>)option).DefaultValueFactory = _ => text;
        }

        ContactCost.DefaultValueFactory = _ => config.Run.Campaign.ContactCost;
        ConversionValue.DefaultValueFactory = _ => config.Run.Campaign.ConversionValue;
        SearchOut.DefaultValueFactory = _ => Path.Combine(config.Run.Out, "search");
        Trials.DefaultValueFactory = _ => search.Trials;
        Seeds.DefaultValueFactory = _ => search.Seeds;
        Scheduler.DefaultValueFactory = _ => Name(search.Scheduler);
        Port.DefaultValueFactory = _ => config.Host.Port;
        Bind.DefaultValueFactory = _ => config.Host.Bind;
        Store.DefaultValueFactory = _ => config.Host.Store;
        if (config.Host.ClusterPort is { } clusterPort)
        {
            ClusterPort.DefaultValueFactory = _ => clusterPort;
        }

        ClusterBind.DefaultValueFactory = _ => config.Host.ClusterBind;
        Dir.DefaultValueFactory = _ => config.Logs;
    }

    private static RootCommand Build(ShippedDefaults shipped)
    {
        SetDefaults(shipped);
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
