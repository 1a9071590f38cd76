using System.Globalization;
using System.Text.Json.Nodes;
using Churn.Actors.Search;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Model;
using Churn.Numerics.Search;
using Microsoft.Data.Sqlite;

namespace Churn.Host.Search;

/// <summary>
/// The searches' part of the run store (SQLite, the same database file as the runs, in tables of its own, versioned as
/// the part <see cref="StoreDatabase.SearchesPart"/> of the database's one scheme). Every change is written as it happens, so a search survives its process being killed: the
/// next start reads it back and resumes it where it was.
/// </summary>
public sealed partial class SearchStore : ISearchJournal
{
    /// <summary>
    /// The layout these tables have; a store written by a newer layout is refused rather than misread, an older one is
    /// migrated when it opens (<see cref="Migrations"/>). The columns hold positions from 0 (the trial, configuration,
    /// seed, rung and rank of the records); the JSON kept (the request and the summary) is as the records serialize.
    /// </summary>
    public const int SchemaVersion = 6;

    /// <summary>The step from version <c>v</c> to <c>v + 1</c> is <c>Migrations[v - 1]</c>; a new version appends a step.</summary>
    private static readonly Action<SqliteConnection, SqliteTransaction>[] Migrations =
    [
        // 1 → 2: each trial's node and its re-queues.
        (connection, transaction) => Execute(connection, transaction, """
            ALTER TABLE search_trials ADD COLUMN node TEXT;
            ALTER TABLE search_trials ADD COLUMN requeues INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE search_trials ADD COLUMN requeue_reason TEXT;
            """),
        // 2 → 3: configurations are numbered from 1 in every output, so in the summary GET /searches/{id} serves as kept.
        NumberSummaries,
        // 3 → 4: each epoch's calibrated loss, what searches rank on (epochs stored before read it as unknown).
        (connection, transaction) => Execute(connection, transaction, "ALTER TABLE search_epochs ADD COLUMN calibrated_loss REAL;"),
        // 4 → 5: each trial's epochs folded (EpochSummary) in its row, computed here from the epochs already stored.
        (connection, transaction) =>
        {
            Execute(connection, transaction, """
                ALTER TABLE search_trials ADD COLUMN last_epoch INTEGER;
                ALTER TABLE search_trials ADD COLUMN best_validation_accuracy REAL;
                ALTER TABLE search_trials ADD COLUMN last_validation_loss REAL;
                ALTER TABLE search_trials ADD COLUMN stop_loss REAL;
                ALTER TABLE search_trials ADD COLUMN stop_since INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE search_trials ADD COLUMN kept_epoch INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE search_trials ADD COLUMN kept_calibrated_loss REAL;
                """);
            Summarize(connection, transaction, null);
        },
        // 5 → 6: epochs a trial trained before it started again (a resumed search), still counted as trained.
        (connection, transaction) => Execute(connection, transaction, "ALTER TABLE search_trials ADD COLUMN earlier_epochs INTEGER NOT NULL DEFAULT 0;"),
    ];

