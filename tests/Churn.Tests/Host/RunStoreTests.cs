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
        new(RunMode.Full, new RunSpec(TestPaths.BundledData, outDir, Preparation.DefaultPrefix, 7, BalanceStrategy.Random, SplitRatios.Default, false, DeviceChoice.Cpu, ModelConfig.Default, LogFeatureNames: []));

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
        command.CommandText = "SELECT version FROM schema_versions WHERE part = 'runs'";
        Assert.Equal((long)SqliteRunStore.SchemaVersion, command.ExecuteScalar());
        command.CommandText = "PRAGMA user_version";
        Assert.Equal((long)StoreDatabase.OlderBuildsRefuse, command.ExecuteScalar());
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
        Assert.Equal("interrupted: its process stopped while the run was running (stage train)", running.Error);
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

    [Fact]
    public void Opening_a_shared_store_leaves_the_runs_another_live_store_is_recording_alone()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "churn.db");
        using var host = SqliteRunStore.Open(path, T0).Unwrap();
        host.RunQueued("live", Settings("out/live"), T0);
        host.RunStarted("live", T0.AddSeconds(1));

        using (var command = SqliteRunStore.Open(path, T0.AddSeconds(2)).Unwrap())
        {
            Assert.Equal(RunStatus.Running, command.Get("live")!.Status);
            command.RunQueued("cli", Settings("out/cli"), T0.AddSeconds(3));
            command.RunStarted("cli", T0.AddSeconds(3));
            host.EpochRecorded("live", new EpochMetrics(1, 0.5, 0.7, 0.6, 0.65), TimeSpan.FromSeconds(1), T0.AddSeconds(4));
            command.RunFinished("cli", new RunFailed("cli", Stage.Load, "bad file"), T0.AddSeconds(5));
        }

        Assert.Equal(RunStatus.Running, host.Get("live")!.Status);
        Assert.Equal(1, host.Get("live")!.Epoch);
        Assert.Equal(RunStatus.Failed, host.Get("cli")!.Status);
    }

    [Fact]
    public void Many_openers_of_a_new_file_at_once_all_get_the_same_schema()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "churn.db");

        var opened = Enumerable.Range(0, 8).AsParallel().WithDegreeOfParallelism(8).Select(i => SqliteRunStore.Open(path, T0)).ToList();

        Assert.All(opened, o => Assert.True(o.IsOk, o.Match(_ => "", p => p.Reason)));
        foreach (var (store, i) in opened.Select((o, i) => (o.Unwrap(), i)))
        {
            store.RunQueued($"r{i}", Settings($"out/{i}"), T0.AddSeconds(i));
        }

        Assert.Equal(8, opened[0].Unwrap().List(null, 100).Length);
        opened.ForEach(o => o.Unwrap().Dispose());
    }

    [Fact]
    public void A_store_of_schema_version_1_is_migrated_keeping_its_runs()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "churn.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE runs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, mode TEXT NOT NULL, config TEXT NOT NULL,
                    status TEXT NOT NULL, queued_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, stage TEXT, epoch INTEGER,
                    metrics TEXT, manifest TEXT, artifacts TEXT, error TEXT);
                CREATE INDEX runs_by_status ON runs (status, seq);
                CREATE TABLE run_stages (run_id TEXT NOT NULL REFERENCES runs (id), stage TEXT NOT NULL, started_at TEXT NOT NULL,
                    completed_at TEXT, detail TEXT, elapsed_ms REAL, PRIMARY KEY (run_id, stage));
                CREATE TABLE run_epochs (run_id TEXT NOT NULL REFERENCES runs (id), epoch INTEGER NOT NULL, train_loss REAL NOT NULL,
                    train_accuracy REAL NOT NULL, validation_loss REAL NOT NULL, validation_accuracy REAL NOT NULL, elapsed_ms REAL NOT NULL,
                    recorded_at TEXT NOT NULL, PRIMARY KEY (run_id, epoch));
                INSERT INTO runs (id, mode, config, status, queued_at, finished_at, error)
                    VALUES ('old', 'prepare', '{"seed": 3}', 'failed', '2025-01-01T00:00:00.0000000Z', '2025-01-01T00:00:01.0000000Z', 'bad file');
                INSERT INTO runs (id, mode, config, status, queued_at, started_at)
                    VALUES ('left', 'run', '{"seed": 4}', 'running', '2025-01-01T00:00:02.0000000Z', '2025-01-01T00:00:03.0000000Z');
                PRAGMA user_version = 1;
                """;
            command.ExecuteNonQuery();
        }

        using var store = SqliteRunStore.Open(path, T0).Unwrap();

        Assert.Equal(RunStatus.Failed, store.Get("old")!.Status);
        Assert.Equal(3, store.Get("old")!.Config!["seed"]!.GetValue<int>());
        Assert.Equal(RunStatus.Interrupted, store.Get("left")!.Status);
        store.RunQueued("new", Settings("out/new"), T0);
        Assert.Equal(["new", "left", "old"], store.List(null, 10).Select(r => r.Id));
    }
}
