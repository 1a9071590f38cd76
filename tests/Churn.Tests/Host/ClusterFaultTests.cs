using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Churn.Host.Search;
using Churn.Numerics.Search;
using Churn.Tests.Cli;

namespace Churn.Tests.Host;

/// <summary>
/// Faults and changes of a cluster on loopback, with real <c>churn host --cluster-port</c> and <c>churn worker --join</c>
/// processes (a host with no trial slots of its own, workers of one slot each): a worker joining mid-search, a cancel,
/// and the host SIGKILLed mid-search under ASHA and started again.
/// </summary>
public class ClusterFaultTests
{
    private static string Config(string directory, string name, string logs, bool coordinatorOnly = false)
    {
        var config = new JsonObject { ["logs"] = Path.Combine(directory, logs) };
        if (coordinatorOnly)
        {
            // Trials that would train for ever (only a cancel ends them) need more epochs than the host allows by default.
            config["host"] = new JsonObject { ["trialSlots"] = 0, ["limits"] = new JsonObject { ["maxEpochs"] = 10_000, ["maxPatience"] = 10_000 } };
        }
        File.WriteAllText(Path.Combine(directory, name), config.ToJsonString());
        return name;
    }

    private static async Task<string> PostSearch(HostProcess host, JsonObject body)
    {
        using var response = await host.Http.PostAsync("searches", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        return JsonNode.Parse(text)!["id"]!.GetValue<string>();
    }

    private static bool RunsOn(JsonNode search, string? node) =>
        search["trialNodes"]!.AsArray().Any(t => t!["node"]?.GetValue<string>() == node && t["status"]!.GetValue<string>() == "running");

    /// <summary>Whether a trial on <paramref name="node"/> is training: running, with an epoch done there.</summary>
    private static bool TrainsOn(JsonNode search, string? node) =>
        search["trialList"]!.AsArray().Any(t => t!["node"]?.GetValue<string>() == node && t["status"]!.GetValue<string>() == "running" && t["epochs"]!.GetValue<int>() > 0);

    [Fact]
    public async Task A_worker_that_joins_mid_search_gets_work_and_a_cancel_stops_the_trials_on_every_node()
    {
        var dir = TestPaths.NewTempDirectory();
        var clusterPort = HostProcess.FreePort();
        var store = Path.Combine(dir, "runs.db");
        await using var host = await HostProcess.StartAsync(dir, store, Config(dir, "host.json", "logs", coordinatorOnly: true),
            "--cluster-port", clusterPort.ToString(CultureInfo.InvariantCulture));
        using var first = new WorkerProcess(dir, clusterPort, Config(dir, "first.json", "first-logs"));
        await WorkerProcess.Until(host, "cluster", c => c["nodes"]!.AsArray().Count == 1, "the first worker did not join", first);

        // Trials that would train far longer than the test: only the cancel ends them. Small epochs, so a stop is obeyed at once.
        var body = new JsonObject
        {
            ["trials"] = 4,
            ["seeds"] = 1,
            ["maxEpochs"] = 10_000,
            ["space"] = JsonNode.Parse("""{ "depth": [1], "width": [8, 16], "batchSize": [512], "patience": [10000], "dropout": [0], "weightDecay": [0], "kind": ["plain"], "transform": ["standard"] }"""),
            ["data"] = TestPaths.BundledData,
            ["out"] = Path.Combine(dir, "cancelled"),
            ["seed"] = 2,
        };
        var id = await PostSearch(host, body);
        await WorkerProcess.Until(host, $"searches/{id}", s => TrainsOn(s, first.Name), "no trial trained on the first worker", first);

        using var second = new WorkerProcess(dir, clusterPort, Config(dir, "second.json", "second-logs"));
        var running = await WorkerProcess.Until(host, $"searches/{id}", s => TrainsOn(s, first.Name) && TrainsOn(s, second.Name), "the worker that joined mid-search got no trial", first, second);
        var onWorkers = running["trialList"]!.AsArray().Where(t => t!["status"]!.GetValue<string>() == "running").ToDictionary(t => t!["index"]!.GetValue<int>(), t => t!["node"]!.GetValue<string>());
        Assert.Equal(2, onWorkers.Count);

        using (var cancel = await host.Http.DeleteAsync($"searches/{id}", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }
        var ended = await WorkerProcess.Until(host, $"searches/{id}", s => s["status"]!.GetValue<string>() != "running", "the cancelled search did not end", first, second);
        Assert.Equal("cancelled", ended["status"]!.GetValue<string>());

        // Every trial that trained on a worker ended cancelled, once, and nothing in the store is left running.
        var searches = SearchStore.Open(store).Unwrap();
        var stored = searches.Load(id).Unwrap();
        Assert.DoesNotContain(stored.Trials, t => t.Status is TrialStatus.Running or TrialStatus.Held or TrialStatus.Promoted);
        Assert.All(onWorkers.Keys, trial => Assert.Equal(TrialStatus.Cancelled, stored.Trials[trial - 1].Status));
        Assert.All(searches.Attempts(id).Values, a => Assert.True(a <= 1, $"a trial started {a} times"));

        // Each worker's trial obeyed the stop between epochs, within the cancel's grace (a trial that had not would have
        // been stopped outright, without this line), and said so from its own node.
        var lines = await WorkerProcess.Until(host, $"searches/{id}/logs",
            l => onWorkers.All(w => l["lines"]!.AsArray().Any(line => line!["source"]!.GetValue<string>().StartsWith($"akka.tcp://{w.Value}/", StringComparison.Ordinal)
                && line["message"]!.GetValue<string>().StartsWith($"trial {w.Key} stopped after epoch", StringComparison.Ordinal))),
            "a worker's trial did not report its stop", first, second);
        Assert.NotNull(lines);
        var cluster = await host.GetAsync("cluster");
        Assert.All(cluster["nodes"]!.AsArray(), n => Assert.Equal(0, n!["used"]!.GetValue<int>()));
    }

    [Fact]
    public async Task The_host_killed_mid_search_resumes_it_with_the_workers_that_rejoin_and_asha_gives_the_one_process_leaderboard()
    {
        var dir = TestPaths.NewTempDirectory();
        var clusterPort = HostProcess.FreePort();
        var store = Path.Combine(dir, "runs.db");
        var port = clusterPort.ToString(CultureInfo.InvariantCulture);
        var space = new JsonObject
        {
            ["trials"] = 6,
            ["seeds"] = 1,
            ["maxEpochs"] = 8,
            ["scheduler"] = "asha",
            ["asha"] = new JsonObject { ["rungs"] = new JsonArray(2, 4), ["reductionFactor"] = 2 },
            ["space"] = JsonNode.Parse("""{ "depth": [1, 2], "width": [16, 32], "learningRate": { "min": 0.0005, "max": 0.005, "scale": "log" }, "batchSize": [128], "patience": [30], "dropout": [0], "weightDecay": [0], "kind": ["plain"], "transform": ["standard"] }"""),
        };
        File.WriteAllText(Path.Combine(dir, "space.json"), space.ToJsonString());
        var body = space.DeepClone().AsObject();
        body["data"] = TestPaths.BundledData;
        body["out"] = Path.Combine(dir, "cluster");
        body["seed"] = 4;

        using var first = new WorkerProcess(dir, clusterPort, Config(dir, "first.json", "first-logs"));
        using var second = new WorkerProcess(dir, clusterPort, Config(dir, "second.json", "second-logs"));
        string id;
        StoredSearch before;
        await using (var killed = await HostProcess.StartAsync(dir, store, Config(dir, "host.json", "logs", coordinatorOnly: true), "--cluster-port", port))
        {
            await WorkerProcess.Until(killed, "cluster", c => c["nodes"]!.AsArray().Count == 2, "the workers did not join", first, second);
            id = await PostSearch(killed, body);
            await WorkerProcess.Until(killed, $"searches/{id}", s => s["trials"]!["ended"]!.GetValue<int>() >= 1 && (RunsOn(s, first.Name) || RunsOn(s, second.Name)),
                "no trial ended while another trained", first, second);
            killed.Kill();
            before = SearchStore.Open(store).Unwrap().Load(id).Unwrap();
        }
        Assert.Equal("running", before.Status);
        Assert.Contains(before.Trials, t => !t.Ended);

        // The host starts again on the same cluster port and resumes the search; the workers find it and rejoin.
        await using var host = await HostProcess.StartAsync(dir, store, "host.json", "--cluster-port", port);
        var done = await WorkerProcess.Until(host, $"searches/{id}", s => s["status"]!.GetValue<string>() != "running", "the resumed search did not end", first, second);
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Contains("left the cluster", first.Output + second.Output, StringComparison.Ordinal);
        var rejoined = (first.Output + second.Output).Split('\n').Where(l => l.StartsWith("churn worker: node ", StringComparison.Ordinal) && l.Contains(" joining ", StringComparison.Ordinal))
            .Select(l => l.Split(' ')[3]).Except([first.Name, second.Name]).ToHashSet();
        var resumedOn = done["trialNodes"]!.AsArray().Where(t => before.Trials[t!["trial"]!.GetValue<int>() - 1] is { Ended: false } && t["node"] is not null).Select(t => t!["node"]!.GetValue<string>()).ToList();
        Assert.NotEmpty(resumedOn);
        Assert.All(resumedOn, node => Assert.Contains(node, rejoined));

        // Every trial ended exactly once: those ended before the kill were kept (not run again), the others ran once more.
        var searches = SearchStore.Open(store).Unwrap();
        var after = searches.Load(id).Unwrap();
        Assert.All(after.Trials, t => Assert.True(t.Ended, $"trial {t.Spec.Index + 1} is {t.Status}"));
        Assert.All(after.Trials, t => Assert.Equal(Enumerable.Range(1, t.History.Length), t.History.Select(h => h.Epoch)));
        var attempts = searches.Attempts(id);
        Assert.All(before.Trials.Where(t => t.Ended), t =>
        {
            Assert.Equal(1, attempts[t.Spec.Index]);
            Assert.Equal(t.History, after.Trials[t.Spec.Index].History);
        });
        Assert.Contains(after.Trials, t => t.Status == TrialStatus.Pruned);

        // The same ASHA search in one process: the leaderboard is byte for byte the same.
        var alone = await ChurnProcess.RunAsync(dir, "search", "--data", TestPaths.BundledData, "--space", "space.json", "--out", "alone", "--seed", "4", "--parallel", "2");
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        Assert.Equal(
            await File.ReadAllBytesAsync(Path.Combine(dir, "alone", SearchFiles.LeaderboardFile), TestContext.Current.CancellationToken),
            await File.ReadAllBytesAsync(Path.Combine(dir, "cluster", SearchFiles.LeaderboardFile), TestContext.Current.CancellationToken));
    }
}
