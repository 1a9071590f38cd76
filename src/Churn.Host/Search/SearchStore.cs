using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Actors.Search;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Model;
using Churn.Numerics.Search;
using Microsoft.Data.Sqlite;

namespace Churn.Host.Search;

/// <summary>A stored search as the store knows it: the request, the trials with their epochs, the decisions.</summary>
public sealed record StoredSearch(
    SearchRequest Request,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    ImmutableArray<TrialRecord> Trials,
    ImmutableArray<RungDecision> Decisions,
    string? Summary,
    string? Reason,
    string Owner)
{
    public SearchProgress Progress => new(Trials, Decisions);
}

/// <summary>
/// A stored search with each trial summarized instead of its epochs: what <c>GET /searches/{id}</c> shows, read in time
/// and memory that grow with the trials, not with trials x epochs.
/// </summary>
public sealed record SearchOverview(
    SearchRequest Request,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    ImmutableArray<TrialSummary> Trials,
    ImmutableArray<RungDecision> Decisions,
    string? Summary,
    string? Reason,
    string Owner,
    int EpochsSpent = 0);

/// <summary>A search as <c>GET /searches</c> lists it: its plan in numbers, its trials counted by status, the best trial's validation loss so far, and once it has ended the winner's mean calibrated loss (what it was chosen on).</summary>
public sealed record SearchListing(
    string Id,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? Reason,
    string Scheduler,
    ulong Seed,
    int Configurations,
    int Seeds,
    int Trials,
    ImmutableSortedDictionary<string, int> TrialsByStatus,
    double? BestTrialValidationLoss,
    int EpochsSpent,
    string Self,
    double? WinnerCalibratedLoss = null);

