using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Churn.Host.Configuration;
using Churn.Host.Scores;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Files;

namespace Churn.Host.Cli;

/// <summary><c>churn models</c>: the model registry in the run store (register, list, show, promote, rollback) and champion against challenger.</summary>
public static class ModelsCommand
{
    public static readonly Argument<string> Champion = new("A") { Description = "the champion: a model folder, NAME or NAME@VERSION" };
    public static readonly Argument<string> Challenger = new("B") { Description = "the challenger: a model folder, NAME or NAME@VERSION" };
    public static readonly Option<string> Labelled = new("--input") { Description = "labelled customers (ID, 10 features, target) both models score", HelpName = "CSV", Required = true };
    public static readonly Option<ulong> BootstrapSeed = new("--seed") { Description = "seed of the bootstrap resamples: the same seed gives the same intervals", HelpName = "N", DefaultValueFactory = _ => 0 };
    public static readonly Option<int> Resamples = new("--resamples")
    {
        Description = "paired bootstrap resamples for the intervals",
        HelpName = "N",
        DefaultValueFactory = _ => ChampionChallenger.DefaultResamples,
        Validators = { r => { if (r.GetValueOrDefault<int>() is < 100 or > 100_000) { r.AddError("--resamples takes a whole number from 100 to 100000"); } } },
    };

    internal static Command Build()
    {
        var compare = ChurnCommandLine.Verb("compare", "champion against challenger: both score the same labelled customers; ROC AUC, Brier, calibration error and profit with paired bootstrap intervals of the differences",
            [Labelled, ChurnCommandLine.ContactCost, ChurnCommandLine.ConversionValue, ChurnCommandLine.BaseRate, BootstrapSeed, Resamples, ChurnCommandLine.Config, ChurnCommandLine.Store, ChurnCommandLine.Json, ChurnCommandLine.Verbose],
            (p, c) => Task.FromResult(Compare(p)));
        compare.Arguments.Add(Champion);
        compare.Arguments.Add(Challenger);
        var register = ChurnCommandLine.Verb("register", "copy a run's model (or a model folder) into the run store as the next version of NAME",
            [RunId, Folder, Name, ChurnCommandLine.Store, ChurnCommandLine.Config, ChurnCommandLine.Json, ChurnCommandLine.Verbose],
            (p, c) => Task.FromResult(Register(p)));
        var list = ChurnCommandLine.Verb("list", "the registered models: versions and which one is in production",
            [ChurnCommandLine.Store, ChurnCommandLine.Config, ChurnCommandLine.Json, ChurnCommandLine.Verbose],
            (p, c) => Task.FromResult(WithStore(p, store => List(p, store))));
        var show = ChurnCommandLine.Verb("show", "one registered model: its versions, the production one, its latest scorings",
            [ChurnCommandLine.Store, ChurnCommandLine.Config, ChurnCommandLine.Json, ChurnCommandLine.Verbose],
            (p, c) => Task.FromResult(WithStore(p, store => Show(p, store))));
        show.Arguments.Add(ModelName);
        var promote = ChurnCommandLine.Verb("promote", "put NAME@VERSION in production: scoring with --model NAME uses it",
            [ChurnCommandLine.Store, ChurnCommandLine.Config, ChurnCommandLine.Json, ChurnCommandLine.Verbose],
            (p, c) => Task.FromResult(WithStore(p, store => Promote(p, store))));
        promote.Arguments.Add(NameAtVersion);
        var rollback = ChurnCommandLine.Verb("rollback", "put back in production the version that was there before the current one",
            [ChurnCommandLine.Store, ChurnCommandLine.Config, ChurnCommandLine.Json, ChurnCommandLine.Verbose],
            (p, c) => Task.FromResult(WithStore(p, store => Changed(p, store.Rollback(p.GetRequiredValue(ModelName), DateTimeOffset.UtcNow), "in production again"))));
        rollback.Arguments.Add(ModelName);
        return new Command("models", "registered models (named, versioned, one in production) and champion against challenger") { register, list, show, promote, rollback, compare };
    }

    public static readonly Option<string> RunId = new("--run") { Description = "the run whose model to register (see churn runs)", HelpName = "ID" };
    public static readonly Option<string> Folder = new("--model") { Description = "a model folder to register instead of a run's", HelpName = "DIR" };
    public static readonly Option<string> Name = new("--name") { Description = "the model's name: letters, digits, '.', '-', '_'", HelpName = "NAME", Required = true };
    public static readonly Argument<string> ModelName = new("NAME") { Description = "a registered model's name" };
    public static readonly Argument<string> NameAtVersion = new("NAME@VERSION") { Description = "a registered model's name and version, e.g. churn@3" };

