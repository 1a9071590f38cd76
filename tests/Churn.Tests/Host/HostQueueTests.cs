using Churn.Host.Store;

namespace Churn.Tests.Host;

/// <summary>Many runs at once, and a host that stops with runs still queued and running.</summary>
public class HostQueueTests
{
    [Fact]
    public async Task Twenty_runs_at_once_with_concurrency_two_all_finish_once_and_never_more_than_two_run_together()
    {
        await using var host = await TestHost.StartAsync(maxConcurrentRuns: 2);

        var ids = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            host.SubmitAsync(i % 5 == 0
                ? RunBodies.Train(Path.Combine(host.Directory, $"run-{i}"), maxEpochs: 2)
                : RunBodies.Prepare(Path.Combine(host.Directory, $"run-{i}")))));
        foreach (var id in ids)
        {
            await host.WaitForAsync(id, r => RunStatus.IsFinished(r["status"]!.GetValue<string>()), TimeSpan.FromMinutes(3));
        }

        var runs = host.Server.Store.List(null, 100);
        Assert.Equal(20, ids.Distinct().Count());
        Assert.Equal(ids.Order(), runs.Select(r => r.Id).Order());
        Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        Assert.All(ids.Select((id, i) => (id, i)), x => Assert.True(File.Exists(Path.Combine(host.Directory, $"run-{x.i}", "manifest.json"))));

        // At any moment a run started and not yet finished holds a slot: count them at every start.
        var intervals = runs.Select(r => (Start: r.StartedAt!.Value, End: r.FinishedAt!.Value)).ToList();
        var mostAtOnce = intervals.Max(a => intervals.Count(b => b.Start <= a.Start && a.Start < b.End));
        Assert.InRange(mostAtOnce, 1, 2);
    }

    [Fact]
    public async Task Stopping_the_host_cancels_queued_and_running_runs_and_records_them()
    {
        var host = await TestHost.StartAsync(maxConcurrentRuns: 1);
        string running, queued;
        try
        {
            running = await host.SubmitAsync(RunBodies.Endless(Path.Combine(host.Directory, "endless")));
            queued = await host.SubmitAsync(RunBodies.Prepare(Path.Combine(host.Directory, "waiting")));
            await host.WaitForAsync(running, r => r["epoch"] is not null, TimeSpan.FromSeconds(90));
        }
        finally
        {
            await host.DisposeAsync();
        }

        using var store = SqliteRunStore.Open(host.StorePath, DateTimeOffset.UtcNow).Unwrap();
        var stopped = store.Get(running)!;
        var neverStarted = store.Get(queued)!;
        Assert.Equal(RunStatus.Cancelled, stopped.Status);
        Assert.Equal("train", stopped.Stage);
        Assert.Contains("host shut down", stopped.Error, StringComparison.Ordinal);
        Assert.NotNull(stopped.FinishedAt);
        Assert.Equal(RunStatus.Cancelled, neverStarted.Status);
        Assert.Null(neverStarted.StartedAt);
    }
}
