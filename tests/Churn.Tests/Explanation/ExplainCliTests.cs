using System.Globalization;
using Churn.Tests.Cli;

namespace Churn.Tests.Explanation;

/// <summary>A model trained once by <c>churn run</c> (two epochs), with the background sample it saves, and a few files of customers (no header, as the bundled file).</summary>
public sealed class ExplainFixture : IAsyncLifetime
{
    public string Dir { get; } = TestPaths.NewTempDirectory();

    public string Model => Path.Combine(Dir, "run", "model");

    public async ValueTask InitializeAsync()
    {
        File.WriteAllText(Path.Combine(Dir, "quick.json"), """{ "model": { "maxEpochs": 2 } }""");
        var run = await ChurnProcess.RunAsync(Dir, "run", "--data", TestPaths.BundledData, "--out", "run", "--config", "quick.json", "--no-store");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var lines = File.ReadAllLines(TestPaths.BundledData);
        File.WriteAllLines(Path.Combine(Dir, "customers.csv"), lines[..300]);
        File.WriteAllLines(Path.Combine(Dir, "background.csv"), lines[9000..9040]);
        File.WriteAllLines(Path.Combine(Dir, "huge-background.csv"), lines[..1500]);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

[Collection(Model.TorchCollection.Name)]
public sealed class ExplainCliTests(ExplainFixture fixture) : IClassFixture<ExplainFixture>
{
    private string Dir => fixture.Dir;

    [Theory]
    [InlineData("saved")]
    [InlineData("file")]
    public async Task Explain_adds_up_to_each_customers_log_odds_whose_logistic_is_predicts_probability(string background)
    {
        var output = $"explain-{background}.csv";
        string[] extra = background == "file" ? ["--background", "background.csv"] : [];
        var explained = await ChurnProcess.RunAsync(Dir, ["explain", "--model", fixture.Model, "--input", "customers.csv", "--output", output, .. extra]);
        var predicted = await ChurnProcess.RunAsync(Dir, "predict", "--model", fixture.Model, "--input", "customers.csv", "--output", "predict.csv");
        Assert.True(explained.ExitCode == 0, explained.Stderr);
        Assert.True(predicted.ExitCode == 0, predicted.Stderr);

        var rows = Csv(output);
        var probabilities = Csv("predict.csv").ToDictionary(r => r["customer_id"], r => Number(r["probability"]));
        Assert.Equal(300, rows.Count);
        foreach (var row in rows)
        {
            var contributions = row.Keys.Where(k => k.EndsWith("_log_odds", StringComparison.Ordinal) && k is not ("log_odds" or "base_log_odds")).ToList();
            Assert.Equal(10, contributions.Count);
            var logOdds = Number(row["log_odds"]);
            Assert.InRange(Math.Abs(Number(row["base_log_odds"]) + contributions.Sum(k => Number(row[k])) - logOdds), 0, 1e-9);
            Assert.InRange(Math.Abs((1 / (1 + Math.Exp(-logOdds))) - probabilities[row["customer_id"]]), 0, 1e-6);
            var points = row.Keys.Where(k => k.EndsWith("_points", StringComparison.Ordinal)).Sum(k => Number(row[k]));
            Assert.InRange(Math.Abs(points - (100 * (Number(row["probability"]) - Number(row["base_probability"])))), 0, 1e-9);
        }
        // The customer's own values are written beside their contributions.
        Assert.Equal(Number(File.ReadLines(Path.Combine(Dir, "customers.csv")).First().Split(',')[8]), Number(rows[0]["minutes_listened"]));
    }

    [Fact]
    public async Task Explain_reports_a_bad_field_with_file_line_and_column_and_writes_nothing()
    {
        var lines = File.ReadAllLines(Path.Combine(Dir, "customers.csv"))[..6];
        var fields = lines[3].Split(',');
        fields[3] = "cheap";
        lines[3] = string.Join(',', fields);
        File.WriteAllLines(Path.Combine(Dir, "bad.csv"), lines);

        var result = await ChurnProcess.RunAsync(Dir, "explain", "--model", fixture.Model, "--input", "bad.csv", "--output", "bad-out.csv");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("bad.csv:4:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("price_avg", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Dir, "bad-out.csv")));
    }

    [Fact]
    public async Task A_background_over_the_limit_or_beyond_the_saved_sample_is_refused_with_the_reason()
    {
        var huge = await ChurnProcess.RunAsync(Dir, "explain", "--model", fixture.Model, "--input", "customers.csv", "--background", "huge-background.csv", "--output", "huge.csv");
        var beyond = await ChurnProcess.RunAsync(Dir, "explain", "--model", fixture.Model, "--input", "customers.csv", "--background-size", "800", "--output", "beyond.csv");
        var sampled = await ChurnProcess.RunAsync(Dir, "explain", "--model", fixture.Model, "--input", "customers.csv", "--background", "huge-background.csv", "--background-size", "50", "--output", "sampled.csv");

        Assert.Equal(1, huge.ExitCode);
        Assert.Contains("limits.maxBackgroundRows", huge.Stderr, StringComparison.Ordinal);
        Assert.Contains("huge-background.csv", huge.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Dir, "huge.csv")));
        Assert.Equal(1, beyond.ExitCode);
        Assert.Contains("--background CSV", beyond.Stderr, StringComparison.Ordinal);
        Assert.True(sampled.ExitCode == 0, sampled.Stderr);
    }

    [Fact]
    public async Task A_model_saved_without_a_background_asks_for_one_and_explains_against_a_given_file()
    {
        var legacy = TestPaths.ModelV1;

        var refused = await ChurnProcess.RunAsync(Dir, "explain", "--model", legacy, "--input", "customers.csv", "--output", "legacy.csv");
        var given = await ChurnProcess.RunAsync(Dir, "explain", "--model", legacy, "--input", "customers.csv", "--background", "background.csv", "--output", "legacy.csv");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--background CSV", refused.Stderr, StringComparison.Ordinal);
        Assert.True(given.ExitCode == 0, given.Stderr);
        Assert.Equal(300, Csv("legacy.csv").Count);
    }

    [Fact]
    public async Task Predict_reasons_are_the_largest_contributions_first_with_their_direction()
    {
        var predicted = await ChurnProcess.RunAsync(Dir, "predict", "--model", fixture.Model, "--input", "customers.csv", "--reasons", "3", "--output", "reasons.csv");
        var explained = await ChurnProcess.RunAsync(Dir, "explain", "--model", fixture.Model, "--input", "customers.csv", "--output", "explain-reasons.csv");
        Assert.True(predicted.ExitCode == 0, predicted.Stderr);
        Assert.True(explained.ExitCode == 0, explained.Stderr);

        var explanations = Csv("explain-reasons.csv").ToDictionary(r => r["customer_id"]);
        var rows = Csv("reasons.csv");
        Assert.Equal(300, rows.Count);
        foreach (var row in rows)
        {
            var reasons = new[] { row["reason_1"], row["reason_2"], row["reason_3"] };
            Assert.All(reasons, r => Assert.Matches(@"^[a-z_]+ = \S+ \((raises the odds|lowers the odds) x([0-9.]+| > 1000)\)$|^[a-z_]+ = \S+ \(no effect\)$", r));
            var explanation = explanations[row["customer_id"]];
            var sizes = explanation.Keys.Where(k => k.EndsWith("_log_odds", StringComparison.Ordinal) && k is not ("log_odds" or "base_log_odds"))
                .ToDictionary(k => k[..^"_log_odds".Length], k => Number(explanation[k]));
            var first = reasons[0].Split(" = ")[0];
            Assert.Equal(sizes.Values.Max(Math.Abs), Math.Abs(sizes[first]));
            Assert.Contains(sizes[first] > 0 ? "raises" : "lowers", reasons[0], StringComparison.Ordinal);
            Assert.Equal(explanation[first], reasons[0].Split(" = ")[1].Split(' ')[0], (a, b) => Math.Abs(Number(a) - Number(b)) <= 1e-4 * Math.Max(1, Math.Abs(Number(a))));
        }
    }

    [Fact]
    public async Task Target_reasons_are_given_to_every_contacted_customer_and_to_no_other()
    {
        var planned = await ChurnProcess.RunAsync(Dir, "target", "--model", fixture.Model, "--input", "customers.csv", "--budget", "40", "--reasons", "3", "--output", "plan/contacts.csv");
        Assert.True(planned.ExitCode == 0, planned.Stderr);

        var rows = Csv(Path.Combine("plan", "contacts.csv"));
        Assert.Equal(40, rows.Count(r => r["contact"] == "1"));
        foreach (var row in rows)
        {
            var reasons = new[] { row["reason_1"], row["reason_2"], row["reason_3"] };
            if (row["contact"] == "1")
            {
                Assert.All(reasons, r => Assert.Contains(" = ", r, StringComparison.Ordinal));
            }
            else
            {
                Assert.All(reasons, r => Assert.Equal("", r));
            }
        }
    }

    private List<Dictionary<string, string>> Csv(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(Dir, file));
        var header = lines[0].Split(',');
        return [.. lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second))];
    }

    private static double Number(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
}