/// <summary>
/// The searches' part of the run store (SQLite, the same database file as the runs, in tables of its own with their
/// own schema version). Every change is written as it happens, so a search survives its process being killed: the
/// next start reads it back and resumes it where it was.
/// </summary>
public sealed class SearchStore : ISearchJournal
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
        CREATE TABLE IF NOT EXISTS search_schema (version INTEGER NOT NULL);
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
            var store = new SearchStore(new SqliteConnectionStringBuilder { DataSource = full, Pooling = true, DefaultTimeout = 30 }.ToString()) { Path = full };
            using var connection = store.Connect();
            using (var wal = connection.CreateCommand())
            {
                // WAL lets a reader (GET /searches, a second process) look while a search writes.
                wal.CommandText = "PRAGMA journal_mode = WAL;";
                wal.ExecuteNonQuery();
            }
            using var transaction = connection.BeginTransaction();
            Execute(connection, transaction, Schema);
            var version = Scalar(connection, transaction, "SELECT MAX(version) FROM search_schema");
            if (version is null or DBNull)
            {
                Execute(connection, transaction, "INSERT INTO search_schema (version) VALUES ($v)", ("$v", SchemaVersion));
            }
            else if (Convert.ToInt32(version, CultureInfo.InvariantCulture) is < 1 or > SchemaVersion)
            {
                return Result.Fail<SearchStore>($"the search tables have schema version {version}; this build reads version {SchemaVersion}", full);
            }
            else if (Convert.ToInt32(version, CultureInfo.InvariantCulture) is var found && found < SchemaVersion)
            {
                for (var v = found; v < SchemaVersion; v++)
                {
                    Migrations[v - 1](connection, transaction);
                }
                Execute(connection, transaction, "UPDATE search_schema SET version = $v", ("$v", SchemaVersion));
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

    /// <summary>Idempotent: the HTTP API records a search before answering, and its coordinator records it again as it starts.</summary>
    public void SearchStarted(SearchRequest request, DateTimeOffset at)
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction,
            "INSERT OR IGNORE INTO searches (id, status, owner, request, created_at, updated_at) VALUES ($id, 'running', $owner, $request, $at, $at)",
            ("$id", request.SearchId), ("$owner", StoreOwner.Process), ("$request", JsonSerializer.Serialize(request, JsonFormat.Options)), ("$at", Time(at)));
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT OR IGNORE INTO search_trials (search_id, trial, configuration, replicate, seed, config, status)
            VALUES ($id, $trial, $configuration, $replicate, $seed, $config, 'pending')
            """;
        var trial = insert.Parameters.Add("$trial", SqliteType.Integer);
        var configuration = insert.Parameters.Add("$configuration", SqliteType.Integer);
        var replicate = insert.Parameters.Add("$replicate", SqliteType.Integer);
        var seed = insert.Parameters.Add("$seed", SqliteType.Integer);
        var config = insert.Parameters.Add("$config", SqliteType.Text);
        insert.Parameters.AddWithValue("$id", request.SearchId);
        foreach (var t in request.Plan.Trials)
        {
            trial.Value = t.Index;
            configuration.Value = t.Configuration;
            replicate.Value = t.Replicate;
            seed.Value = t.Seed;
            config.Value = JsonSerializer.Serialize(t.Config, JsonFormat.Options);
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>
    /// Makes this process the search's owner if <paramref name="expectedOwner"/> still is: false when another
    /// process claimed it first, so two resumes started at once cannot both run it.
    /// </summary>
    public bool TryClaim(string searchId, string expectedOwner)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE searches SET owner = $owner WHERE id = $id AND owner = $expected";
        command.Parameters.AddWithValue("$owner", StoreOwner.Process);
        command.Parameters.AddWithValue("$id", searchId);
        command.Parameters.AddWithValue("$expected", expectedOwner);
        return command.ExecuteNonQuery() == 1;
    }

    public void SearchResumed(string searchId, int parallel, DateTimeOffset at) =>
        Write("UPDATE searches SET status = 'running', owner = $owner, updated_at = $at, reason = NULL WHERE id = $id",
            ("$id", searchId), ("$owner", StoreOwner.Process), ("$at", Time(at)));

    public void TrialStarted(string searchId, TrialSpec trial, DateTimeOffset at, string? node = null)
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, "DELETE FROM search_epochs WHERE search_id = $id AND trial = $trial", ("$id", searchId), ("$trial", trial.Index));
        Execute(connection, transaction, """
            UPDATE search_trials SET status = 'running', reason = NULL, attempts = attempts + 1, earlier_epochs = earlier_epochs + epochs,
              started_at = $at, ended_at = NULL, node = $node WHERE search_id = $id AND trial = $trial
            """, ("$id", searchId), ("$trial", trial.Index), ("$at", Time(at)), ("$node", node));
        WriteSummary(connection, transaction, searchId, trial.Index, EpochSummary.None(trial.Config));
        transaction.Commit();
    }

    public void TrialRequeued(string searchId, int trial, string reason, DateTimeOffset at) =>
        Write("""
            UPDATE search_trials SET status = 'pending', requeues = requeues + 1, requeue_reason = $reason, ended_at = NULL
            WHERE search_id = $id AND trial = $trial
            """, ("$id", searchId), ("$trial", trial), ("$reason", reason));

    /// <summary>
    /// Records the epoch and folds it into its trial's summary in the same transaction, so the summary always says what
    /// the trial's epoch rows say. An epoch that is not the trial's latest (one recorded again) is rare: the trial's
    /// summary is then folded again from its rows.
    /// </summary>
    public void EpochRecorded(string searchId, int trial, EpochMetrics metrics)
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        var known = SummaryOf(connection, transaction, searchId, trial);
        Execute(connection, transaction, """
            INSERT OR REPLACE INTO search_epochs (search_id, trial, epoch, train_loss, train_accuracy, validation_loss, validation_accuracy, calibrated_loss)
            VALUES ($id, $trial, $epoch, $tl, $ta, $vl, $va, $cl)
            """, ("$id", searchId), ("$trial", trial), ("$epoch", metrics.Epoch), ("$tl", metrics.TrainLoss), ("$ta", metrics.TrainAccuracy), ("$vl", metrics.ValidationLoss), ("$va", metrics.ValidationAccuracy),
            ("$cl", Finite(metrics.CalibratedLoss)));
        if (known is { } found)
        {
            // Folded as the rows read back: a calibrated loss the column cannot hold is unknown.
            var (summary, config) = found;
            var stored = metrics with { CalibratedLoss = Finite(metrics.CalibratedLoss) ?? double.NaN };
            WriteSummary(connection, transaction, searchId, trial, summary.Epochs > 0 && metrics.Epoch <= summary.LastEpoch
                ? Fold(connection, transaction, searchId, trial, config)
                : summary.Add(stored));
        }
        transaction.Commit();
    }

    /// <summary>
    /// Folds every trial's summary of search <paramref name="searchId"/> again from its epoch rows: what the migration to
    /// version 5 does for every search, and what must follow epochs written into the table by other means (a benchmark
    /// filling it directly).
    /// </summary>
    public void Summarize(string searchId)
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        Summarize(connection, transaction, searchId);
        transaction.Commit();
    }

    private static void Summarize(SqliteConnection connection, SqliteTransaction transaction, string? searchId)
    {
        var trials = new List<(string Search, int Trial, ModelConfig Config)>();
        using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = $"SELECT search_id, trial, config FROM search_trials{(searchId is null ? "" : " WHERE search_id = $id")}";
            if (searchId is not null)
            {
                select.Parameters.AddWithValue("$id", searchId);
            }
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                trials.Add((reader.GetString(0), reader.GetInt32(1), ConfigOf(reader.GetString(2))));
            }
        }
        foreach (var (search, trial, config) in trials)
        {
            WriteSummary(connection, transaction, search, trial, Fold(connection, transaction, search, trial, config));
        }
    }

    /// <summary>The trial's epoch rows, streamed in epoch order through <see cref="EpochSummary.Add"/>.</summary>
    private static EpochSummary Fold(SqliteConnection connection, SqliteTransaction transaction, string searchId, int trial, ModelConfig config)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {EpochColumns} FROM search_epochs WHERE search_id = $id AND trial = $trial ORDER BY epoch";
        command.Parameters.AddWithValue("$id", searchId);
        command.Parameters.AddWithValue("$trial", trial);
        using var reader = command.ExecuteReader();
        var summary = EpochSummary.None(config);
        while (reader.Read())
        {
            summary = summary.Add(ReadEpoch(reader, 0));
        }
        return summary;
    }

    /// <summary>A trial's stored summary and configuration; null when the search has no such trial.</summary>
    private static (EpochSummary Summary, ModelConfig Config)? SummaryOf(SqliteConnection connection, SqliteTransaction transaction, string searchId, int trial)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT config, {SummaryColumns} FROM search_trials WHERE search_id = $id AND trial = $trial";
        command.Parameters.AddWithValue("$id", searchId);
        command.Parameters.AddWithValue("$trial", trial);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }
        var config = ConfigOf(reader.GetString(0));
        return (ReadSummary(reader, 1, config), config);
    }

    private static ModelConfig ConfigOf(string json) => JsonSerializer.Deserialize<ModelConfig>(json, JsonFormat.Options)!;

    /// <summary>The columns of search_trials that hold its <see cref="EpochSummary"/>, in the order <see cref="ReadSummary"/> reads them.</summary>
    private const string SummaryColumns =
        "epochs, last_epoch, best_validation_loss, best_validation_accuracy, last_validation_loss, stop_loss, stop_since, kept_epoch, kept_calibrated_loss";

    /// <summary>
    /// A summary from its columns, from position <paramref name="at"/> on. NULL is NaN, and for early stopping's reference
    /// loss +∞ (no epoch improved); its best epoch is then the kept one, or 0.
    /// </summary>
    private static EpochSummary ReadSummary(SqliteDataReader reader, int at, ModelConfig config)
    {
        double Real(int column, double whenNull) => reader.IsDBNull(at + column) ? whenNull : reader.GetDouble(at + column);
        var kept = reader.GetInt32(at + 7);
        var stopLoss = Real(5, double.PositiveInfinity);
        var stopping = config.StartStopping() with
        {
            BestLoss = stopLoss,
            BestEpoch = double.IsPositiveInfinity(stopLoss) ? 0 : kept,
            EpochsWithoutImprovement = reader.GetInt32(at + 6),
        };
        return new EpochSummary(
            reader.GetInt32(at), reader.IsDBNull(at + 1) ? 0 : reader.GetInt32(at + 1), Real(2, double.NaN), Real(3, double.NaN), Real(4, double.NaN),
            stopping, kept, Real(8, double.NaN));
    }

    private static void WriteSummary(SqliteConnection connection, SqliteTransaction transaction, string searchId, int trial, EpochSummary summary)
    {
        static object? Known(double value) => double.IsNaN(value) ? null : value;
        Execute(connection, transaction, """
            UPDATE search_trials SET epochs = $epochs, last_epoch = $last, best_validation_loss = $best, best_validation_accuracy = $accuracy,
              last_validation_loss = $lastLoss, stop_loss = $stopLoss, stop_since = $since, kept_epoch = $kept, kept_calibrated_loss = $calibrated
            WHERE search_id = $id AND trial = $trial
            """,
            ("$id", searchId), ("$trial", trial), ("$epochs", summary.Epochs), ("$last", summary.Epochs == 0 ? null : summary.LastEpoch),
            ("$best", Known(summary.BestValidationLoss)), ("$accuracy", Known(summary.BestValidationAccuracy)), ("$lastLoss", Known(summary.LastValidationLoss)),
            ("$stopLoss", summary.Stopping.Improved ? summary.Stopping.BestLoss : null), ("$since", summary.Stopping.EpochsWithoutImprovement),
            ("$kept", summary.KeptEpoch), ("$calibrated", Finite(summary.KeptCalibratedLoss)));
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    /// <summary>The trial will not train again: its status, reason and times (its summary follows its epochs as they are recorded).</summary>
    public void TrialEnded(string searchId, TrialRecord record, DateTimeOffset at) =>
        Write("""
            UPDATE search_trials SET status = $status, reason = $reason, wall_ms = $wall, session_ms = $session, ended_at = $at
            WHERE search_id = $id AND trial = $trial
            """,
            ("$id", searchId), ("$trial", record.Spec.Index), ("$status", StatusName(record.Status)), ("$reason", record.Reason),
            ("$wall", record.Wall.TotalMilliseconds), ("$session", record.InSession.TotalMilliseconds), ("$at", Time(at)));

    public void DecisionRecorded(string searchId, RungDecision decision, DateTimeOffset at) =>
        Write("""
            INSERT OR IGNORE INTO search_decisions (search_id, rung, configuration, epoch, value, outcome, rank, compared, kept, decided_at)
            VALUES ($id, $rung, $configuration, $epoch, $value, $outcome, $rank, $compared, $kept, $at)
            """,
            ("$id", searchId), ("$rung", decision.Rung), ("$configuration", decision.Configuration), ("$epoch", decision.Epoch), ("$value", decision.Value),
            ("$outcome", decision.Outcome.ToString().ToLowerInvariant()), ("$rank", decision.Rank), ("$compared", decision.Compared), ("$kept", decision.Kept), ("$at", Time(at)));

    public void SearchEnded(string searchId, string status, SearchSummary? summary, string? reason, DateTimeOffset at) =>
        Write("UPDATE searches SET status = $status, summary = $summary, reason = $reason, updated_at = $at WHERE id = $id",
            ("$id", searchId), ("$status", status), ("$summary", summary is null ? null : JsonSerializer.Serialize(summary, JsonFormat.Options)),
            ("$reason", reason), ("$at", Time(at)));

    /// <summary>A search's status alone, or null when there is no such search: what a cancel needs, without loading every trial.</summary>
    public string? StatusOf(string searchId)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT status FROM searches WHERE id = $id";
        command.Parameters.AddWithValue("$id", searchId);
        return command.ExecuteScalar() as string;
    }

    /// <summary>How many searches the store marks running (in this process or another).</summary>
    public int Running()
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        return Convert.ToInt32(Scalar(connection, transaction, "SELECT COUNT(*) FROM searches WHERE status = 'running'"), CultureInfo.InvariantCulture);
    }

    /// <summary>The searches marked running whose process is gone: a restarted host resumes these, oldest first.</summary>
    public ImmutableArray<string> Orphaned()
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, owner FROM searches WHERE status = 'running' ORDER BY created_at, id";
        using var reader = command.ExecuteReader();
        var ids = ImmutableArray.CreateBuilder<string>();
        while (reader.Read())
        {
            if (!StoreOwner.ProcessAlive(reader.GetString(1)))
            {
                ids.Add(reader.GetString(0));
            }
        }
        return ids.ToImmutable();
    }

    /// <summary>Everything stored about a search, or a problem when there is no such search.</summary>
    public Result<StoredSearch> Load(string searchId)
    {
        using var connection = Connect();
        if (Header(connection, searchId) is not { } header)
        {
            return Result.Fail<StoredSearch>($"no search '{searchId}' in the run store", Path);
        }
        var request = header.Request;
        var histories = Histories(connection, searchId);
        var trials = ImmutableArray.CreateBuilder<TrialRecord>(request.Plan.Trials.Length);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT trial, status, reason, wall_ms, session_ms, node FROM search_trials WHERE search_id = $id ORDER BY trial";
            command.Parameters.AddWithValue("$id", searchId);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var index = reader.GetInt32(0);
                trials.Add(new TrialRecord(
                    request.Plan.Trials[index],
                    ParseStatus(reader.GetString(1)),
                    histories.GetValueOrDefault(index, []),
                    reader.IsDBNull(2) ? null : reader.GetString(2),
                    TimeSpan.FromMilliseconds(reader.GetDouble(3)),
                    TimeSpan.FromMilliseconds(reader.GetDouble(4)),
                    reader.IsDBNull(5) ? null : reader.GetString(5)));
            }
        }
        return Result.Ok(new StoredSearch(
            request, header.Status, header.CreatedAt, header.UpdatedAt, trials.ToImmutable(), Decisions(connection, searchId), header.Summary, header.Reason, header.Owner));
    }

    /// <summary>
    /// The search with each trial's epochs summarized: the summaries kept in the trials' rows as epochs were recorded,
    /// so no epoch row is read and the time grows with the trials, not with their epochs.
    /// </summary>
    public Result<SearchOverview> Overview(string searchId)
    {
        using var connection = Connect();
        if (Header(connection, searchId) is not { } header)
        {
            return Result.Fail<SearchOverview>($"no search '{searchId}' in the run store", Path);
        }
        var request = header.Request;
        var trials = ImmutableArray.CreateBuilder<TrialSummary>(request.Plan.Trials.Length);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT trial, status, reason, node, {SummaryColumns} FROM search_trials WHERE search_id = $id ORDER BY trial";
            command.Parameters.AddWithValue("$id", searchId);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var spec = request.Plan.Trials[reader.GetInt32(0)];
                trials.Add(TrialSummary.From(
                    spec, ParseStatus(reader.GetString(1)), ReadSummary(reader, 4, spec.Config),
                    reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
            }
        }
        var spent = Convert.ToInt32(Scalar(connection, null, $"SELECT {EpochsSpentSql} FROM searches s WHERE s.id = $id", ("$id", searchId)), CultureInfo.InvariantCulture);
        return Result.Ok(new SearchOverview(
            request, header.Status, header.CreatedAt, header.UpdatedAt, trials.ToImmutable(), Decisions(connection, searchId), header.Summary, header.Reason, header.Owner, spent));
    }

    /// <summary>
    /// A stored request. Searches stored before a request embedded the run specification kept its fields flat
    /// (<c>dataPath</c>, <c>outDir</c>, <c>seed</c>, ...): they are read as the specification they were, with the
    /// default campaign and limits they ran with.
    /// </summary>
    internal static SearchRequest ReadRequest(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        if (node["run"] is null)
        {
            var run = JsonSerializer.SerializeToNode(RunSpec.Default, JsonFormat.Options)!.AsObject();
            foreach (var (from, to) in new[] { ("dataPath", "data"), ("outDir", "out"), ("seed", "seed"), ("balance", "balance"), ("ratios", "split"), ("stratify", "stratify"), ("device", "device"), ("logFeatures", "logFeatureNames") })
            {
                if (node[from] is { } value)
                {
                    run[to] = value.DeepClone();
                }
            }
            run["logFeatureNames"] ??= new JsonArray();
            node["run"] = run;
        }
        return node.Deserialize<SearchRequest>(JsonFormat.Options)!;
    }

    private sealed record SearchHeader(SearchRequest Request, string Status, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? Summary, string? Reason, string Owner);

    private static SearchHeader? Header(SqliteConnection connection, string searchId)
    {
        using var search = connection.CreateCommand();
        search.CommandText = "SELECT request, status, created_at, updated_at, summary, reason, owner FROM searches WHERE id = $id";
        search.Parameters.AddWithValue("$id", searchId);
        using var reader = search.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }
        return new SearchHeader(
            ReadRequest(reader.GetString(0)),
            reader.GetString(1),
            DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.GetString(6));
    }

    private static ImmutableArray<RungDecision> Decisions(SqliteConnection connection, string searchId)
    {
        var decisions = ImmutableArray.CreateBuilder<RungDecision>();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT rung, epoch, configuration, value, outcome, rank, compared, kept FROM search_decisions WHERE search_id = $id ORDER BY rung, configuration";
        command.Parameters.AddWithValue("$id", searchId);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            decisions.Add(new RungDecision(
                reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetDouble(3),
                Enum.Parse<RungOutcome>(reader.GetString(4), ignoreCase: true), reader.GetInt32(5), reader.GetInt32(6), reader.GetInt32(7)));
        }
        return decisions.ToImmutable();
    }

    /// <summary>How many times each trial went back to the queue because its node was lost.</summary>
    public ImmutableDictionary<int, int> Requeues(string searchId)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT trial, requeues FROM search_trials WHERE search_id = $id";
        command.Parameters.AddWithValue("$id", searchId);
        using var reader = command.ExecuteReader();
        var requeues = ImmutableDictionary.CreateBuilder<int, int>();
        while (reader.Read())
        {
            requeues[reader.GetInt32(0)] = reader.GetInt32(1);
        }
        return requeues.ToImmutable();
    }

    /// <summary>The newest <paramref name="limit"/> searches, newest first, with their trials counted by status: what a list needs, without epochs.</summary>
    public ImmutableArray<SearchListing> List(int limit)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT s.id, s.status, s.created_at, s.updated_at, s.reason, s.request,
              (SELECT json_group_object(status, n) FROM (SELECT t.status, COUNT(*) AS n FROM search_trials t WHERE t.search_id = s.id GROUP BY t.status)),
              (SELECT MIN(t.best_validation_loss) FROM search_trials t WHERE t.search_id = s.id AND t.status = 'completed'),
              {EpochsSpentSql},
              CASE WHEN json_type(s.summary, '$.leaderboard[0].meanCalibratedLoss') IN ('real', 'integer') THEN json_extract(s.summary, '$.leaderboard[0].meanCalibratedLoss') END
            FROM searches s ORDER BY s.created_at DESC, s.id DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var list = ImmutableArray.CreateBuilder<SearchListing>();
        while (reader.Read())
        {
            var request = ReadRequest(reader.GetString(5));
            var counts = JsonSerializer.Deserialize<ImmutableSortedDictionary<string, int>>(reader.IsDBNull(6) ? "{}" : reader.GetString(6))!;
            list.Add(new SearchListing(
                reader.GetString(0), reader.GetString(1),
                DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture), DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                request.Scheduler.ToString().ToLowerInvariant(), request.Run.Seed, request.Plan.Configurations, request.Plan.Seeds, request.Plan.Trials.Length,
                counts, reader.IsDBNull(7) ? null : reader.GetDouble(7), reader.GetInt32(8), $"/searches/{reader.GetString(0)}",
                reader.IsDBNull(9) ? null : reader.GetDouble(9)));
        }
        return list.ToImmutable();
    }

    /// <summary>How many times each trial was started: 1 for a trial that ran once, more for one re-run after a restart.</summary>
    public ImmutableDictionary<int, int> Attempts(string searchId)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT trial, attempts FROM search_trials WHERE search_id = $id";
        command.Parameters.AddWithValue("$id", searchId);
        using var reader = command.ExecuteReader();
        var attempts = ImmutableDictionary.CreateBuilder<int, int>();
        while (reader.Read())
        {
            attempts[reader.GetInt32(0)] = reader.GetInt32(1);
        }
        return attempts.ToImmutable();
    }

    /// <summary>The epochs of just the trials (by position) <paramref name="trials"/> names, as <see cref="Load"/> has them.</summary>
    public ImmutableDictionary<int, ImmutableArray<EpochMetrics>> Histories(string searchId, IEnumerable<int> trials)
    {
        using var connection = Connect();
        return Histories(connection, searchId, trials);
    }

    private static ImmutableDictionary<int, ImmutableArray<EpochMetrics>> Histories(SqliteConnection connection, string searchId, IEnumerable<int>? only = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT trial, {EpochColumns}
            FROM search_epochs WHERE search_id = $id{(only is null ? "" : " AND trial IN (SELECT value FROM json_each($trials))")} ORDER BY trial, epoch
            """;
        command.Parameters.AddWithValue("$id", searchId);
        if (only is not null)
        {
            command.Parameters.AddWithValue("$trials", JsonSerializer.Serialize(only.ToArray()));
        }
        using var reader = command.ExecuteReader();
        var histories = new Dictionary<int, ImmutableArray<EpochMetrics>.Builder>();
        while (reader.Read())
        {
            var trial = reader.GetInt32(0);
            if (!histories.TryGetValue(trial, out var history))
            {
                histories[trial] = history = ImmutableArray.CreateBuilder<EpochMetrics>();
            }
            history.Add(ReadEpoch(reader, 1));
        }
        return histories.ToImmutableDictionary(h => h.Key, h => h.Value.ToImmutable());
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

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        // In WAL mode NORMAL still never corrupts the database on a crash; it may only lose the last commits on power loss.
        pragma.CommandText = "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";
        pragma.ExecuteNonQuery();
        return connection;
    }

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
