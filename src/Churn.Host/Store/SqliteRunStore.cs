using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Actors.Runs;
using Churn.Host.Configuration;
using Churn.Numerics;
using Churn.Numerics.Model;
using Microsoft.Data.Sqlite;

namespace Churn.Host.Store;

/// <summary>
/// Every run of the host in one SQLite file (WAL mode): its configuration, status and timestamps, the current stage,
/// each stage and epoch, the final metrics, the files it wrote and its error. The runs actor writes through
/// <see cref="IRunJournal"/>, one small transaction per state change on one connection; readers (the HTTP API) each take
/// a pooled connection of their own, which WAL lets read while the writer writes.
/// </summary>
public sealed partial class SqliteRunStore : IRunJournal, IDisposable
{
    /// <summary>The schema this code reads and writes; the database's <c>schema_versions</c> holds a file's (<see cref="StoreDatabase"/>).</summary>
    public const int SchemaVersion = 4;

    /// <summary>The step from version <c>i</c> to <c>i + 1</c> is <c>Migrations[i]</c>; a new version appends a step.</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE runs (
            seq          INTEGER PRIMARY KEY AUTOINCREMENT,
            id           TEXT NOT NULL UNIQUE,
            mode         TEXT NOT NULL,
            config       TEXT NOT NULL,
            status       TEXT NOT NULL,
            queued_at    TEXT NOT NULL,
            started_at   TEXT,
            finished_at  TEXT,
            stage        TEXT,
            epoch        INTEGER,
            metrics      TEXT,
            manifest     TEXT,
            artifacts    TEXT,
            error        TEXT
        );
        CREATE INDEX runs_by_status ON runs (status, seq);
        CREATE TABLE run_stages (
            run_id       TEXT NOT NULL REFERENCES runs (id),
            stage        TEXT NOT NULL,
            started_at   TEXT NOT NULL,
            completed_at TEXT,
            detail       TEXT,
            elapsed_ms   REAL,
            PRIMARY KEY (run_id, stage)
        );
        CREATE TABLE run_epochs (
            run_id              TEXT NOT NULL REFERENCES runs (id),
            epoch               INTEGER NOT NULL,
            train_loss          REAL NOT NULL,
            train_accuracy      REAL NOT NULL,
            validation_loss     REAL NOT NULL,
            validation_accuracy REAL NOT NULL,
            elapsed_ms          REAL NOT NULL,
            recorded_at         TEXT NOT NULL,
            PRIMARY KEY (run_id, epoch)
        );
        """,
        // Several processes record into one store (the host and one-shot commands), so a run names the store
        // instance that runs it, and opening the store interrupts only the runs whose owner is gone.
        "ALTER TABLE runs ADD COLUMN owner TEXT;",
        // What people say of a run (name, tags, notes, archived) lives beside what the run recorded: a label may be
        // written before the run's own row (the host labels a run as it queues it) and never races the run's writes.
        """
        CREATE TABLE run_labels (
            run_id   TEXT PRIMARY KEY,
            name     TEXT,
            tags     TEXT,
            notes    TEXT,
            archived INTEGER NOT NULL DEFAULT 0
        );
        """,
        ModelRegistrySchema,
    ];

    private const string RunColumns = """
        r.id, r.mode, r.status, r.stage, r.epoch, r.queued_at, r.started_at, r.finished_at, r.config, r.metrics, r.manifest, r.artifacts, r.error,
        CASE WHEN r.status = 'queued' THEN (SELECT COUNT(*) FROM runs q WHERE q.status = 'queued' AND q.seq <= r.seq) END,
        (SELECT json_object('name', l.name, 'tags', json(coalesce(l.tags, '[]')), 'notes', l.notes, 'archived', json(CASE WHEN l.archived = 1 THEN 'true' ELSE 'false' END)) FROM run_labels l WHERE l.run_id = r.id)
        """;

    /// <summary>How the store writes JSON into its columns: one line, characters as themselves.</summary>
    internal static readonly JsonSerializerOptions Compact = new(JsonFormat.Options) { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly Lock _gate = new();
    private readonly StoreOwner _owner = StoreOwner.Open();

    private SqliteRunStore(string path, string connectionString, SqliteConnection writer)
    {
        FilePath = path;
        _connectionString = connectionString;
        _writer = writer;
    }

    public string FilePath { get; }

    /// <summary>
    /// Opens the store at <paramref name="path"/> (creating it and its folder), brings its schema up to
    /// <see cref="SchemaVersion"/>, and marks the runs that were queued or running when the previous host stopped as
    /// interrupted: nothing will finish them now.
    /// </summary>
    public static Result<SqliteRunStore> Open(string path, DateTimeOffset now)
    {
        SqliteConnection? writer = null;
        try
        {
            var full = Path.GetFullPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            var connectionString = StoreDatabase.ConnectionString(full);
            writer = StoreDatabase.ConnectFirst(connectionString);

            // BEGIN IMMEDIATE: two processes opening a new file at once must not both create its tables.
            using (var migration = writer.BeginTransaction(deferred: false))
            {
                var version = StoreDatabase.Version(writer, migration, StoreDatabase.RunsPart);
                if (version > SchemaVersion)
                {
                    migration.Rollback();
                    writer.Dispose();
                    return Result.Fail<SqliteRunStore>($"the run store has schema version {version}, newer than this churn understands ({SchemaVersion})", path);
                }

                for (var v = version; v < SchemaVersion; v++)
                {
                    Execute(writer, migration, Migrations[v]);
                    StoreDatabase.SetVersion(writer, migration, StoreDatabase.RunsPart, v + 1);
                }

                migration.Commit();
            }

            var store = new SqliteRunStore(full, connectionString, writer);
            store.MarkInterrupted(now);
            return Result.Ok(store);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            writer?.Dispose();
            return Result.Fail<SqliteRunStore>($"cannot open the run store: {ex.Message}", path);
        }
    }

    public void RunQueued(string runId, RunSettings settings, DateTimeOffset at) =>
        Write("INSERT INTO runs (id, mode, config, status, queued_at, owner) VALUES ($id, $mode, $config, 'queued', $at, $owner)",
            ("$id", runId), ("$mode", RunRequest.ModeName(settings.Mode)), ("$config", RunRequest.ToNode(settings).ToJsonString(Compact)), ("$at", Time(at)),
            ("$owner", _owner.Name));

    public void RunStarted(string runId, DateTimeOffset at) =>
        Write("UPDATE runs SET status = 'running', started_at = $at WHERE id = $id", ("$id", runId), ("$at", Time(at)));

    public void StageStarted(string runId, string stage, DateTimeOffset at) =>
        Write("""
            UPDATE runs SET stage = $stage WHERE id = $id;
            INSERT INTO run_stages (run_id, stage, started_at) VALUES ($id, $stage, $at)
                ON CONFLICT (run_id, stage) DO UPDATE SET started_at = excluded.started_at, completed_at = NULL, detail = NULL, elapsed_ms = NULL;
            """,
            ("$id", runId), ("$stage", stage), ("$at", Time(at)));

    public void StageCompleted(string runId, string stage, string detail, TimeSpan elapsed, DateTimeOffset at) =>
        Write("UPDATE run_stages SET completed_at = $at, detail = $detail, elapsed_ms = $ms WHERE run_id = $id AND stage = $stage",
            ("$id", runId), ("$stage", stage), ("$at", Time(at)), ("$detail", detail), ("$ms", elapsed.TotalMilliseconds));

    public void EpochRecorded(string runId, EpochMetrics metrics, TimeSpan elapsed, DateTimeOffset at) =>
        Write("""
            INSERT OR REPLACE INTO run_epochs (run_id, epoch, train_loss, train_accuracy, validation_loss, validation_accuracy, elapsed_ms, recorded_at)
                VALUES ($id, $epoch, $tl, $ta, $vl, $va, $ms, $at);
            UPDATE runs SET epoch = $epoch WHERE id = $id;
            """,
            ("$id", runId), ("$epoch", metrics.Epoch), ("$tl", metrics.TrainLoss), ("$ta", metrics.TrainAccuracy),
            ("$vl", metrics.ValidationLoss), ("$va", metrics.ValidationAccuracy), ("$ms", elapsed.TotalMilliseconds), ("$at", Time(at)));

    public void RunFinished(string runId, IRunEvent outcome, DateTimeOffset at)
    {
        var (status, stage, error, outputs) = outcome switch
        {
            RunSucceeded s => (RunStatus.Succeeded, (string?)null, (string?)null, s.Outputs),
            RunFailed f => (RunStatus.Failed, f.Stage, f.Reason, null),
            RunCancelled c => (RunStatus.Cancelled, c.Stage, c.Reason, (RunOutputs?)null),
            _ => throw new ArgumentException($"not an outcome: {outcome.GetType().Name}", nameof(outcome)),
        };
        Write("""
            UPDATE runs SET status = $status, finished_at = $at, stage = coalesce($stage, stage), error = $error,
                metrics = $metrics, manifest = $manifest, artifacts = $artifacts
            WHERE id = $id
            """,
            ("$id", runId), ("$status", status), ("$at", Time(at)), ("$stage", stage), ("$error", error),
            ("$metrics", outputs?.Metrics is { } metrics ? JsonSerializer.SerializeToNode(metrics, JsonFormat.Options)?.ToJsonString(Compact) : null),
            ("$manifest", outputs?.Manifest is { } manifest ? JsonSerializer.Serialize(manifest, Compact) : null),
            // Full paths: a host must find the files of a run a command recorded from another working directory.
            ("$artifacts", outputs is null ? null : JsonSerializer.Serialize(outputs.Files.Select(Path.GetFullPath), Compact)));
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _owner.Dispose();
            SqliteConnection.ClearPool(_writer);
            _writer.Dispose();
        }
    }

    /// <summary>
    /// Runs left queued or running by a store that is gone (its process killed, or closed) will never finish: they
    /// are marked interrupted. Runs another live process is recording stay as they are.
    /// </summary>
    private void MarkInterrupted(DateTimeOffset now)
    {
        var orphans = new List<string>();
        lock (_gate)
        {
            using var command = Command(_writer, "SELECT id, owner FROM runs WHERE status IN ('queued', 'running')");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (reader.IsDBNull(1) || !StoreOwner.Alive(reader.GetString(1)))
                {
                    orphans.Add(reader.GetString(0));
                }
            }
        }

        foreach (var id in orphans)
        {
            Write("""
                UPDATE runs SET finished_at = $at,
                    error = 'interrupted: its process stopped while the run was ' || status || coalesce(' (stage ' || stage || ')', ''),
                    status = 'interrupted'
                WHERE id = $id AND status IN ('queued', 'running')
                """,
                ("$id", id), ("$at", Time(now)));
        }
    }

    private void Write(string sql, params (string Name, object? Value)[] parameters)
    {
        lock (_gate)
        {
            using var transaction = _writer.BeginTransaction();
            using (var command = Command(_writer, sql, parameters))
            {
                command.Transaction = transaction;
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    private SqliteConnection Reader() => StoreDatabase.Connect(_connectionString);


    /// <summary>UTC with seven decimals, so that text order is time order.</summary>
    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
