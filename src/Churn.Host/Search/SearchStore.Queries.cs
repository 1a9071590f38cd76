using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Actors;
using Churn.Actors.Messages;
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


/// <summary>The read models: a search whole, its overview, the list, and the pieces resuming and the pages read.</summary>
public sealed partial class SearchStore
{
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
}
