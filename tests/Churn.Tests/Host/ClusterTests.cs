using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Churn.Host.Search;
using Churn.Numerics.Search;
using Churn.Tests.Cli;

namespace Churn.Tests.Host;

/// <summary>
/// A cluster on loopback: <c>churn host --cluster-port</c> with no trial slots of its own and two
/// <c>churn worker --join</c> processes of one slot each; a search posted to the host, one worker SIGKILLed mid-search.
/// </summary>
public class ClusterTests
{
    /// <summary>Trials of a second or two each, so a worker can be killed while it trains one.</summary>
    private const string Space = """
        {
          "trials": 4, "seeds": 2, "maxEpochs": 25,
          "space": {
            "depth": [1, 2], "width": [16, 32, 64], "activation": ["relu", "tanh"], "learningRate": { "min": 0.0005, "max": 0.005, "scale": "log" },
            "batchSize": [64, 128], "patience": [30], "dropout": [0, 0.1], "weightDecay": [0],
            "kind": ["plain"], "transform": ["standard"]
          }
        }
        """;

    private const int Trials = 8;

    [Fact]
    public async Task A_search_runs_on_two_workers_survives_one_killed_and_gives_the_one_process_leaderboard()
    {
        var dir = TestPaths.NewTempDirectory();
        var clusterPort = HostProcess.FreePort();
        File.WriteAllText(Path.Combine(dir, "host.json"), $$"""{ "host": { "trialSlots": 0 }, "logs": "{{Path.Combine(dir, "logs")}}" }""");
        File.WriteAllText(Path.Combine(dir, "worker.json"), $$"""{ "logs": "{{Path.Combine(dir, "worker-logs")}}" }""");
        File.WriteAllText(Path.Combine(dir, "space.json"), Space);
        var store = Path.Combine(dir, "runs.db");

        await using var host = await HostProcess.StartAsync(dir, store, "host.json", "--cluster-port", clusterPort.ToString(CultureInfo.InvariantCulture));
        using var first = new WorkerProcess(dir, clusterPort, "worker.json");
        using var second = new WorkerProcess(dir, clusterPort, "worker.json");
        var cluster = await WorkerProcess.Until(host, "cluster", c => c["nodes"]!.AsArray().Count == 2 && c["members"]!.AsArray().Count(m => m!["status"]!.GetValue<string>() == "up") == 3,
            "the workers did not join", first, second);
        Assert.Equal(["coordinator"], cluster["members"]!.AsArray().Single(m => m!["address"]!.GetValue<string>() == cluster["self"]!.GetValue<string>())!["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.All(cluster["nodes"]!.AsArray(), n => Assert.Equal(1, n!["slots"]!.GetValue<int>()));

        var body = JsonNode.Parse(Space)!.AsObject();
        body["data"] = TestPaths.BundledData;
        body["out"] = Path.Combine(dir, "cluster");
        body["seed"] = 5;
        using var response = await host.Http.PostAsync("searches", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["id"]!.GetValue<string>();

        // Kill the first worker while it trains a trial, after each worker has ended one.
        var victim = first.Name!;
        var survivor = second.Name!;
        bool EndedOn(JsonNode s, string node) => s["trialNodes"]!.AsArray().Any(t => t!["node"]?.GetValue<string>() == node && t["status"]!.GetValue<string>() == "completed");
        bool RunsOn(JsonNode s, string node) => s["trialNodes"]!.AsArray().Any(t => t!["node"]?.GetValue<string>() == node && t["status"]!.GetValue<string>() == "running");
        await WorkerProcess.Until(host, $"searches/{id}", s => EndedOn(s, victim) && EndedOn(s, survivor) && RunsOn(s, victim), "no trial ran on both workers", first, second);
        first.Process.Kill();
        var killed = Stopwatch.StartNew();

        await WorkerProcess.Until(host, "cluster", c => c["nodes"]!.AsArray().Count == 1 && c["members"]!.AsArray().All(m => m!["address"]!.GetValue<string>() != victim),
            "the killed worker stayed in the cluster", second);
        Assert.True(killed.Elapsed < TimeSpan.FromSeconds(30), $"the killed worker left the cluster view after {killed.Elapsed.TotalSeconds:F1} s");

        var search = await WorkerProcess.Until(host, $"searches/{id}", s => s["status"]!.GetValue<string>() != "running", "the search did not end", second);
        Assert.Equal("completed", search["status"]!.GetValue<string>());
        Assert.Equal(Trials, search["trials"]!["completed"]!.GetValue<int>());
        var nodes = search["trialNodes"]!.AsArray();
        Assert.Equal(Trials, nodes.Count);
        Assert.Contains(nodes, t => t!["node"]!.GetValue<string>() == victim);

        // Every trial accounted for exactly once: one row per trial, each ended once; the killed worker's trial was re-queued and re-run.
        {
            var searchStore = SearchStore.Open(store).Unwrap();
            var stored = searchStore.Load(id).Unwrap();
            Assert.Equal(Trials, stored.Trials.Length);
            Assert.All(stored.Trials, t => Assert.Equal(TrialStatus.Completed, t.Status));
            var requeues = searchStore.Requeues(id);
            Assert.True(requeues.Values.Sum() >= 1, "no trial was re-queued after the kill");
            var attempts = searchStore.Attempts(id);
            Assert.All(requeues.Where(r => r.Value > 0), r => Assert.Equal(r.Value + 1, attempts[r.Key]));
            Assert.All(stored.Trials.Where(t => requeues[t.Spec.Index] > 0), t => Assert.Equal(survivor, t.Node));
        }

        // The workers' trial lines reached the host's logs.
        var logs = await File.ReadAllTextAsync(Directory.GetFiles(Path.Combine(dir, "logs"), "*.jsonl").Single(), TestContext.Current.CancellationToken);
        var sources = string.Join("\n", logs.Split('\n').Select(l => l.Split("\"source\":")[^1].Split(",\"stage")[0]).Distinct());
        Assert.True(logs.Contains($"akka.tcp://{survivor}/user/trial-node/", StringComparison.Ordinal), $"{survivor}:\n{sources}");
        Assert.True(logs.Contains($"akka.tcp://{victim}/user/trial-node/", StringComparison.Ordinal), $"{victim}:\n{sources}\n{first.Output}");

        var lines = (await host.GetAsync($"searches/{id}/logs"))["lines"]!.AsArray();
        Assert.Contains(lines, l => l!["source"]!.GetValue<string>().StartsWith($"akka.tcp://{survivor}/", StringComparison.Ordinal) && l["message"]!.GetValue<string>().Contains("completed", StringComparison.Ordinal));
        Assert.Contains(lines, l => l!["source"]!.GetValue<string>().StartsWith($"akka.tcp://{victim}/", StringComparison.Ordinal));

        // The same search in one process: the leaderboard is byte for byte the same.
        var alone = await ChurnProcess.RunAsync(dir, "search", "--data", TestPaths.BundledData, "--space", "space.json", "--out", "alone", "--seed", "5", "--parallel", "2");
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        Assert.Equal(
            await File.ReadAllBytesAsync(Path.Combine(dir, "alone", SearchFiles.LeaderboardFile), TestContext.Current.CancellationToken),
            await File.ReadAllBytesAsync(Path.Combine(dir, "cluster", SearchFiles.LeaderboardFile), TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("worker", "--join", "10.1.2.3:4053")]
    [InlineData("worker", "--join", "127.0.0.1:4053", "--bind", "0.0.0.0")]
    [InlineData("host", "--cluster-port", "0", "--config", "wide.json")]
    public async Task The_cluster_port_reaches_beyond_loopback_only_with_tls(params string[] args)
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "wide.json"), """{ "host": { "clusterBind": "0.0.0.0" } }""");

        var result = await ChurnProcess.RunAsync(dir, args);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("beyond loopback", result.Stderr);
        Assert.Contains("TLS", result.Stderr);
    }

    [Fact]
    public async Task A_host_without_a_cluster_port_says_so_at_get_cluster()
    {
        var dir = TestPaths.NewTempDirectory();
        await using var host = await HostProcess.StartAsync(dir, Path.Combine(dir, "runs.db"));
        using var response = await host.Http.GetAsync("cluster", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("--cluster-port", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
