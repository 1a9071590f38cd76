using System.Text.Json.Nodes;
using Churn.Host.Store;

namespace Churn.Tests.Host;

/// <summary>The built <c>churn host</c> in its own process: killed with SIGKILL mid-run and started again, or stopped with SIGTERM.</summary>
public class HostProcessTests
{
    [Fact]
    public async Task After_a_kill_mid_run_finished_runs_are_intact_the_killed_one_is_interrupted_and_new_runs_are_taken()
    {
        var dir = TestPaths.NewTempDirectory();
        var config = Path.Combine(dir, "host.json");
        await File.WriteAllTextAsync(config, new JsonObject
        {
            ["out"] = Path.Combine(dir, "out"),
            ["logs"] = Path.Combine(dir, "logs"),
            ["device"] = "cpu",
        }.ToJsonString(), TestContext.Current.CancellationToken);
        var store = Path.Combine(dir, "store", "churn.db");
        string finished, killed;

        await using (var first = await HostProcess.StartAsync(dir, store, config))
        {
            finished = await first.SubmitAsync(RunBodies.Train(Path.Combine(dir, "finished"), maxEpochs: 2));
            await first.WaitForAsync(finished, r => RunStatus.IsFinished(Status(r)));
            killed = await first.SubmitAsync(RunBodies.Endless(Path.Combine(dir, "killed")));
            await first.WaitForAsync(killed, r => r["epoch"] is not null);

            first.Kill();
        }

        await using var second = await HostProcess.StartAsync(dir, store, config);
        var intact = await second.GetAsync($"runs/{finished}");
        Assert.Equal(RunStatus.Succeeded, Status(intact));
        Assert.Equal(2, intact["metrics"]!["training"]!["epochsRun"]!.GetValue<int>());
        Assert.Equal(2, intact["epochs"]!.AsArray().Count);
        var interrupted = await second.GetAsync($"runs/{killed}");
        Assert.Equal(RunStatus.Interrupted, Status(interrupted));
        Assert.StartsWith("interrupted: its process stopped while the run was running", interrupted["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(interrupted["finishedAt"]);
        var fresh = await second.SubmitAsync(RunBodies.Prepare(Path.Combine(dir, "fresh")));
        Assert.Equal(RunStatus.Succeeded, Status(await second.WaitForAsync(fresh, r => RunStatus.IsFinished(Status(r)))));
    }

    [Fact]
    public async Task Sigterm_cancels_queued_and_running_runs_records_them_and_exits_0()
    {
        var dir = TestPaths.NewTempDirectory();
        var config = Path.Combine(dir, "host.json");
        await File.WriteAllTextAsync(config, new JsonObject { ["logs"] = Path.Combine(dir, "logs"), ["device"] = "cpu" }.ToJsonString(), TestContext.Current.CancellationToken);
        var store = Path.Combine(dir, "churn.db");
        string running, queued;
        int exitCode;

        await using (var host = await HostProcess.StartAsync(dir, store, config))
        {
            running = await host.SubmitAsync(RunBodies.Endless(Path.Combine(dir, "endless")));
            queued = await host.SubmitAsync(RunBodies.Prepare(Path.Combine(dir, "waiting")));
            await host.WaitForAsync(running, r => r["epoch"] is not null);

            exitCode = await host.TerminateAsync();
        }

        Assert.Equal(0, exitCode);
        using var runs = SqliteRunStore.Open(store, DateTimeOffset.UtcNow).Unwrap();
        Assert.Equal(RunStatus.Cancelled, runs.Get(running)!.Status);
        Assert.Equal("the host shut down", runs.Get(running)!.Error);
        Assert.Equal(RunStatus.Cancelled, runs.Get(queued)!.Status);
    }

    private static string Status(JsonNode run) => run["status"]!.GetValue<string>();
}
