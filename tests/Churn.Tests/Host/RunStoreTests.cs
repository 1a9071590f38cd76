using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Host.Store;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using Microsoft.Data.Sqlite;

namespace Churn.Tests.Host;

/// <summary>The SQLite run store on its own: schema, WAL, and what a restart makes of unfinished runs.</summary>
public class RunStoreTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static RunSettings Settings(string outDir) =>
        new(RunMode.Full, TestPaths.BundledData, outDir, Preparation.DefaultPrefix, 7, BalanceStrategy.Random, SplitRatios.Default, false, ModelConfig.Default, DeviceChoice.Cpu);

    [Fact]
    public void A_new_store_has_the_current_schema_version_and_writes_ahead()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "nested", "churn.db");

        using (SqliteRunStore.Open(path, T0).Unwrap())
        {
        }

        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        Assert.Equal((long)SqliteRunStore.SchemaVersion, command.ExecuteScalar());
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
    }

    [Fact]
    public void A_store_from_a_newer_churn_is_refused_untouched()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "churn.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99";
            command.ExecuteNonQuery();
        }

        var opened = SqliteRunStore.Open(path, T0);

        Assert.False(opened.IsOk);
        Assert.Contains("schema version 99", opened.Match(_ => "", p => p.Reason), StringComparison.Ordinal);
    }

    [Fact]
    public void Reopening_marks_runs_left_queued_or_running_as_interrupted_and_keeps_the_rest()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "churn.db");
        using (var store = SqliteRunStore.Open(path, T0).Unwrap())
        {
            store.RunQueued("done", Settings("out/done"), T0);
            store.RunStarted("done", T0.AddSeconds(1));
            store.StageStarted("done", Stage.Load, T0.AddSeconds(1));
            store.StageCompleted("done", Stage.Load, "14084 rows", TimeSpan.FromMilliseconds(40), T0.AddSeconds(2));
            store.RunFinished("done", new RunFailed("done", Stage.Load, "bad file"), T0.AddSeconds(2));
            store.RunQueued("running", Settings("out/running"), T0.AddSeconds(3));
            store.RunStarted("running", T0.AddSeconds(4));
            store.StageStarted("running", Stage.Train, T0.AddSeconds(5));
            store.EpochRecorded("running", new EpochMetrics(1, 0.5, 0.7, 0.6, 0.65), TimeSpan.FromSeconds(1), T0.AddSeconds(6));
            store.RunQueued("waiting", Settings("out/waiting"), T0.AddSeconds(7));
            Assert.Equal(1, store.Get("waiting")!.Position);
        }

        using var reopened = SqliteRunStore.Open(path, T0.AddMinutes(1)).Unwrap();

        var done = reopened.Get("done")!;
        Assert.Equal(RunStatus.Failed, done.Status);
        Assert.Equal("bad file", done.Error);
        Assert.Equal(T0.AddSeconds(2), done.FinishedAt);
        Assert.Equal("14084 rows", Assert.Single(reopened.Stages("done")).Detail);
        var running = reopened.Get("running")!;
        Assert.Equal(RunStatus.Interrupted, running.Status);
        Assert.Equal("interrupted: the host stopped while the run was running (stage train)", running.Error);
        Assert.Equal(T0.AddMinutes(1), running.FinishedAt);
        Assert.Equal(1, running.Epoch);
        Assert.Single(reopened.Epochs("running"));
        var waiting = reopened.Get("waiting")!;
        Assert.Equal(RunStatus.Interrupted, waiting.Status);
        Assert.Null(waiting.Position);
        Assert.Equal(7, waiting.Config!["seed"]!.GetValue<int>());
        Assert.Equal(["waiting", "running", "done"], reopened.List(null, 10).Select(r => r.Id));
        Assert.Equal(["done"], reopened.List(RunStatus.Failed, 10).Select(r => r.Id));
    }
}
