using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Churn.Host.Configuration;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Model;

namespace Churn.Host.Cli;

/// <summary><c>churn models</c>: the verbs about saved models as a whole: comparing a champion with a challenger.</summary>
public static class ModelsCommand
{
    public static readonly Argument<string> Champion = new("A") { Description = "the champion: a model folder" };
    public static readonly Argument<string> Challenger = new("B") { Description = "the challenger: a model folder" };
    public static readonly Option<string> Labelled = new("--input") { Description = "labelled customers (ID, 10 features, target) both models score", HelpName = "CSV", Required = true };
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
            [Labelled, ChurnCommandLine.ContactCost, ChurnCommandLine.ConversionValue, ChurnCommandLine.BaseRate, ChurnCommandLine.Seed, Resamples, ChurnCommandLine.Config, ChurnCommandLine.Json, ChurnCommandLine.Verbose],
            (p, c) => Task.FromResult(Compare(p)));
        compare.Arguments.Add(Champion);
        compare.Arguments.Add(Challenger);
        return new Command("models", "saved models: compare a champion with a challenger") { compare };
    }

    public static int Compare(ParseResult parse)
    {
        var a = parse.GetRequiredValue(Champion);
        var b = parse.GetRequiredValue(Challenger);
        var input = parse.GetRequiredValue(Labelled);
        var baseRate = PredictCommand.BaseRate(parse);
        var compared = ChurnConfig.Load(parse.GetValue(ChurnCommandLine.Config))
            .Map(config => new CampaignEconomics(
                parse.Given(ChurnCommandLine.ContactCost) ? parse.GetValue(ChurnCommandLine.ContactCost) : config.Campaign.ContactCost,
                parse.Given(ChurnCommandLine.ConversionValue) ? parse.GetValue(ChurnCommandLine.ConversionValue) : config.Campaign.ConversionValue))
            .Bind(economics => CustomerCsv.Load(input, TargetPolicy.Required).Bind(labelled =>
                Probabilities(a, labelled.Data, baseRate).Bind(pa => Probabilities(b, labelled.Data, baseRate).Map(pb =>
                    ChampionChallenger.Compare(pa, pb, labelled.Data.Targets, economics, parse.GetValue(ChurnCommandLine.Seed), parse.GetValue(Resamples))))));
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
        ModelArtifact.Load(modelDir)
            .Bind(model => PredictCommand.WithScaler(model, modelDir, null, false))
            .Bind(model => model.Score(customers, baseRate).Match(
                Result.Ok,
                problem => Result.Fail<CustomerScores>(problem with { File = problem.File ?? Path.Combine(modelDir, ModelArtifact.ManifestFile) })))
            .Map(scores => scores.Probabilities);

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
