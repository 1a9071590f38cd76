using System.Text.Json;
using Churn.Actors.Messages;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Model;
using Churn.Numerics.Search;
using Microsoft.Data.Sqlite;

namespace Churn.Host.Search;

/// <summary>The journal: what a search's coordinator and the HTTP API record as a search runs, each change in its own transaction.</summary>
public sealed partial class SearchStore
{
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

    /// <summary>A summary from its columns, from position <paramref name="at"/> on, early stopping replayed from them.</summary>
    private static EpochSummary ReadSummary(SqliteDataReader reader, int at, ModelConfig config)
    {
        double? Real(int column) => reader.IsDBNull(at + column) ? null : reader.GetDouble(at + column);
        return new EpochSummaryColumns(
            reader.GetInt32(at), reader.IsDBNull(at + 1) ? null : reader.GetInt32(at + 1), Real(2), Real(3), Real(4), Real(5),
            reader.GetInt32(at + 6), reader.GetInt32(at + 7), Real(8)).Replay(config);
    }

    private static void WriteSummary(SqliteConnection connection, SqliteTransaction transaction, string searchId, int trial, EpochSummary summary)
    {
        var c = EpochSummaryColumns.Of(summary);
        Execute(connection, transaction, """
            UPDATE search_trials SET epochs = $epochs, last_epoch = $last, best_validation_loss = $best, best_validation_accuracy = $accuracy,
              last_validation_loss = $lastLoss, stop_loss = $stopLoss, stop_since = $since, kept_epoch = $kept, kept_calibrated_loss = $calibrated
            WHERE search_id = $id AND trial = $trial
            """,
            ("$id", searchId), ("$trial", trial), ("$epochs", c.Epochs), ("$last", c.LastEpoch), ("$best", c.BestValidationLoss),
            ("$accuracy", c.BestValidationAccuracy), ("$lastLoss", c.LastValidationLoss), ("$stopLoss", c.StopLoss), ("$since", c.StopSince),
            ("$kept", c.KeptEpoch), ("$calibrated", c.KeptCalibratedLoss));
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
}
