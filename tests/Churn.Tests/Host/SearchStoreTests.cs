using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Actors.Messages;
using Churn.Host.Search;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using Churn.Numerics.Search;
using Churn.Tests.Search;
using Microsoft.Data.Sqlite;

namespace Churn.Tests.Host;

/// <summary>The searches' tables in the run store: what the coordinator writes is what a resume reads.</summary>
public class SearchStoreTests
{
    private static SearchRequest Request(string id) =>
        new(id, "/data/customers.csv", "/out", 4, BalanceStrategy.First, SplitRatios.Default, false, DeviceChoice.Cpu, 2, SchedulerKind.Asha,
            Sampler.Plan(SearchSpaceTests.Definition() with { Trials = 2, Seeds = 2, Scheduler = SchedulerKind.Asha }, 4));

    [Fact]
    public void What_the_journal_records_is_what_a_resume_reads()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "churn.db");
        var store = SearchStore.Open(path).Unwrap();
        var request = Request("search-1");
        var at = DateTimeOffset.UtcNow;
        store.SearchStarted(request, at);
        var trial = request.Plan.Trials[1];
        store.TrialStarted("search-1", trial, at);
        store.EpochRecorded("search-1", 1, new EpochMetrics(1, 0.5, 0.7, 0.55, 0.68));
        store.EpochRecorded("search-1", 1, new EpochMetrics(2, 0.4, 0.8, 0.45, 0.78));
        var decision = new RungDecision(0, 6, 0, 0.45, RungOutcome.Promoted, 0, 1, 1);
        store.DecisionRecorded("search-1", decision, at);
        store.DecisionRecorded("search-1", decision with { Value = 9 }, at);
        var ended = new TrialRecord(trial, TrialStatus.Pruned, [], "stopped by the scheduler at epoch 2", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1.9));

        store.TrialEnded("search-1", ended with { History = [new EpochMetrics(1, 0.5, 0.7, 0.55, 0.68), new EpochMetrics(2, 0.4, 0.8, 0.45, 0.78)] }, at);
        var loaded = SearchStore.Open(path).Unwrap().Load("search-1").Unwrap();

        Assert.Equal("running", loaded.Status);
        Assert.Equal(request.Plan.Trials, loaded.Request.Plan.Trials);
        Assert.Equal(request with { Plan = loaded.Request.Plan }, loaded.Request);
        Assert.Equal([TrialStatus.Pending, TrialStatus.Pruned, TrialStatus.Pending, TrialStatus.Pending], loaded.Trials.Select(t => t.Status));
        Assert.Equal([0.55, 0.45], loaded.Trials[1].History.Select(h => h.ValidationLoss));
        Assert.Equal("stopped by the scheduler at epoch 2", loaded.Trials[1].Reason);
        Assert.Equal(decision, Assert.Single(loaded.Decisions));
        Assert.Equal(1, store.Attempts("search-1")[1]);
        Assert.Equal(StoreOwner.Process, loaded.Owner);
        Assert.Empty(store.Orphaned());
    }

    [Fact]
    public void Each_epochs_calibrated_loss_is_kept_and_a_version_2_store_is_migrated_with_its_epochs_unknown()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "churn.db");
        var store = SearchStore.Open(path).Unwrap();
        var request = Request("search-c");
        store.SearchStarted(request, DateTimeOffset.UtcNow);
        store.TrialStarted("search-c", request.Plan.Trials[0], DateTimeOffset.UtcNow);
        store.EpochRecorded("search-c", 0, new EpochMetrics(1, 0.5, 0.7, 0.55, 0.68, 0.2375));
        Assert.Equal(0.2375, store.Load("search-c").Unwrap().Trials[0].History[0].CalibratedLoss);
        Assert.Equal(SearchCriterion.CalibratedLoss, store.Load("search-c").Unwrap().Request.Plan.Criterion);

        // The layout of version 2: no calibrated loss column.
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var downgrade = connection.CreateCommand();
            downgrade.CommandText = "ALTER TABLE search_epochs DROP COLUMN calibrated_loss; UPDATE search_schema SET version = 2;";
            downgrade.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        var migrated = SearchStore.Open(path).Unwrap();
        var old = migrated.Load("search-c").Unwrap().Trials[0].History[0];
        Assert.Equal(0.55, old.ValidationLoss);
        Assert.True(double.IsNaN(old.CalibratedLoss));
        migrated.EpochRecorded("search-c", 0, new EpochMetrics(2, 0.4, 0.8, 0.45, 0.78, 0.21));
        Assert.Equal(0.21, migrated.Load("search-c").Unwrap().Trials[0].History[1].CalibratedLoss);
        using var check = new SqliteConnection($"Data Source={path};Pooling=False");
        check.Open();
        using var version = check.CreateCommand();
        version.CommandText = "SELECT MAX(version) FROM search_schema";
        Assert.Equal((long)SearchStore.SchemaVersion, version.ExecuteScalar());
    }

    [Fact]
    public void A_trial_started_again_drops_the_epochs_of_its_interrupted_attempt()
    {
        var store = SearchStore.Open(Path.Combine(TestPaths.NewTempDirectory(), "churn.db")).Unwrap();
        var request = Request("search-2");
        store.SearchStarted(request, DateTimeOffset.UtcNow);
        store.TrialStarted("search-2", request.Plan.Trials[0], DateTimeOffset.UtcNow);
        store.EpochRecorded("search-2", 0, new EpochMetrics(1, 0.5, 0.7, 0.55, 0.68));

        store.TrialStarted("search-2", request.Plan.Trials[0], DateTimeOffset.UtcNow);

        Assert.Empty(store.Load("search-2").Unwrap().Trials[0].History);
        Assert.Equal(2, store.Attempts("search-2")[0]);
    }

    [Fact]
    public void The_search_tables_live_beside_the_run_tables_with_their_own_schema_version()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "churn.db");
        using (var runs = SqliteRunStore.Open(path, DateTimeOffset.UtcNow).Unwrap())
        {
            Assert.True(SearchStore.Open(path).IsOk);
        }
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var bump = connection.CreateCommand();
            bump.CommandText = "UPDATE search_schema SET version = 99";
            bump.ExecuteNonQuery();
        }

        var problem = Assert.IsType<Result<SearchStore>.Error>(SearchStore.Open(path)).Problem;
        Assert.Contains("schema version 99", problem.Reason);
        using var again = SqliteRunStore.Open(path, DateTimeOffset.UtcNow).Unwrap();
    }

    [Fact]
    public void A_search_whose_process_is_gone_is_an_orphan_to_resume()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "churn.db");
        var store = SearchStore.Open(path).Unwrap();
        store.SearchStarted(Request("search-3"), DateTimeOffset.UtcNow);
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var orphan = connection.CreateCommand();
            orphan.CommandText = $"UPDATE searches SET owner = '{Environment.MachineName}|{int.MaxValue}|2000-01-01T00:00:00.0000000Z'";
            orphan.ExecuteNonQuery();
        }

        Assert.Equal(["search-3"], store.Orphaned());
        Assert.False(StoreOwner.ProcessAlive($"{Environment.MachineName}|{int.MaxValue}|2000-01-01T00:00:00.0000000Z"));
        Assert.True(StoreOwner.ProcessAlive(StoreOwner.Process));
        Assert.True(StoreOwner.ProcessAlive("another-machine|1|2000-01-01T00:00:00.0000000Z"));
    }
    /// <summary>The search kept in <see cref="OlderStore"/>: ASHA, 4 configurations x 2 seeds, completed.</summary>
    public const string OlderSearch = "search-20261201-073711-5bcba2";

    /// <summary>
    /// A store as an older churn wrote it (search schema 1: no nodes, a summary that counts configurations from 0), loaded
    /// from the text dump of a real one (its paths replaced by neutral ones).
    /// </summary>
    public static string OlderStore(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var load = connection.CreateCommand();
        load.CommandText = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "Churn.Tests", "Host", "Fixtures", "search-store-v1.sql"));
        load.ExecuteNonQuery();
        return path;
    }

    private static string? Sql(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar()?.ToString();
    }

    private static int[] Configurations(JsonNode summary) =>
        [.. summary["leaderboard"]!.AsArray().Select(r => r!["configuration"]!.GetValue<int>())];

    [Fact]
    public void A_store_of_an_older_version_opens_migrated_with_its_summaries_numbered_as_every_output_and_its_plans_as_they_were()
    {
        var path = OlderStore(Path.Combine(TestPaths.NewTempDirectory(), "churn.db"));
        var before = Configurations(JsonNode.Parse(Sql(path, "SELECT summary FROM searches")!)!);

        var search = SearchStore.Open(path).Unwrap().Load(OlderSearch).Unwrap();

        Assert.Equal(SearchStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), Sql(path, "SELECT MAX(version) FROM search_schema"));
        Assert.Equal(Enumerable.Range(0, 8), search.Request.Plan.Trials.Select(t => t.Index));
        Assert.Equal([0, 0, 1, 1, 2, 2, 3, 3], search.Request.Plan.Trials.Select(t => t.Configuration));
        Assert.All(search.Trials, t => Assert.True(t.Ended));
        Assert.All(search.Trials, t => Assert.Null(t.Node));
        Assert.Equal(6, search.Decisions.Length);
        var summary = JsonNode.Parse(search.Summary!)!;
        Assert.Equal(before.Select(c => c + 1), Configurations(summary));
        Assert.Equal([1, 2, 3, 4], Configurations(summary).Order());
        // What the summary says is what this version makes of the stored trials, numbered as it serializes them.
        var ranked = Leaderboard.Rank(search.Trials, search.Request.Plan.Seeds, search.Request.Plan.Criterion);
        Assert.Equal(Configurations(JsonSerializer.SerializeToNode(new { leaderboard = ranked }, JsonFormat.Options)!), Configurations(summary));
        var read = summary.Deserialize<SearchSummary>(JsonFormat.Options)!;
        Assert.Equal(ranked.Select(r => (r.Rank, r.Configuration, r.Outcome)), read.Leaderboard.Select(r => (r.Rank, r.Configuration, r.Outcome)));
        // The stored decisions stand on a resume: nothing is decided again.
        var (resumed, commands) = SearchState.Resume(SearchState.Start(search.Request.Plan, 2), search.Trials, search.Decisions);
        Assert.True(resumed.Finished);
        Assert.DoesNotContain(commands, c => c is SearchCommand.Record);

        // Opened again, it is migrated no further.
        Assert.Equal(search.Summary, SearchStore.Open(path).Unwrap().Load(OlderSearch).Unwrap().Summary);
    }

    [Fact]
    public void Decisions_and_leaderboards_serialize_numbered_from_1_and_read_back_as_the_same_records()
    {
        var decision = new RungDecision(0, 3, 2, 0.45, RungOutcome.Stopped, 1, 3, 1);
        var json = JsonSerializer.SerializeToNode(decision, JsonFormat.Options)!;

        Assert.Equal((1, 3, 3, 2), (json["rung"]!.GetValue<int>(), json["epoch"]!.GetValue<int>(), json["configuration"]!.GetValue<int>(), json["rank"]!.GetValue<int>()));
        Assert.Equal(decision, json.Deserialize<RungDecision>(JsonFormat.Options));
        var row = Leaderboard.Rank([TrialRecord.Pending(Request("s").Plan.Trials[2]) with { Status = TrialStatus.Completed, History = [new EpochMetrics(1, 0.5, 0.7, 0.55, 0.68)] }], 1, SearchCriterion.CalibratedLoss).Single();
        var rowJson = JsonSerializer.SerializeToNode(row, JsonFormat.Options)!;
        Assert.Equal((1, 2), (rowJson["rank"]!.GetValue<int>(), rowJson["configuration"]!.GetValue<int>()));
        Assert.Equal(row, rowJson.Deserialize<LeaderboardRow>(JsonFormat.Options));
    }
}
