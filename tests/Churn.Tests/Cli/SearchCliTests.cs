using System.Diagnostics;
using Churn.Host.Configuration;
using Churn.Host.Search;
using Churn.Numerics.Search;

namespace Churn.Tests.Cli;

/// <summary><c>churn search</c> end to end in its own process: files, the run store, and a SIGKILL in the middle.</summary>
public class SearchCliTests
{
    /// <summary>Small enough for a test, long enough (a second or so per trial that is not pruned) to be killed half-way.</summary>
    private static string Space(string scheduler) => $$"""
        {
          "trials": 4, "seeds": 2, "maxEpochs": 40, "scheduler": "{{scheduler}}", "asha": { "rungs": [3, 6], "reductionFactor": 3 },
          "logFeatures": "skewed",
          "space": {
            "depth": [1, 2], "width": [16, 32, 64], "activation": ["relu", "tanh"], "learningRate": { "min": 0.0005, "max": 0.005, "scale": "log" },
            "batchSize": [64, 128], "patience": [20], "dropout": [0, 0.1], "weightDecay": [0],
            "kind": ["plain"], "transform": ["standard"]
          }
        }
        """;

    private static string NewWorkingDirectory(string scheduler)
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "space.json"), Space(scheduler));
        return dir;
    }

    private static string[] SearchArgs(string outDir) =>
        ["search", "--data", TestPaths.BundledData, "--space", "space.json", "--out", outDir, "--seed", "5", "--parallel", "2"];

    [Theory]
    [InlineData("none")]
    [InlineData("asha")]
    public async Task A_search_killed_mid_way_resumes_to_the_same_result_with_every_trial_accounted_for_once(string scheduler)
    {
        var dir = NewWorkingDirectory(scheduler);

        // Kill the process with SIGKILL once two trials have ended and others are training (or paused at a rung).
        var start = TestPaths.ChurnStart(dir, SearchArgs("killed"));
        string? searchId = null;
        var ended = 0;
        using (var process = Process.Start(start)!)
        {
            _ = process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            while (await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
            {
                searchId ??= line.StartsWith("churn search: search-", StringComparison.Ordinal) ? line.Split(' ')[2] : null;
                if (line.TrimStart().StartsWith("trial ", StringComparison.Ordinal) && ++ended == 2)
                {
                    process.Kill(entireProcessTree: true);
                    break;
                }
            }
            await process.WaitForExitAsync(timeout.Token);
        }
        Assert.NotNull(searchId);
        Assert.Equal(2, ended);
        var store = SearchStore.Open(Path.Combine(dir, new HostSettings().Store)).Unwrap();
        var interrupted = store.Load(searchId).Unwrap();
        Assert.Equal("running", interrupted.Status);
        Assert.Contains(interrupted.Trials, t => t.Status == TrialStatus.Running);
        var keptBefore = interrupted.Trials.Where(t => t.Ended).ToDictionary(t => t.Spec.Index);

        var resumed = await ChurnProcess.RunAsync(dir, "search", "--resume", searchId, "--parallel", "1");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);

        var done = store.Load(searchId).Unwrap();
        Assert.Equal("completed", done.Status);
        Assert.Equal(8, done.Trials.Length);
        Assert.All(done.Trials, t => Assert.True(t.Ended, $"trial {t.Spec.Index} is {t.Status}"));
        Assert.All(done.Trials, t => Assert.Equal(Enumerable.Range(1, t.History.Length), t.History.Select(h => h.Epoch)));
        var attempts = store.Attempts(searchId);
        foreach (var (index, before) in keptBefore)
        {
            // Trials that had ended before the kill were kept, not run again.
            Assert.Equal(1, attempts[index]);
            Assert.Equal(before.History, done.Trials[index].History);
        }
        Assert.Contains(attempts, a => a.Value == 2);

        // The same search run without interruption gives the same leaderboard and the same scheduler decisions.
        var straight = await ChurnProcess.RunAsync(dir, SearchArgs("straight"));
        Assert.True(straight.ExitCode == 0, straight.Stderr);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "straight", SearchFiles.LeaderboardFile)), File.ReadAllText(Path.Combine(dir, "killed", SearchFiles.LeaderboardFile)));
        if (scheduler == "asha")
        {
            var straightId = straight.Stderr.Split('\n').First(l => l.StartsWith("churn search: search-", StringComparison.Ordinal)).Split(' ')[2];
            Assert.NotEmpty(done.Decisions);
            Assert.Equal(store.Load(straightId).Unwrap().Decisions, done.Decisions);
        }
    }

    [Fact]
    public async Task The_best_configuration_is_a_config_file_that_churn_run_accepts_and_reproduces()
    {
        var dir = NewWorkingDirectory("none");

        var search = await ChurnProcess.RunAsync(dir, SearchArgs("out"));

        Assert.True(search.ExitCode == 0, search.Stderr);
        Assert.Contains("rank  cfg  calibrated loss  validation loss", search.Stdout);
        Assert.Contains(SearchFiles.TestNote, search.Stdout);
        Assert.Contains("winner, population", search.Stdout);
        foreach (var file in new[] { SearchFiles.LeaderboardFile, SearchFiles.BestFile, SearchFiles.ChartFile, SearchFiles.SummaryFile, "metrics.json", "model/model.json" })
        {
            Assert.True(File.Exists(Path.Combine(dir, "out", file)), file);
        }
        var best = Path.Combine(dir, "out", SearchFiles.BestFile);
        Assert.True(ChurnConfig.Load(best).IsOk);
        var run = await ChurnProcess.RunAsync(dir, "run", "--config", best, "--out", "rerun", "--json");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "out", "metrics.json")), File.ReadAllText(Path.Combine(dir, "rerun", "metrics.json")).Replace(Path.Combine(dir, "rerun"), Path.Combine(dir, "out"), StringComparison.Ordinal));

        // The winner's two seeds as one averaged model, which predict and target load like any other.
        var averaged = Path.Combine(dir, "out", "averaged-model");
        Assert.Contains(search.Stdout.Split('\n'), l => l.Contains("averaged model", StringComparison.Ordinal) && l.Contains(averaged, StringComparison.Ordinal));
        Assert.Single(Directory.GetFiles(averaged, "member-2-*.dat"));
        var predict = await ChurnProcess.RunAsync(dir, "predict", "--model", averaged, "--input", TestPaths.BundledData, "--output", "scores.csv");
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var scores = File.ReadAllLines(Path.Combine(dir, "scores.csv"));
        Assert.Equal(14_085, scores.Length);
        var mean = scores.Skip(1).Average(l => double.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(mean, 0.12, 0.20);
        var target = await ChurnProcess.RunAsync(dir, "target", "--model", averaged, "--input", TestPaths.BundledData, "--contact-cost", "2", "--conversion-value", "10", "--output", "contacts.csv", "--json");
        Assert.True(target.ExitCode == 0, target.Stderr);
    }

    [Fact]
    public async Task A_bad_space_file_is_reported_with_file_and_field()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "space.json"), """{ "space": { "dropout": [0, 1.5] } }""");

        var result = await ChurnProcess.RunAsync(dir, "search", "--space", "space.json");

        Assert.Equal(1, result.ExitCode);
        var message = result.Stderr.Trim().Split('\n').Last();
        Assert.Contains("space.json", message);
        Assert.Contains("space.dropout[1]", message);
    }

    [Fact]
    public async Task A_search_reads_no_more_rows_than_the_config_files_limits_allow_as_a_run()
    {
        var dir = NewWorkingDirectory("none");
        File.WriteAllText(Path.Combine(dir, "small.json"), """{ "limits": { "maxRows": 100 } }""");

        var search = await ChurnProcess.RunAsync(dir, [.. SearchArgs("searched"), "--config", "small.json", "--trials", "1", "--seeds", "1", "--no-store"]);
        var run = await ChurnProcess.RunAsync(dir, "run", "--data", TestPaths.BundledData, "--out", "ran", "--config", "small.json", "--no-store");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("more than the limit of 100 rows (limits.maxRows)", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, search.ExitCode);
        Assert.Contains("more than the limit of 100 rows (limits.maxRows)", search.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--scheduler", "hyperband", "none or asha")]
    [InlineData("--seeds", "0", "--seeds:")]
    [InlineData("--parallel", "0", "--parallel")]
    [InlineData("--trials", "x", "--trials")]
    public async Task Bad_flags_are_usage_errors(string flag, string value, string expected)
    {
        var result = await ChurnProcess.RunAsync(TestPaths.NewTempDirectory(), "search", flag, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
    }

    [Fact]
    public async Task Sigterm_cancels_a_search_which_then_reports_how_to_resume_it()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "space.json"), Space("none").Replace("\"maxEpochs\": 40", "\"maxEpochs\": 10000", StringComparison.Ordinal)
            .Replace("\"patience\": [20]", "\"patience\": [10000]", StringComparison.Ordinal));

        // No trial can finish on its own: the signal is what ends the search.
        var result = await ChurnProcess.SignalAsync(
            dir, "TERM", line => line.TrimStart().StartsWith("data ", StringComparison.Ordinal), SearchArgs("signalled"));

        Assert.True(result.ExitCode == 130, result.Stderr);
        Assert.Contains("continue it with: churn search --resume search-", result.Stderr);
        Assert.True(File.Exists(Path.Combine(dir, "signalled", "leaderboard.csv")));
        // The store says so too: cancelled, no trial left running, so the resume it names can pick the search up.
        var id = result.Stderr.Split('\n').First(l => l.StartsWith("churn search: search-", StringComparison.Ordinal)).Split(' ')[2];
        var stored = SearchStore.Open(Path.Combine(dir, new HostSettings().Store)).Unwrap().Load(id).Unwrap();
        Assert.Equal("cancelled", stored.Status);
        Assert.DoesNotContain(stored.Trials, t => t.Status is TrialStatus.Running or TrialStatus.Held or TrialStatus.Promoted);
        Assert.DoesNotContain(stored.Trials, t => t.Status is TrialStatus.Completed);
    }
    [Fact]
    public async Task A_search_interrupted_under_an_older_store_layout_resumes_after_the_migration_and_reports_numbered_from_1()
    {
        var dir = TestPaths.NewTempDirectory();
        var path = Host.SearchStoreTests.OlderStore(Path.Combine(dir, "old", "churn.db"));
        var id = Host.SearchStoreTests.OlderSearch;
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            // As its process left it had it died while configuration 4's two trials trained (the data moved with the store).
            connection.Open();
            using var interrupt = connection.CreateCommand();
            interrupt.CommandText = """
                UPDATE searches SET status = 'running', summary = NULL, request = json_set(request, '$.dataPath', $data, '$.outDir', $out);
                UPDATE search_trials SET status = 'running', reason = NULL, epochs = 0, best_validation_loss = NULL, ended_at = NULL WHERE configuration = 3;
                DELETE FROM search_epochs WHERE trial IN (6, 7);
                """;
            interrupt.Parameters.AddWithValue("$data", TestPaths.BundledData);
            interrupt.Parameters.AddWithValue("$out", Path.Combine(dir, "resumed"));
            interrupt.ExecuteNonQuery();
        }

        var resumed = await ChurnProcess.RunAsync(dir, "search", "--resume", id, "--store", path, "--parallel", "1", "--json");

        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("resume    6 trial(s) kept as they ended; 2 to run; 6 scheduler decision(s) kept", resumed.Stderr);
        var store = SearchStore.Open(path).Unwrap();
        var done = store.Load(id).Unwrap();
        Assert.Equal("completed", done.Status);
        Assert.Equal([1, 1, 2, 2, 2, 1, 2, 2], Enumerable.Range(0, 8).Select(i => store.Attempts(id)[i]));
        // Configuration 4 was stopped at the first rung before the interruption; that decision stands for its re-run.
        Assert.All(done.Trials.Skip(6), t => Assert.Equal(TrialStatus.Pruned, t.Status));
        var report = System.Text.Json.Nodes.JsonNode.Parse(resumed.Stdout)!;
        Assert.Equal([1, 2, 3, 4], report["leaderboard"]!.AsArray().Select(r => r!["configuration"]!.GetValue<int>()).Order());
        Assert.Equal([1, 1, 1, 1, 2, 2], report["decisions"]!.AsArray().Select(d => d!["rung"]!.GetValue<int>()).Order());
        Assert.Equal(report["best"]!["configuration"]!.GetValue<int>(), report["leaderboard"]![0]!["configuration"]!.GetValue<int>());
        Assert.StartsWith($"1,{report["best"]!["configuration"]},", File.ReadAllLines(Path.Combine(dir, "resumed", SearchFiles.LeaderboardFile))[1], StringComparison.Ordinal);
    }
}
