using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Actors;
using Churn.Numerics;
using Microsoft.Data.Sqlite;

namespace Churn.Host.Store;

/// <summary>The read side of the run store: a run, the lists, and what other processes recorded.</summary>
public sealed partial class SqliteRunStore
{
    public StoredRun? Get(string runId)
    {
        using var connection = Reader();
        using var command = Command(connection, $"SELECT {RunColumns} FROM runs r WHERE r.id = $id", ("$id", runId));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRun(reader) : null;
    }

    /// <summary>
    /// The newest <paramref name="limit"/> runs, newest first; only those with <paramref name="status"/> when given, and
    /// only those older than the run <paramref name="before"/> names when given (the next page).
    /// </summary>
    public ImmutableArray<StoredRun> List(string? status, int limit, string? before = null)
    {
        using var connection = Reader();
        using var command = Command(connection,
            $"""
            SELECT {RunColumns} FROM runs r
            WHERE ($status IS NULL OR r.status = $status) AND ($before IS NULL OR r.seq < (SELECT b.seq FROM runs b WHERE b.id = $before))
            ORDER BY r.seq DESC LIMIT $limit
            """,
            ("$status", status), ("$limit", limit), ("$before", before));
        using var reader = command.ExecuteReader();
        var runs = ImmutableArray.CreateBuilder<StoredRun>();
        while (reader.Read())
        {
            runs.Add(ReadRun(reader));
        }

        return runs.ToImmutable();
    }

    /// <summary>
    /// The runs other processes record into this store (commands given the host's store) that are queued or running,
    /// or were recorded after the run numbered <paramref name="after"/> (a <see cref="RunsElsewhere.Newest"/> of an
    /// earlier look; null: only the queued and running ones): cheap enough to ask every second or two.
    /// </summary>
    public RunsElsewhere Elsewhere(long? after)
    {
        using var connection = Reader();
        long newest;
        // The newest number before the rows: a run recorded between the two reads is among the rows, or newer than it.
        using (var max = Command(connection, "SELECT coalesce(max(seq), 0) FROM runs"))
        {
            newest = (long)max.ExecuteScalar()!;
        }

        using var command = Command(connection,
            """
            SELECT seq, id, status, stage, epoch FROM runs
            WHERE (seq > $after OR status IN ('queued', 'running')) AND owner IS NOT $owner
            """,
            ("$after", after ?? long.MaxValue), ("$owner", _owner.Name));
        using var reader = command.ExecuteReader();
        var runs = ImmutableDictionary.CreateBuilder<string, RunStep>();
        while (reader.Read())
        {
            newest = Math.Max(newest, reader.GetInt64(0));
            runs[reader.GetString(1)] = new RunStep(reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetInt32(4));
        }

        return new RunsElsewhere(newest, runs.ToImmutable());
    }

    public ImmutableArray<StoredStage> Stages(string runId)
    {
        using var connection = Reader();
        using var command = Command(connection,
            "SELECT stage, started_at, completed_at, detail, elapsed_ms FROM run_stages WHERE run_id = $id ORDER BY rowid", ("$id", runId));
        using var reader = command.ExecuteReader();
        var stages = ImmutableArray.CreateBuilder<StoredStage>();
        while (reader.Read())
        {
            stages.Add(new StoredStage(
                reader.GetString(0),
                ParseTime(reader.GetString(1)),
                reader.IsDBNull(2) ? null : ParseTime(reader.GetString(2)),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetDouble(4)));
        }

        return stages.ToImmutable();
    }

    public ImmutableArray<StoredEpoch> Epochs(string runId)
    {
        using var connection = Reader();
        using var command = Command(connection,
            "SELECT epoch, train_loss, train_accuracy, validation_loss, validation_accuracy, elapsed_ms FROM run_epochs WHERE run_id = $id ORDER BY epoch",
            ("$id", runId));
        using var reader = command.ExecuteReader();
        var epochs = ImmutableArray.CreateBuilder<StoredEpoch>();
        while (reader.Read())
        {
            epochs.Add(new StoredEpoch(reader.GetInt32(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4), reader.GetDouble(5)));
        }

        return epochs.ToImmutable();
    }

    private static StoredRun ReadRun(SqliteDataReader r) => new(
        r.GetString(0),
        r.GetString(1),
        r.GetString(2),
        r.IsDBNull(13) ? null : r.GetInt32(13),
        r.IsDBNull(3) ? null : r.GetString(3),
        r.IsDBNull(4) ? null : r.GetInt32(4),
        ParseTime(r.GetString(5)),
        r.IsDBNull(6) ? null : ParseTime(r.GetString(6)),
        r.IsDBNull(7) ? null : ParseTime(r.GetString(7)),
        Json(r, 8),
        Json(r, 9),
        Json(r, 10),
        r.IsDBNull(11) ? [] : JsonSerializer.Deserialize<ImmutableArray<string>>(r.GetString(11)),
        r.IsDBNull(12) ? null : r.GetString(12),
        r.IsDBNull(14) ? RunLabels.None : JsonSerializer.Deserialize<RunLabels>(r.GetString(14), JsonFormat.Options) ?? RunLabels.None);

    private static JsonNode? Json(SqliteDataReader r, int column) => r.IsDBNull(column) ? null : JsonNode.Parse(r.GetString(column));
}