    /// <summary>
    /// The epochs a search has trained, over every attempt of every trial: a trial started again (resumed, re-queued)
    /// starts its epochs from 1, but the epochs it trained before were spent. The list and a search's page both count this.
    /// </summary>
    private const string EpochsSpentSql = "(SELECT COALESCE(SUM(t.epochs + t.earlier_epochs), 0) FROM search_trials t WHERE t.search_id = s.id)";

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS searches (
          id TEXT PRIMARY KEY,
          status TEXT NOT NULL,
          owner TEXT NOT NULL,
          request TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          summary TEXT,
          reason TEXT);
        CREATE TABLE IF NOT EXISTS search_trials (
          search_id TEXT NOT NULL REFERENCES searches(id),
          trial INTEGER NOT NULL,
          configuration INTEGER NOT NULL,
          replicate INTEGER NOT NULL,
          seed INTEGER NOT NULL,
          config TEXT NOT NULL,
          status TEXT NOT NULL,
          reason TEXT,
          attempts INTEGER NOT NULL DEFAULT 0,
          epochs INTEGER NOT NULL DEFAULT 0,
          best_validation_loss REAL,
          wall_ms REAL NOT NULL DEFAULT 0,
          session_ms REAL NOT NULL DEFAULT 0,
          started_at TEXT,
          ended_at TEXT,
          node TEXT,
          requeues INTEGER NOT NULL DEFAULT 0,
          requeue_reason TEXT,
          last_epoch INTEGER,
          best_validation_accuracy REAL,
          last_validation_loss REAL,
          stop_loss REAL,
          stop_since INTEGER NOT NULL DEFAULT 0,
          kept_epoch INTEGER NOT NULL DEFAULT 0,
          kept_calibrated_loss REAL,
          earlier_epochs INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (search_id, trial));
        CREATE TABLE IF NOT EXISTS search_epochs (
          search_id TEXT NOT NULL,
          trial INTEGER NOT NULL,
          epoch INTEGER NOT NULL,
          train_loss REAL NOT NULL,
          train_accuracy REAL NOT NULL,
          validation_loss REAL NOT NULL,
          validation_accuracy REAL NOT NULL,
          calibrated_loss REAL,
          PRIMARY KEY (search_id, trial, epoch));
        CREATE TABLE IF NOT EXISTS search_decisions (
          search_id TEXT NOT NULL,
          rung INTEGER NOT NULL,
          configuration INTEGER NOT NULL,
          epoch INTEGER NOT NULL,
          value REAL NOT NULL,
          outcome TEXT NOT NULL,
          rank INTEGER NOT NULL,
          compared INTEGER NOT NULL,
          kept INTEGER NOT NULL,
          decided_at TEXT NOT NULL,
          PRIMARY KEY (search_id, rung, configuration));
        """;

    private readonly string _connectionString;

    private SearchStore(string connectionString) => _connectionString = connectionString;

    public string Path { get; private init; } = "";

    /// <summary>Opens (creating if needed) the store at <paramref name="path"/> and checks its schema version.</summary>
    public static Result<SearchStore> Open(string path)
    {
        try
        {
            var full = System.IO.Path.GetFullPath(path);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            var store = new SearchStore(StoreDatabase.ConnectionString(full)) { Path = full };
            using var connection = StoreDatabase.ConnectFirst(store._connectionString);
            // BEGIN IMMEDIATE: two processes opening a new file at once must not both create (or migrate) its tables.
            using var transaction = connection.BeginTransaction(deferred: false);
            var version = StoreDatabase.Version(connection, transaction, StoreDatabase.SearchesPart);
            if (version > SchemaVersion)
            {
                return Result.Fail<SearchStore>($"the search tables have schema version {version}; this build reads version {SchemaVersion}", full);
            }
            Execute(connection, transaction, Schema);
            if (version == 0)
            {
                StoreDatabase.SetVersion(connection, transaction, StoreDatabase.SearchesPart, SchemaVersion);
            }
            else if (version < SchemaVersion)
            {
                for (var v = version; v < SchemaVersion; v++)
                {
                    Migrations[v - 1](connection, transaction);
                }
                StoreDatabase.SetVersion(connection, transaction, StoreDatabase.SearchesPart, SchemaVersion);
            }
            transaction.Commit();
            return Result.Ok(store);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            return Result.Fail<SearchStore>($"cannot open the run store: {ex.Message}", path);
        }
    }

    /// <summary>
    /// Version 3: a stored summary's leaderboard numbered configurations from 0 (trials, seeds and ranks were already
    /// counted from 1); it now counts them from 1 as every output does, and as <see cref="LeaderboardRow"/> reads it back.
    /// </summary>
    private static void NumberSummaries(SqliteConnection connection, SqliteTransaction transaction)
    {
        var summaries = new List<(string Id, string Summary)>();
        using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = "SELECT id, summary FROM searches WHERE summary IS NOT NULL";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                summaries.Add((reader.GetString(0), reader.GetString(1)));
            }
        }
        foreach (var (id, text) in summaries)
        {
            if (JsonNode.Parse(text) is not JsonObject summary || summary["leaderboard"] is not JsonArray rows)
            {
                continue;
            }
            foreach (var row in rows.OfType<JsonObject>())
            {
                if (row["configuration"] is JsonValue value && value.TryGetValue<int>(out var position))
                {
                    row["configuration"] = Numbering.Number(position);
                }
            }
            Execute(connection, transaction, "UPDATE searches SET summary = $summary WHERE id = $id", ("$id", id), ("$summary", summary.ToJsonString(JsonFormat.Options)));
        }
    }

    /// <summary>The columns of an epoch row, in the order <see cref="ReadEpoch"/> reads them.</summary>
    private const string EpochColumns = "epoch, train_loss, train_accuracy, validation_loss, validation_accuracy, calibrated_loss";

    /// <summary>An epoch from its columns, from position <paramref name="at"/> on (an unknown calibrated loss is NaN).</summary>
    private static EpochMetrics ReadEpoch(SqliteDataReader reader, int at) =>
        new(reader.GetInt32(at), reader.GetDouble(at + 1), reader.GetDouble(at + 2), reader.GetDouble(at + 3), reader.GetDouble(at + 4),
            reader.IsDBNull(at + 5) ? double.NaN : reader.GetDouble(at + 5));

    public static string StatusName(TrialStatus status) => status.ToString().ToLowerInvariant();

    private static TrialStatus ParseStatus(string name) => Enum.Parse<TrialStatus>(name, ignoreCase: true);

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private SqliteConnection Connect() => StoreDatabase.Connect(_connectionString);

    private void Write(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Connect();
        Execute(connection, null, sql, parameters);
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command.ExecuteScalar();
    }
}
