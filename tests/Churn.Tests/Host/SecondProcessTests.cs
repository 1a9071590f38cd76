using System.Diagnostics;
using System.Text.Json.Nodes;
using Churn.Host.Api;
using Churn.Host.Configuration;
using Churn.Host.Search;
using Churn.Tests.Cli;
using Microsoft.Extensions.Logging;

namespace Churn.Tests.Host;

/// <summary>A second process on the same store: a second host, or a resume of a search whose owner is alive.</summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public class SecondProcessTests
{
    [Fact]
    public async Task A_second_host_on_a_store_exits_at_once_naming_store_and_owner_and_the_first_hosts_runs_keep_their_status()
    {
        var dir = TestPaths.NewTempDirectory();
        var store = Path.Combine(dir, "runs", "churn.db");
        await using var first = await HostProcess.StartAsync(dir, store);
        var running = await first.SubmitAsync(RunBodies.Endless(Path.Combine(dir, "endless")));
        var queued = await first.SubmitAsync(RunBodies.Prepare(Path.Combine(dir, "waiting")));
        await first.WaitForAsync(running, r => r["epoch"] is not null);
        var storeBytes = await File.ReadAllBytesAsync(store, TestContext.Current.CancellationToken);

        var clock = Stopwatch.StartNew();
        var second = await ChurnProcess.RunAsync(dir, "host", "--port", "0", "--store", store);

        Assert.Equal(1, second.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Contains(store, second.Stderr, StringComparison.Ordinal);
        Assert.Contains($"pid {first.Pid}", second.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("listening", second.Stdout, StringComparison.Ordinal);
        Assert.Equal("running", (await first.GetAsync($"runs/{running}"))["status"]!.GetValue<string>());
        Assert.Equal("queued", (await first.GetAsync($"runs/{queued}"))["status"]!.GetValue<string>());
        Assert.NotNull((await first.GetAsync($"runs/{running}"))["epoch"]);
        Assert.True(storeBytes.Length > 0);
    }

    [Fact]
    public async Task A_host_in_this_process_on_a_locked_store_is_refused_and_the_lock_is_free_once_the_first_stops()
    {
        var first = await TestHost.StartAsync();
        var defaults = ChurnConfig.Merge(ChurnConfig.LoadNode(null).Unwrap(), new JsonObject
        {
            ["logs"] = first.LogsDirectory,
            ["host"] = new JsonObject { ["port"] = 0, ["store"] = first.StorePath },
        });
        var config = ChurnConfig.FromNode(defaults, "test").Unwrap();

        var refused = ChurnServer.Create(config, defaults, LogLevel.None);
        await first.DisposeAsync();
        var afterwards = ChurnServer.Create(config, defaults, LogLevel.None);

        var problem = Assert.IsType<Churn.Numerics.Result<ChurnServer>.Error>(refused).Problem;
        Assert.Contains("another churn host", problem.Reason, StringComparison.Ordinal);
        Assert.Contains($"pid {Environment.ProcessId}", problem.Reason, StringComparison.Ordinal);
        Assert.Equal(first.StorePath, problem.File);
        await using var server = Assert.IsType<Churn.Numerics.Result<ChurnServer>.Ok>(afterwards).Value;
    }

    [Fact]
    public async Task Resume_of_a_search_whose_owner_is_alive_is_refused_and_leaves_the_owner()
    {
        var dir = TestPaths.NewTempDirectory();
        await File.WriteAllTextAsync(Path.Combine(dir, "space.json"), """
            { "trials": 3, "seeds": 1, "maxEpochs": 10000,
              "space": { "depth": [1], "width": [16], "activation": ["relu"], "learningRate": [0.001], "batchSize": [128], "patience": [10000], "dropout": [0], "weightDecay": [0], "kind": ["plain"], "transform": ["standard"] } }
            """, TestContext.Current.CancellationToken);
        using var owner = ChurnProcess.Start(dir, ["search", "--data", TestPaths.BundledData, "--space", "space.json", "--out", "s", "--parallel", "1"]);
        _ = owner.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        _ = owner.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            var storePath = Path.Combine(dir, new HostSettings().Store);
            var clock = Stopwatch.StartNew();
            StoredSearch? search = null;
            while (search?.Trials.Any(t => t.History.Length > 0) != true)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), "the search never started training");
                await Task.Delay(200, TestContext.Current.CancellationToken);
                if (File.Exists(storePath) && SearchStore.Open(storePath) is Churn.Numerics.Result<SearchStore>.Ok { Value: var store } && store.Running() > 0)
                {
                    var id = store.Orphaned().IsEmpty ? RunningId(storePath) : null;
                    search = id is null ? null : store.Load(id).Unwrap();
                }
            }

            var resumed = await ChurnProcess.RunAsync(dir, "search", "--resume", search.Request.SearchId);

            Assert.Equal(1, resumed.ExitCode);
            Assert.Contains("still being run by another process", resumed.Stderr, StringComparison.Ordinal);
            Assert.Contains($"pid {owner.Id}", resumed.Stderr, StringComparison.Ordinal);
            var after = SearchStore.Open(storePath).Unwrap().Load(search.Request.SearchId).Unwrap();
            Assert.Equal(search.Owner, after.Owner);
            Assert.Equal("running", after.Status);
            Assert.False(owner.HasExited);
        }
        finally
        {
            owner.Kill(entireProcessTree: true);
            await owner.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    private static string? RunningId(string storePath)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={storePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM searches WHERE status = 'running' LIMIT 1";
        return command.ExecuteScalar() as string;
    }
}
