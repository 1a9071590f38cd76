using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Churn.Host.Configuration;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;

namespace Churn.Host.Cli;

/// <summary>
/// <c>churn target</c>: plans a campaign. Scores the customers like <c>churn predict</c>, then contacts those whose
/// expected value exceeds the contact cost (or the <c>--budget</c> most likely buyers, or the <c>--top</c> share), and
/// writes the contact list, a summary and <c>campaign.png</c>.
/// </summary>
public static class TargetCommand
{
    public const string ChartFile = "campaign.png";

    public static int Run(ParseResult parse)
    {
        var input = parse.GetRequiredValue(ChurnCommandLine.Input);
        var output = parse.GetValue(ChurnCommandLine.Contacts);
        var json = parse.GetValue(ChurnCommandLine.Json);
        if (parse.Given(ChurnCommandLine.Budget) && parse.Given(ChurnCommandLine.Top))
        {
            return ChurnCommandLine.Usage("--budget and --top both choose whom to contact; give one of them", "target");
        }
        if (ScoringModel.ScalingUsage(parse, "target") is { } usage)
        {
            return usage;
        }
        if (json && output is null)
        {
            return ChurnCommandLine.Usage("--json needs --output CSV: the summary goes to stdout, the contact list to the file", "target");
        }
        if (ScoringModel.OverwritesInput(input, output) is { } overwrites)
        {
            return overwrites;
        }
        // The model is resolved after the usage checks, so that a usage error is one whatever the model.
        var loaded = ScoringModel.Load(parse);
        if (loaded is Result<ScoringModel>.Error unresolved)
        {
            return ChurnCli.Fail(unresolved.Problem);
        }
        var model = loaded.Unwrap();
        var scaling = model.Scaling;
        var reasons = ScoringModel.Reasons(parse);
        ContactPolicy policy = parse.Given(ChurnCommandLine.Budget) ? new ContactPolicy.Budget(parse.GetValue(ChurnCommandLine.Budget))
            : parse.Given(ChurnCommandLine.Top) ? new ContactPolicy.Top(parse.GetValue(ChurnCommandLine.Top))
            : ContactPolicy.ExpectedValue;

        var format = ScoreTableWriter.FormatOf(output, ScoringStream.FormatGiven(parse));
        var folder = output is null ? null : Path.GetDirectoryName(Path.GetFullPath(output)) ?? ".";
        if (folder is not null)
        {
            try
            {
                // The plan's folder is the user's choice, as churn run's --out is: made if missing.
                Directory.CreateDirectory(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return ChurnCli.Fail(new Problem($"cannot create the output folder: {e.Message}", folder));
            }
        }

        // Cost and value: the flags, else the configuration's campaign section (the shipped one's are the flags' defaults).
        TargetScores.Planned? planned = null;
        var written = ChurnConfig.Load(parse.GetValue(ChurnCommandLine.Config))
            .Map(config => new CampaignEconomics(
                parse.Given(ChurnCommandLine.ContactCost) ? parse.GetValue(ChurnCommandLine.ContactCost) : config.Run.Campaign.ContactCost,
                parse.Given(ChurnCommandLine.ConversionValue) ? parse.GetValue(ChurnCommandLine.ConversionValue) : config.Run.Campaign.ConversionValue))
            .Bind(economics => ScoringStream.WriteOutput(output, stream =>
            {
                var plan = TargetScores.Plan(model, input, policy, economics, reasons ?? 0, format, stream);
                planned = plan is Result<TargetScores.Planned>.Ok { Value: var value } ? value : null;
                return plan is Result<TargetScores.Planned>.Error { Problem: var problem } ? problem : null;
            }));
        if (written is Result<string>.Error error)
        {
            return ChurnCli.Fail(error.Problem);
        }
        var (summary, curve, drift, sha256) = planned!;
        ModelReference.Record(model.Reference, "target", input, new
        {
            summary,
            drift = DriftCommand.Recorded(drift),
        }, sha256);
        if (output is null)
        {
            Summary(summary, Console.Error);
            DriftCommand.Warn("target", model.Artifact, drift, scaling.ScaledInputs, Console.Error);
            return 0;
        }

        var chart = Path.Combine(folder!, ChartFile);
        var drawn = AtomicFile.Write(chart, ReportChart.Campaign(curve, (double)summary.Contacted / Math.Max(1, summary.Customers)));
        if (drawn is Result<string>.Error drawError)
        {
            return ChurnCli.Fail(drawError.Problem);
        }
        if (json)
        {
            // The summary's fields as before, and the drift report beside them (null: not checked).
            var document = JsonSerializer.SerializeToNode(summary, JsonFormat.Options)!.AsObject();
            document["drift"] = JsonSerializer.SerializeToNode(drift, JsonFormat.Options);
            StandardOutput.Writer.WriteLine(document.ToJsonString(JsonFormat.Options));
        }
        else
        {
            Summary(summary, StandardOutput.Writer);
        }
        Console.Error.WriteLine($"churn target: wrote {output} and {chart}");
        DriftCommand.Warn("target", model.Artifact, drift, scaling.ScaledInputs, Console.Error);
        return 0;
    }

    public static void Summary(CampaignSummary s, TextWriter w)
    {
        var inv = CultureInfo.InvariantCulture;
        void Row(string label, string value) => w.WriteLine(string.Create(inv, $"  {label,-26} {value}"));
        Row("plan", s.Policy);
        Row("customers contacted", string.Create(inv, $"{s.Contacted:N0} of {s.Customers:N0} ({(s.Customers == 0 ? 0 : (double)s.Contacted / s.Customers):P1})"));
        Row("expected buyers among them", string.Create(inv, $"{s.ExpectedBuyers:N1} ({s.ExpectedBuyersReachedShare:P1} of all expected buyers)"));
        Row("expected profit", string.Create(inv, $"{s.ExpectedProfit:N0} (cost {s.ContactCost:G} per contact, value {s.ConversionValue:G} per buyer)"));
        Row("contacting everyone", string.Create(inv, $"{s.EveryoneExpectedProfit:N0}"));
        Row("as many at random", string.Create(inv, $"{s.RandomExpectedProfit:N0}"));
        if (s.Realized is { } r)
        {
            Row("realized (file's targets)", string.Create(inv, $"{r.BuyersContacted:N0} of {r.Buyers:N0} buyers contacted, profit {r.Profit:N0} (best cut-off of these scores {r.BestCutoffProfit:N0})"));
        }
    }
}
