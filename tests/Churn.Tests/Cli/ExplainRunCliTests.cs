using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Churn.Numerics.Explanation;

namespace Churn.Tests.Cli;

/// <summary>What <c>churn run</c> says about which behaviours bring customers back: metrics.json, the console, explain.png.</summary>
public class ExplainRunCliTests
{
    [Fact]
    public async Task A_run_writes_its_explanations_into_metrics_json_and_explain_png_and_prints_the_ranking_and_sentences()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "quick.json"), """{ "model": { "maxEpochs": 3 } }""");

        var run = await ChurnProcess.RunAsync(dir, "run", "--data", TestPaths.BundledData, "--out", "out", "--config", "quick.json", "--no-store");

        Assert.True(run.ExitCode == 0, run.Stderr);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "out", "metrics.json")))!;
        var e = metrics["explanations"]!;
        var behaviours = e["behaviours"]!.AsArray();
        Assert.Equal(10, behaviours.Count);
        Assert.Equal([.. Enumerable.Range(1, 10)], behaviours.Select(b => b!["rank"]!.GetValue<int>()));
        var means = behaviours.Select(b => b!["meanAbsContribution"]!.GetValue<double>()).ToList();
        Assert.Equal(means.OrderByDescending(m => m), means);
        Assert.All(behaviours, b => Assert.InRange(b!["meanAbsContribution"]!.GetValue<double>(), b["low"]!.GetValue<double>(), b["high"]!.GetValue<double>()));
        Assert.InRange(e["customers"]!.GetValue<int>(), 100, ExplainSettings.Default.Customers);
        Assert.Equal(RunExplanations.RankingMeasure, e["measure"]!.GetValue<string>());

        // Each sentence belongs to a top behaviour and says the direction its partial dependence curve has.
        var sentences = e["sentences"]!.AsArray().Select(s => s!.GetValue<string>()).ToList();
        Assert.InRange(sentences.Count, 1, ExplainSettings.Default.Sentences);
        foreach (var b in behaviours.Take(sentences.Count))
        {
            var trend = b!["trend"]!;
            var average = b["partialDependence"]!["average"]!.AsArray().Select(p => p!.GetValue<double>()).ToList();
            var grid = b["partialDependence"]!["grid"]!.AsArray().Select(p => p!.GetValue<double>()).ToList();
            Assert.Equal(grid.Order(), grid);
            Assert.Contains(trend["sentence"]!.GetValue<string>(), sentences);
            switch (trend["shape"]!.GetValue<string>())
            {
                case "rises":
                    Assert.True(average[^1] > average[0], $"{trend} over {string.Join(", ", average)}");
                    break;
                case "falls":
                    Assert.True(average[^1] < average[0], $"{trend} over {string.Join(", ", average)}");
                    break;
            }
        }

        // The console prints the same ranking, in the same order, and the sentences.
        var printed = run.Stdout.Split('\n').SkipWhile(l => !l.Contains("which behaviours bring customers back", StringComparison.Ordinal)).Skip(1).Take(10)
            .Select(l => l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).ToList();
        Assert.Equal(behaviours.Select(b => b!["feature"]!.GetValue<string>()), printed);
        Assert.All(sentences, s => Assert.Contains(s, run.Stdout, StringComparison.Ordinal));
        Assert.Contains("second view: drop in ROC AUC when a behaviour is shuffled", run.Stdout, StringComparison.Ordinal);
        Assert.True(metrics["importance"]![0]!["repeats"]!.GetValue<int>() > 1);

        var png = File.ReadAllBytes(Path.Combine(dir, "out", "explain.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        Assert.Equal(4 * 560, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(2 * 460, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.Contains("explain.png", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Skip_explain_leaves_out_the_explain_stage_and_its_chart_and_changes_no_other_figure()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "quick.json"), """{ "model": { "maxEpochs": 3 } }""");

        var full = await ChurnProcess.RunAsync(dir, "run", "--data", TestPaths.BundledData, "--out", "full", "--config", "quick.json", "--no-store", "--seed", "3");
        var quick = await ChurnProcess.RunAsync(dir, "run", "--data", TestPaths.BundledData, "--out", "quick", "--config", "quick.json", "--no-store", "--seed", "3", "--skip-explain");

        Assert.True(full.ExitCode == 0, full.Stderr);
        Assert.True(quick.ExitCode == 0, quick.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "quick", "explain.png")));
        Assert.True(File.Exists(Path.Combine(dir, "quick", "report.png")));
        Assert.DoesNotContain("  explain ", quick.Stderr, StringComparison.Ordinal);
        Assert.Contains("  explain ", full.Stderr, StringComparison.Ordinal);
        var withExplanations = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "full", "metrics.json")))!.AsObject();
        var without = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "quick", "metrics.json")))!.AsObject();
        Assert.Null(without["explanations"]);
        Assert.NotNull(withExplanations["explanations"]);
        withExplanations.Remove("explanations");
        without.Remove("explanations");
        Assert.Equal(withExplanations.ToJsonString(), without.ToJsonString());
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(dir, "full", "model", "model.json")),
            File.ReadAllBytes(Path.Combine(dir, "quick", "model", "model.json")));
    }
}
