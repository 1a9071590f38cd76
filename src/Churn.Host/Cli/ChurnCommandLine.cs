using System.Collections.Immutable;
using System.CommandLine;
using System.CommandLine.Invocation;
using System.Globalization;
using System.Text.Json.Nodes;
using Churn.Host.Configuration;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

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
public static partial class ChurnCommandLine
{
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
    public static readonly Option<double> ContactCost = Amount("--contact-cost", "C", "what contacting one customer costs", null, allowZero: true);
    public static readonly Option<double> ConversionValue = Amount("--conversion-value", "V", "what a customer who buys again is worth", null, allowZero: false);
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
    public static readonly Option<string> SearchOut = Text("--out", "DIR", "the output folder", null);
    public static readonly Option<string> Space = Text("--space", "FILE", "a space file laid over config/search.json", null);
    public static readonly Option<int> Trials = Whole("--trials", "N", "how many configurations to sample (each trained --seeds times)", null);
    public static readonly Option<int> Seeds = Whole("--seeds", "K", "trainings per configuration", null);
    public static readonly Option<int> Parallel = Whole("--parallel", "P", "trials training at once", Environment.ProcessorCount);
    public static readonly Option<int> Threads = Whole("--threads", "T", "torch threads per trial", 1);
    public static readonly Option<string> Scheduler = Choice("--scheduler", "asha stops poor configurations early", ["none", "asha"], null);
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
    public static readonly Option<int> Port = Whole("--port", "N", "TCP port (0: any free port)", null, 0, 65535);
    public static readonly Option<string> Bind = Text("--bind", "ADDR", "address to listen on", null);
    public static readonly Option<string> Store = Text("--store", "PATH", "the SQLite run store", null);
    public static readonly Option<bool> TrustedNetwork = Flag("--trusted-network", "allow binding beyond loopback without an API token (host.trustedNetwork)");
    public static readonly Option<int> ClusterPort = Whole("--cluster-port", "N", "also a cluster node (the seed) coordinating searches over workers, on this port (0: any free one; not given: no cluster)", null, 0, 65535);

    // worker
    public static readonly Option<string> Join = new("--join") { Description = "the host's cluster port", HelpName = "HOST:PORT", Required = true };
    public static readonly Option<int> Slots = Whole("--slots", "S", "trial slots this node offers", Environment.ProcessorCount, 1, 256);
    public static readonly Option<int> WorkerPort = Whole("--port", "M", "this node's cluster port (0: any free one)", 0, 0, 65535);
    public static readonly Option<string> ClusterBind = Text("--bind", "ADDR", "address the cluster port listens on (beyond loopback only with TLS)", null);

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
    public static readonly Option<string> Dir = Text("--dir", "DIR", "the logs directory", null);

    /// <summary>Run-request fields set by flags, by the field's name in <c>config/churn.json</c> and <c>POST /runs</c>.</summary>
    public static readonly ImmutableArray<(Option Option, string Field)> RunFields = [.. RunOptions.Select(o => (o.Option, o.Field.Name))];

    /// <summary>Search-request fields set by flags, by the field's name in a space file and <c>POST /searches</c>.</summary>
    public static readonly ImmutableArray<(Option Option, string Field)> SearchFields =
    [
        (Data, "data"), (SearchOut, "out"), (Seed, "seed"), (Trials, "trials"), (Seeds, "seeds"), (Scheduler, "scheduler"),
        (Parallel, "parallel"), (Threads, "threads"), (SearchBalance, "space.balance"), (SearchLogFeatures, "space.logFeatures"),
    ];

    private static RootCommand? _command;

    /// <summary>
    /// The definition as a <see cref="RootCommand"/>, its defaults the shipped configuration's. <see cref="RunAsync"/>
    /// builds it once it has read that configuration (and reports a broken one); anywhere else a broken shipped
    /// configuration is a broken installation, and this throws.
    /// </summary>
    public static RootCommand Command => _command ??= Build(ShippedDefaults.Load().Unwrap());

    /// <summary>
    /// Reads the shipped configuration (a broken one is reported with its file, field and reason: exit 1), then parses
    /// <paramref name="args"/> and runs the verb; usage errors print what is wrong and a suggestion, and give 2.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var shipped = ShippedDefaults.Load();
        if (shipped is Result<ShippedDefaults>.Error broken)
        {
            return ChurnCli.Fail(broken.Problem);
        }

        _command ??= Build(shipped.Unwrap());
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
}