    private static int Register(ParseResult parse)
    {
        var run = parse.GetValue(RunId);
        var folder = parse.GetValue(Folder);
        if ((run is null) == (folder is null))
        {
            return ChurnCommandLine.Usage("give --run ID or --model DIR: the model to register", "models register");
        }
        return WithStore(parse, store =>
        {
            var modelDir = folder;
            if (run is not null)
            {
                var stored = store.Get(run);
                modelDir = stored is null || stored.Artifacts.IsDefault ? null : stored.Artifacts.FirstOrDefault(a => Path.GetFileName(a) == RunFiles.ModelDirectoryName);
                if (modelDir is null)
                {
                    return ChurnCli.Fail(new Problem(stored is null ? $"no run with id '{run}' in the run store" : $"run {run} has no model (status {stored.Status})", store.FilePath));
                }
            }
            return Changed(parse, store.RegisterModel(parse.GetRequiredValue(Name), modelDir!, run, DateTimeOffset.UtcNow), "registered");
        });
    }

    private static int Promote(ParseResult parse, SqliteRunStore store)
    {
        var text = parse.GetRequiredValue(NameAtVersion);
        var at = text.LastIndexOf('@');
        if (at < 1 || !int.TryParse(text.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
        {
            return ChurnCommandLine.Usage($"'{text}' is not NAME@VERSION (e.g. churn@3)", "models promote");
        }
        return Changed(parse, store.Promote(text[..at], version, DateTimeOffset.UtcNow), "in production");
    }

    private static int Changed(ParseResult parse, Result<ModelVersion> changed, string what)
    {
        if (changed is Result<ModelVersion>.Error error)
        {
            return ChurnCli.Fail(error.Problem);
        }
        var version = changed.Unwrap();
        if (parse.GetValue(ChurnCommandLine.Json))
        {
            StandardOutput.Writer.WriteLine(JsonSerializer.Serialize(version, JsonFormat.Options));
        }
        else
        {
            StandardOutput.Writer.WriteLine($"{version.Name}@{version.Version} {what} ({version.Directory})");
        }
        return 0;
    }

    private static int List(ParseResult parse, SqliteRunStore store)
    {
        var models = store.Models();
        if (parse.GetValue(ChurnCommandLine.Json))
        {
            StandardOutput.Writer.WriteLine(JsonSerializer.Serialize(models, JsonFormat.Options));
            return 0;
        }
        StandardOutput.Writer.WriteLine($"{"NAME",-24} {"VERSIONS",8} {"PRODUCTION",10}  LATEST REGISTERED");
        foreach (var m in models)
        {
            StandardOutput.Writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{m.Name,-24} {m.Versions.Length,8} {(m.Production is { } v ? $"@{v}" : "-"),10}  {m.Versions[^1].RegisteredAt:yyyy-MM-dd HH:mm:ss}"));
        }
        return 0;
    }

    private static int Show(ParseResult parse, SqliteRunStore store)
    {
        var name = parse.GetRequiredValue(ModelName);
        if (store.Model(name) is not { } model)
        {
            return ChurnCli.Fail(new Problem($"no model named '{name}' is registered", store.FilePath));
        }
        var scorings = store.Scorings(name);
        if (parse.GetValue(ChurnCommandLine.Json))
        {
            StandardOutput.Writer.WriteLine(JsonSerializer.Serialize(new { model, scorings }, JsonFormat.Options));
            return 0;
        }
        var w = StandardOutput.Writer;
        w.WriteLine($"{model.Name}: {model.Versions.Length} version(s), production {(model.Production is { } p ? $"@{p}" : "none")}");
        foreach (var v in model.Versions)
        {
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {(v.Version == model.Production ? "*" : " ")} @{v.Version}  {v.RegisteredAt:yyyy-MM-dd HH:mm:ss}  {v.Sha256[..12]}  from {(v.RunId is null ? v.Source : $"run {v.RunId}")}"));
        }
        w.WriteLine("latest scorings:");
        foreach (var s in scorings)
        {
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {s.At:yyyy-MM-dd HH:mm:ss}  @{s.Version}  {s.Command,-7} {s.InputSha256[..12]}  {s.Input}  {s.Summary}"));
        }
        return 0;
    }

    /// <summary>Opens the run store (it must exist: the registry lives in it) for <paramref name="action"/>.</summary>
    private static int WithStore(ParseResult parse, Func<SqliteRunStore, int> action)
    {
        var configured = ChurnConfig.Load(parse.GetValue(ChurnCommandLine.Config));
        if (configured is Result<ChurnConfig>.Error configError)
        {
            return ChurnCli.Fail(configError.Problem);
        }
        var opened = SqliteRunStore.Open(ChurnCli.StorePath(parse, configured.Unwrap()), DateTimeOffset.UtcNow);
        if (opened is Result<SqliteRunStore>.Error storeError)
        {
            return ChurnCli.Fail(storeError.Problem);
        }
        using var store = opened.Unwrap();
        return action(store);
    }

    public static int Compare(ParseResult parse)
    {
        var a = parse.GetRequiredValue(Champion);
        var b = parse.GetRequiredValue(Challenger);
        var resolved = ModelReference.Resolve(parse, a).Bind(ra => ModelReference.Resolve(parse, b).Map(rb => (ra.Directory, rb.Directory)));
        if (resolved is Result<(string, string)>.Error unresolved)
        {
            return ChurnCli.Fail(unresolved.Problem);
        }
        var (dirA, dirB) = resolved.Unwrap();
        var input = parse.GetRequiredValue(Labelled);
        var baseRate = PredictCommand.BaseRate(parse);
        var compared = ChurnConfig.Load(parse.GetValue(ChurnCommandLine.Config))
            .Map(config => new CampaignEconomics(
                parse.Given(ChurnCommandLine.ContactCost) ? parse.GetValue(ChurnCommandLine.ContactCost) : config.Run.Campaign.ContactCost,
                parse.Given(ChurnCommandLine.ConversionValue) ? parse.GetValue(ChurnCommandLine.ConversionValue) : config.Run.Campaign.ConversionValue))
            .Bind(economics => CustomerCsv.Load(input, TargetPolicy.Required).Bind(labelled =>
                Probabilities(dirA, labelled.Data, baseRate).Bind(pa => Probabilities(dirB, labelled.Data, baseRate).Map(pb =>
                    ChampionChallenger.Compare(pa, pb, labelled.Data.Targets, economics, parse.GetValue(BootstrapSeed), parse.GetValue(Resamples))))));
        if (compared is Result<ModelComparison>.Error error)
        {
            return ChurnCli.Fail(error.Problem);
        }
        var comparison = compared.Unwrap();
        if (parse.GetValue(ChurnCommandLine.Json))
        {
            StandardOutput.Writer.WriteLine(JsonSerializer.Serialize(new { champion = a, challenger = b, comparison }, JsonFormat.Options));
            return 0;
        }
        Print(a, b, comparison, StandardOutput.Writer);
        return 0;
    }

    /// <summary>The calibrated probabilities a model gives the labelled customers, with its own scaler.</summary>
    private static Result<System.Collections.Immutable.ImmutableArray<double>> Probabilities(string modelDir, Dataset customers, double? baseRate) =>
        ModelArtifact.Load(modelDir).Bind(model => CustomerScoring.Probabilities(model, modelDir, customers, baseRate));

    public static void Print(string a, string b, ModelComparison c, TextWriter w)
    {
        var inv = CultureInfo.InvariantCulture;
        w.WriteLine(string.Create(inv, $"A (champion): {a}"));
        w.WriteLine(string.Create(inv, $"B (challenger): {b}"));
        w.WriteLine(string.Create(inv, $"on {c.Rows:N0} labelled customers; {c.Confidence:P0} intervals from {c.Resamples:N0} paired bootstrap resamples"));
        w.WriteLine(string.Create(inv, $"  {"",-18} {"A",10} {"B",10} {"B - A",10}   interval of B - A"));
        var figures = new (string Name, double A, double B)[]
        {
            ("ROC AUC", c.A.RocAuc, c.B.RocAuc),
            ("Brier", c.A.Brier, c.B.Brier),
            ("calibration error", c.A.CalibrationError, c.B.CalibrationError),
            ("profit per 1,000", c.A.ProfitPer1000, c.B.ProfitPer1000),
        };
        foreach (var (row, d) in figures.Zip(c.Differences))
        {
            w.WriteLine(string.Create(inv, $"  {row.Name,-18} {row.A,10:0.0000} {row.B,10:0.0000} {d.Difference,10:+0.0000;-0.0000;0}   {d.Low:0.0000} to {d.High:0.0000}"));
        }
        w.WriteLine($"verdict: {c.Verdict}");
    }
}
