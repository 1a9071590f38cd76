using System.Globalization;
using System.Text;
using System.Text.Json;
using Churn.Host.Configuration;
using Churn.Numerics;
using Churn.Numerics.Evaluation;

namespace Churn.Host.Cli;

/// <summary>
/// <c>churn target</c>: plans a campaign. Scores the customers like <c>churn predict</c>, then contacts those whose
/// expected value exceeds the contact cost (or the <c>--budget</c> most likely buyers, or the <c>--top</c> share), and
/// writes the contact list, a summary and <c>campaign.png</c>.
/// </summary>
public static class TargetCommand
{
    public const string Header = "customer_id,probability,expected_value,rank,contact\n";
    public const string ChartFile = "campaign.png";

    public static readonly string[] Options = ["model", "input", "output", "contact-cost", "conversion-value", "budget", "top", "base-rate", "config"];
    public static readonly string[] Flags = ["json", "verbose"];

    public static int Run(Arguments a)
    {
        if (a.Get("model") is not { } modelDir || a.Get("input") is not { } input)
        {
            Console.Error.WriteLine("churn: 'churn target' needs --model DIR and --input CSV");
            return 2;
        }
        if (a.Has("budget") && a.Has("top"))
        {
            Console.Error.WriteLine("churn: 'churn target' takes --budget N or --top P%, not both");
            return 2;
        }
        var output = a.Get("output");
        var json = a.Flags.Contains("json");
        if (json && output is null)
        {
            Console.Error.WriteLine("churn: 'churn target --json' needs --output CSV (the summary goes to stdout, the contact list to the file)");
            return 2;
        }
        if (output is not null && Path.GetFullPath(output) == Path.GetFullPath(input))
        {
            return ChurnCli.Fail(new Problem("--output would overwrite the input file", output));
        }

        var planned = ChurnConfig.Load(a.Get("config"))
            .Bind(config => Economics(a, config.Campaign))
            .Bind(economics => Policy(a).Map(policy => (economics, policy)))
            .Bind(choice => PredictCommand.BaseRate(a).Map(rate => (choice.economics, choice.policy, rate)))
            .Bind(c => PredictCommand.Load(modelDir, input, c.rate).Map(scores =>
                Campaign.Plan(scores.Customers.Ids, scores.Probabilities, scores.Customers.HasTargets ? scores.Customers.Targets : [], c.policy, c.economics)));
        if (planned is Result<CampaignPlan>.Error error)
        {
            return ChurnCli.Fail(error.Problem);
        }
        var plan = planned.Unwrap();
        var csv = Format(plan);
        if (output is null)
        {
            using var stdout = Console.OpenStandardOutput();
            stdout.Write(csv);
            Summary(plan.Summary, Console.Error);
            return 0;
        }

        var chart = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output)) ?? ".", ChartFile);
        var written = AtomicFile.Write(output, csv)
            .Bind(_ => AtomicFile.Write(chart, ReportChart.Campaign(plan.Curve, (double)plan.Summary.Contacted / Math.Max(1, plan.Summary.Customers))));
        if (written is Result<string>.Error writeError)
        {
            return ChurnCli.Fail(writeError.Problem);
        }
        if (json)
        {
            StandardOutput.Writer.WriteLine(JsonSerializer.Serialize(plan.Summary, JsonFormat.Options));
        }
        else
        {
            Summary(plan.Summary, StandardOutput.Writer);
        }
        Console.Error.WriteLine($"churn target: wrote {output} and {chart}");
        return 0;
    }

    /// <summary>Cost and value from the flags, else from the configuration's <c>campaign</c> section.</summary>
    public static Result<CampaignEconomics> Economics(Arguments a, CampaignEconomics defaults)
    {
        var cost = Number(a, "contact-cost", defaults.ContactCost);
        var value = Number(a, "conversion-value", defaults.ConversionValue);
        return cost.Bind(c => value.Bind(v =>
        {
            var economics = new CampaignEconomics(c, v);
            return economics.Check() is { } problem
                ? Result.Fail<CampaignEconomics>($"--{(problem.Column == "contactCost" ? "contact-cost" : "conversion-value")}: {problem.Reason}")
                : Result.Ok(economics);
        }));
    }

    private static Result<double> Number(Arguments a, string name, double fallback) =>
        a.Get(name) is not { } text
            ? Result.Ok(fallback)
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
                ? Result.Ok(v)
                : Result.Fail<double>($"--{name} takes a number, not '{text}'");

    /// <summary><c>--budget N</c> (a whole number from 1), <c>--top P%</c> (a percentage above 0 and at most 100), else by expected value.</summary>
    public static Result<ContactPolicy> Policy(Arguments a)
    {
        if (a.Get("budget") is { } budget)
        {
            return int.TryParse(budget, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
                ? Result.Ok<ContactPolicy>(new ContactPolicy.Budget(n))
                : Result.Fail<ContactPolicy>($"--budget takes the number of customers to contact, a whole number from 1, not '{budget}'");
        }
        if (a.Get("top") is { } top)
        {
            var text = top.EndsWith('%') ? top[..^1] : top;
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent > 0 && percent <= 100
                ? Result.Ok<ContactPolicy>(new ContactPolicy.Top(percent / 100))
                : Result.Fail<ContactPolicy>($"--top takes a percentage of customers above 0 and at most 100 (e.g. 20%), not '{top}'");
        }
        return Result.Ok(ContactPolicy.ExpectedValue);
    }

    /// <summary>The contact list, most likely buyer first.</summary>
    public static byte[] Format(CampaignPlan plan)
    {
        var text = new StringBuilder(Header, Header.Length + (plan.Rows.Length * 48));
        foreach (var row in plan.Rows.OrderBy(r => r.Rank))
        {
            text.Append(CultureInfo.InvariantCulture, $"{row.CustomerId},{row.Probability:F6},{row.ExpectedValue:F6},{row.Rank},{(row.Contact ? 1 : 0)}\n");
        }
        return Encoding.ASCII.GetBytes(text.ToString());
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
