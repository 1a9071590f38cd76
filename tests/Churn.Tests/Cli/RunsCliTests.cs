using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Churn.Tests.Cli;

/// <summary>Every command's run recorded in the run store, listed by <c>churn runs</c>, from one process or several at once.</summary>
public partial class RunsCliTests
{
    [GeneratedRegex(@"churn (?:run|prepare|train): run (\d{8}-\d{6}-[0-9a-f]{6}), recorded in (.+)")]
    private static partial Regex RunLine();

    private static string FastConfig(string dir)
    {
        var path = Path.Combine(dir, "fast.json");
        File.WriteAllText(path, """{ "model": { "maxEpochs": 3 }, "device": "cpu" }""");
        return path;
    }

    private static string RunId(ChurnResult result)
    {
        var match = RunLine().Match(result.Stderr.Split('\n')[0]);
        Assert.True(match.Success, $"the first line names no run id:\n{result.Stderr}");
        return match.Groups[1].Value;
    }

    [Fact]
    public async Task Run_prints_its_id_first_and_churn_runs_lists_it_newest_first_with_its_figures()
    {
        var dir = TestPaths.NewTempDirectory();
        var config = FastConfig(dir);

        var prepared = await ChurnProcess.RunAsync(dir, "prepare", "--out", "p");
        var trained = await ChurnProcess.RunAsync(dir, "run", "--config", config, "--out", "r");

        Assert.True(prepared.ExitCode == 0, prepared.Stderr);
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        var (prepareId, runId) = (RunId(prepared), RunId(trained));
        Assert.Equal(Path.Combine(dir, "runs", "churn.db"), RunLine().Match(trained.Stderr).Groups[2].Value.Trim());

        var table = await ChurnProcess.RunAsync(dir, "runs");
        Assert.True(table.ExitCode == 0, table.Stderr);
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith(runId, lines[1], StringComparison.Ordinal);
        Assert.Contains("succeeded", lines[1], StringComparison.Ordinal);
        Assert.StartsWith(prepareId, lines[2], StringComparison.Ordinal);

        var json = JsonNode.Parse((await ChurnProcess.RunAsync(dir, "runs", "--json")).Stdout)!["runs"]!.AsArray();
        Assert.Equal([runId, prepareId], json.Select(r => r!["id"]!.GetValue<string>()));
        var metrics = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "r", "metrics.json"), TestContext.Current.CancellationToken))!;
        Assert.Equal(metrics["test"]!["accuracy"]!.GetValue<double>(), json[0]!["headline"]!["testAccuracy"]!.GetValue<double>());
        Assert.Equal("run", json[0]!["mode"]!.GetValue<string>());
        Assert.Equal(3, json[0]!["epoch"]!.GetValue<int>());
        Assert.Null(json[1]!["headline"]);

        var limited = JsonNode.Parse((await ChurnProcess.RunAsync(dir, "runs", "--json", "--limit", "1")).Stdout)!["runs"]!.AsArray();
        Assert.Equal(runId, Assert.Single(limited)!["id"]!.GetValue<string>());
        var failed = JsonNode.Parse((await ChurnProcess.RunAsync(dir, "runs", "--json", "--status", "failed")).Stdout)!["runs"]!.AsArray();
        Assert.Empty(failed);
    }

    [Fact]
    public async Task A_failed_run_is_recorded_failed_with_its_reason_and_no_store_records_nothing()
    {
        var dir = TestPaths.NewTempDirectory();
        var bad = Path.Combine(dir, "bad.csv");
        await File.WriteAllTextAsync(bad, "1,2,3\n", TestContext.Current.CancellationToken);

        var failed = await ChurnProcess.RunAsync(dir, "prepare", "--data", bad, "--store", "elsewhere/my.db");
        var unrecorded = await ChurnProcess.RunAsync(dir, "prepare", "--no-store", "--out", "n");

        Assert.Equal(1, failed.ExitCode);
        Assert.Equal(0, unrecorded.ExitCode);
        Assert.Contains("not recorded (--no-store)", unrecorded.Stderr.Split('\n')[0], StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "runs", "churn.db")));
        var runs = JsonNode.Parse((await ChurnProcess.RunAsync(dir, "runs", "--json", "--store", "elsewhere/my.db")).Stdout)!["runs"]!.AsArray();
        var run = Assert.Single(runs)!;
        Assert.Equal(RunId(failed), run["id"]!.GetValue<string>());
        Assert.Equal("failed", run["status"]!.GetValue<string>());
        Assert.Contains("bad.csv", run["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("runs", "--status", "done")]
    [InlineData("runs", "--limit", "0")]
    [InlineData("run", "--no-store", "--store", "x.db")]
    [InlineData("runs", "--bogus", "1")]
    public async Task Bad_runs_and_store_flags_are_usage_errors(params string[] args)
    {
        var result = await ChurnProcess.RunAsync(TestPaths.NewTempDirectory(), args);

        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public async Task Runs_without_a_store_says_so_in_one_line()
    {
        var result = await ChurnProcess.RunAsync(TestPaths.NewTempDirectory(), "runs", "--store", "none/here.db");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("none/here.db", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Processes_sharing_a_store_all_record_their_runs()
    {
        var dir = TestPaths.NewTempDirectory();
        var store = Path.Combine(dir, "shared.db");

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            ChurnProcess.RunAsync(dir, "prepare", "--store", store, "--out", $"p{i}", "--seed", i.ToString(System.Globalization.CultureInfo.InvariantCulture))));

        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Stderr));
        var runs = JsonNode.Parse((await ChurnProcess.RunAsync(dir, "runs", "--json", "--store", store)).Stdout)!["runs"]!.AsArray();
        Assert.Equal(results.Select(RunId).Order(), runs.Select(r => r!["id"]!.GetValue<string>()).Order());
        Assert.All(runs, r => Assert.Equal("succeeded", r!["status"]!.GetValue<string>()));
    }
}
