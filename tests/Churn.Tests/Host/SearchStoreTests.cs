using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Actors.Messages;
using Churn.Host.Dashboard;
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
        new(id, new Churn.Actors.RunSpec("/data/customers.csv", "/out", "churn", 4, BalanceStrategy.First, SplitRatios.Default, false, DeviceChoice.Cpu, ModelConfig.Default, LogFeatureNames: []), 2, SchedulerKind.Asha,
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
            downgrade.CommandText = $"ALTER TABLE search_epochs DROP COLUMN calibrated_loss; {DropSummaryColumns} UPDATE schema_versions SET version = 2 WHERE part = 'searches';";
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
        version.CommandText = "SELECT version FROM schema_versions WHERE part = 'searches'";
        Assert.Equal((long)SearchStore.SchemaVersion, version.ExecuteScalar());
    }

    [Fact]
    public void Epochs_trained_never_drop_when_a_cancelled_search_resumes_and_the_list_and_its_page_agree()
    {
        var store = SearchStore.Open(Path.Combine(TestPaths.NewTempDirectory(), "churn.db")).Unwrap();
        var request = Request("search-r");
        var at = DateTimeOffset.UtcNow;
        store.SearchStarted(request, at);
        var trials = request.Plan.Trials;
        store.TrialStarted("search-r", trials[0], at);
        for (var epoch = 1; epoch <= 3; epoch++)
        {
            store.EpochRecorded("search-r", 0, new EpochMetrics(epoch, 0.5, 0.7, 0.55, 0.68, 0.3));
        }
        store.TrialEnded("search-r", new TrialRecord(trials[0], TrialStatus.Completed, [], null), at);
        // Cancelled in the middle of its third epoch: two epochs trained, which a resume trains again from epoch 1.
        store.TrialStarted("search-r", trials[1], at);
        store.EpochRecorded("search-r", 1, new EpochMetrics(1, 0.5, 0.7, 0.55, 0.68));
        store.EpochRecorded("search-r", 1, new EpochMetrics(2, 0.4, 0.8, 0.45, 0.78));
        store.SearchEnded("search-r", "cancelled", null, "cancelled", at);
        // GET /searches lists the first, a search's page (GET /searches/{id}) shows the second.
        int Listed() => store.List(10).Single(s => s.Id == "search-r").EpochsSpent;
        int Shown() => store.Overview("search-r").Unwrap().EpochsSpent;
        Assert.Equal((5, 5), (Listed(), Shown()));

        store.SearchResumed("search-r", 2, at);
        store.TrialStarted("search-r", trials[1], at);
        Assert.Equal((5, 5), (Listed(), Shown()));
        store.EpochRecorded("search-r", 1, new EpochMetrics(1, 0.5, 0.7, 0.55, 0.68));

        Assert.Equal((6, 6), (Listed(), Shown()));
        Assert.Equal(1, store.Overview("search-r").Unwrap().Trials[1].Epochs);
    }

    [Fact]
    public void The_overview_summarizes_each_trials_epochs_as_the_epochs_themselves_do()
    {
        var store = SearchStore.Open(Path.Combine(TestPaths.NewTempDirectory(), "churn.db")).Unwrap();
        var request = Request("search-5");
        var at = DateTimeOffset.UtcNow;
        store.SearchStarted(request, at);
        var trials = request.Plan.Trials;
        // A completed trial whose best epoch is in the middle, a pruned one, one still running on a node, one never started.
        store.TrialStarted("search-5", trials[0], at);
        store.EpochRecorded("search-5", 0, new EpochMetrics(1, 0.6, 0.6, 0.58, 0.61, 0.30));
        store.EpochRecorded("search-5", 0, new EpochMetrics(2, 0.5, 0.7, 0.41, 0.74, 0.25));
        store.EpochRecorded("search-5", 0, new EpochMetrics(3, 0.4, 0.8, 0.47, 0.72, 0.22));
        store.TrialEnded("search-5", new TrialRecord(trials[0], TrialStatus.Completed, [], null, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3)), at);
        store.TrialStarted("search-5", trials[1], at);
        store.EpochRecorded("search-5", 1, new EpochMetrics(1, 0.7, 0.5, 0.69, 0.52, 0.40));
        store.TrialEnded("search-5", new TrialRecord(trials[1], TrialStatus.Pruned, [], "stopped by the scheduler at epoch 1"), at);
        store.TrialStarted("search-5", trials[2], at, "worker-1");
        store.EpochRecorded("search-5", 2, new EpochMetrics(1, 0.65, 0.55, 0.6, 0.58));
        store.EpochRecorded("search-5", 2, new EpochMetrics(2, 0.55, 0.65, 0.62, 0.57));

        var full = store.Load("search-5").Unwrap();
        var overview = store.Overview("search-5").Unwrap();

        Assert.Equal(full.Trials.Select(TrialSummary.Of), overview.Trials);
        Assert.Equal([3, 1, 2, 0], overview.Trials.Select(t => t.Epochs));
        Assert.Equal(0.41, overview.Trials[0].BestValidationLoss);
        Assert.Equal(0.74, overview.Trials[0].BestValidationAccuracy);
        Assert.Equal(0.47, overview.Trials[0].LastValidationLoss);
        // The calibrated loss is the kept epoch's (epoch 2), not the lowest nor the last; none recorded is unknown.
        Assert.Equal(0.25, overview.Trials[0].CalibratedLoss);
        Assert.True(double.IsNaN(overview.Trials[2].CalibratedLoss));
        Assert.Equal("worker-1", overview.Trials[2].Node);
        Assert.True(double.IsNaN(overview.Trials[3].BestValidationLoss));
        Assert.Null(overview.Trials[3].LastValidationLoss);
        foreach (var criterion in new[] { SearchCriterion.ValidationLoss, SearchCriterion.CalibratedLoss })
        {
            Assert.Equal(
                System.Text.Json.JsonSerializer.Serialize(Leaderboard.Rank(full.Trials, request.Plan.Seeds, criterion), JsonFormat.Options),
                System.Text.Json.JsonSerializer.Serialize(Leaderboard.Rank(overview.Trials, request.Plan.Seeds, criterion), JsonFormat.Options));
        }
        Assert.Equal(full.Decisions, overview.Decisions);
        Assert.Equal((full.Status, full.Owner, full.Request.SearchId), (overview.Status, overview.Owner, overview.Request.SearchId));
        Assert.IsType<Result<SearchOverview>.Error>(store.Overview("no-such-search"));
    }

    /// <summary>What turns a version 5 search_trials table back into version 4's: the columns of the kept summaries dropped.</summary>
    private const string DropSummaryColumns = """
        ALTER TABLE search_trials DROP COLUMN last_epoch; ALTER TABLE search_trials DROP COLUMN best_validation_accuracy;
        ALTER TABLE search_trials DROP COLUMN last_validation_loss; ALTER TABLE search_trials DROP COLUMN stop_loss;
        ALTER TABLE search_trials DROP COLUMN stop_since; ALTER TABLE search_trials DROP COLUMN kept_epoch;
        ALTER TABLE search_trials DROP COLUMN kept_calibrated_loss; ALTER TABLE search_trials DROP COLUMN earlier_epochs;
        """;

    /// <summary>Every stored column of every trial's summary, as text: equal when the stored summaries are the same to the bit.</summary>
    private static string StoredSummaries(string path, string searchId) => Sql(path, $"""
        SELECT group_concat(trial || ':' || epochs || ',' || quote(last_epoch) || ',' || quote(best_validation_loss) || ',' || quote(best_validation_accuracy)
          || ',' || quote(last_validation_loss) || ',' || quote(stop_loss) || ',' || stop_since || ',' || kept_epoch || ',' || quote(kept_calibrated_loss), ' ')
        FROM (SELECT * FROM search_trials WHERE search_id = '{searchId}' ORDER BY trial)
        """) ?? "";

    /// <summary>
    /// Random histories written as a search writes them, with what makes the rule hard: tied losses, unknown and infinite
    /// calibrated losses, epochs with no improvement at all (infinite validation losses), min-deltas that no later epoch
    /// beats, epochs written again (before or after later ones), epochs arriving after a gap and the gap filled later,
    /// trials started again, ended and re-queued. After every write the summaries the store keeps as epochs arrive are
    /// <see cref="TrialSummary.Of"/> of the histories it reads back, those histories are what was written, and folding the
    /// summaries again from the rows changes no stored bit (early stopping's state included, which later epochs depend on).
    /// </summary>
    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void The_summary_kept_with_each_epoch_is_that_of_the_trials_epochs_whatever_order_they_come_in(ulong seed)
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "churn.db");
        var store = SearchStore.Open(path).Unwrap();
        var plain = Request("search-p");
        // Patience 1 to 3; min-deltas 0, 0.01, 0.05 and one no later epoch can beat.
        double[] minDeltas = [0, 0.01, 0.05, 0.5];
        var request = plain with
        {
            Plan = plain.Plan with
            {
                Trials = [.. plain.Plan.Trials.Select(t => t with { Config = t.Config with { Patience = 1 + (t.Index % 3), MinDelta = minDeltas[t.Index % 4] } })],
            },
        };
        var at = DateTimeOffset.UtcNow;
        store.SearchStarted(request, at);
        var random = new Xoshiro256(seed);
        double[] losses = [0.3, 0.35, 0.4, 0.4, 0.45, 0.5, double.PositiveInfinity];
        double[] calibrated = [double.NaN, double.PositiveInfinity, 0.2, 0.25, 0.25, 0.3];
        EpochMetrics Epoch(int epoch) => new(
            epoch, random.NextDouble(), random.NextDouble(), losses[random.NextBelow(losses.Length)], random.NextBelow(100) / 100.0, calibrated[random.NextBelow(calibrated.Length)]);
        // What the store should hold: each trial's epochs by number, as last written.
        var written = request.Plan.Trials.Select(_ => new SortedDictionary<int, EpochMetrics>()).ToArray();
        foreach (var t in request.Plan.Trials)
        {
            store.TrialStarted("search-p", t, at);
        }
        var (rewritten, unknown, infinite) = (0, 0, 0);

        for (var step = 0; step < 150; step++)
        {
            var trial = random.NextBelow(written.Length);
            var epochs = written[trial];
            var last = epochs.Count == 0 ? 0 : epochs.Keys.Max();
            var roll = random.NextBelow(100);
            if (roll < 60 || epochs.Count == 0)
            {
                // The next epoch, now and then after a gap.
                var metrics = Epoch(last + (roll % 10 == 0 ? 2 : 1));
                store.EpochRecorded("search-p", trial, metrics);
                epochs[metrics.Epoch] = metrics;
            }
            else if (roll < 85)
            {
                // An epoch written again, or a gap filled: not the trial's latest.
                var metrics = Epoch(1 + random.NextBelow(last));
                store.EpochRecorded("search-p", trial, metrics);
                rewritten += epochs.ContainsKey(metrics.Epoch) ? 1 : 0;
                epochs[metrics.Epoch] = metrics;
            }
            else if (roll < 92)
            {
                store.TrialStarted("search-p", request.Plan.Trials[trial], at);
                epochs.Clear();
            }
            else if (roll < 96)
            {
                store.TrialEnded("search-p", new TrialRecord(request.Plan.Trials[trial], TrialStatus.Completed, [], null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), at);
            }
            else
            {
                store.TrialRequeued("search-p", trial, "node lost", at);
            }

            var loaded = store.Load("search-p").Unwrap();
            unknown += loaded.Trials.Sum(t => t.History.Count(e => double.IsNaN(e.CalibratedLoss)));
            infinite += loaded.Trials.Sum(t => t.History.Count(e => double.IsPositiveInfinity(e.ValidationLoss)));
            for (var i = 0; i < written.Length; i++)
            {
                // Read back as stored: a calibrated loss the column cannot hold (infinite) is unknown.
                Assert.Equal(written[i].Values.Select(e => e with { CalibratedLoss = double.IsFinite(e.CalibratedLoss) ? e.CalibratedLoss : double.NaN }), loaded.Trials[i].History);
            }
            Assert.Equal(loaded.Trials.Select(TrialSummary.Of), store.Overview("search-p").Unwrap().Trials);
            var kept = StoredSummaries(path, "search-p");
            store.Summarize("search-p");
            Assert.Equal(kept, StoredSummaries(path, "search-p"));
        }
        // The histories drawn did reach the hard cases.
        Assert.True(rewritten > 5 && unknown > 0 && infinite > 0, $"rewritten {rewritten}, unknown {unknown}, infinite {infinite}");
        Assert.Contains(store.Load("search-p").Unwrap().Trials, t => t.History.Length > 3);
    }

    /// <summary>
    /// A store as version 4 wrote it (no summaries in the trials' rows; a trial's epoch count and best loss written only when
    /// it ended), with that version's statements: opening it computes every trial's summary from its epochs, the overview
    /// then says what the epochs say, and new epochs are folded into the computed summaries.
    /// </summary>
    [Fact]
    public void A_store_written_at_schema_4_opens_with_each_trials_summary_computed_from_its_epochs()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "churn.db");
        var plain = Request("search-v4");
        var request = plain with
        {
            Plan = plain.Plan with { Trials = [.. plain.Plan.Trials.Select(t => t with { Config = t.Config with { Patience = 3, MinDelta = 0.05 } })] },
        };
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            void Run(string sql, params (string Name, object Value)[] values) => Execute(connection, sql, values);
            Run("""
                PRAGMA journal_mode = WAL;
                CREATE TABLE search_schema (version INTEGER NOT NULL);
                CREATE TABLE searches (id TEXT PRIMARY KEY, status TEXT NOT NULL, owner TEXT NOT NULL, request TEXT NOT NULL,
                    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, summary TEXT, reason TEXT);
                CREATE TABLE search_trials (search_id TEXT NOT NULL REFERENCES searches(id), trial INTEGER NOT NULL, configuration INTEGER NOT NULL,
                    replicate INTEGER NOT NULL, seed INTEGER NOT NULL, config TEXT NOT NULL, status TEXT NOT NULL, reason TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0, epochs INTEGER NOT NULL DEFAULT 0, best_validation_loss REAL,
                    wall_ms REAL NOT NULL DEFAULT 0, session_ms REAL NOT NULL DEFAULT 0, started_at TEXT, ended_at TEXT,
                    node TEXT, requeues INTEGER NOT NULL DEFAULT 0, requeue_reason TEXT,
                    PRIMARY KEY (search_id, trial));
                CREATE TABLE search_epochs (search_id TEXT NOT NULL, trial INTEGER NOT NULL, epoch INTEGER NOT NULL, train_loss REAL NOT NULL,
                    train_accuracy REAL NOT NULL, validation_loss REAL NOT NULL, validation_accuracy REAL NOT NULL, calibrated_loss REAL,
                    PRIMARY KEY (search_id, trial, epoch));
                CREATE TABLE search_decisions (search_id TEXT NOT NULL, rung INTEGER NOT NULL, configuration INTEGER NOT NULL, epoch INTEGER NOT NULL,
                    value REAL NOT NULL, outcome TEXT NOT NULL, rank INTEGER NOT NULL, compared INTEGER NOT NULL, kept INTEGER NOT NULL,
                    decided_at TEXT NOT NULL, PRIMARY KEY (search_id, rung, configuration));
                INSERT INTO search_schema (version) VALUES (4);
                """);
            Run("INSERT INTO searches (id, status, owner, request, created_at, updated_at) VALUES ('search-v4', 'interrupted', 'gone|1|2000-01-01T00:00:00.0000000Z', $request, $at, $at)",
                ("$request", JsonSerializer.Serialize(request, JsonFormat.Options)), ("$at", "2026-12-01T11:00:00.0000000+00:00"));
            foreach (var t in request.Plan.Trials)
            {
                Run("INSERT INTO search_trials (search_id, trial, configuration, replicate, seed, config, status) VALUES ('search-v4', $trial, $configuration, $replicate, $seed, $config, 'pending')",
                    ("$trial", t.Index), ("$configuration", t.Configuration), ("$replicate", t.Replicate), ("$seed", t.Seed), ("$config", JsonSerializer.Serialize(t.Config, JsonFormat.Options)));
            }
            // Trial 0 completed: min-delta 0.05 keeps epoch 2 (0.44 does not beat 0.45 by 0.05), whose calibrated loss is 0.21.
            // Trial 1 was running: version 4 left its count at 0 beside two epochs, one without a calibrated loss.
            Run("""
                UPDATE search_trials SET status = 'completed', attempts = 1, epochs = 4, best_validation_loss = 0.40, wall_ms = 4000, session_ms = 4000 WHERE trial = 0;
                UPDATE search_trials SET status = 'running', attempts = 1 WHERE trial = 1;
                INSERT INTO search_epochs VALUES
                  ('search-v4', 0, 1, 0.6, 0.6, 0.55, 0.66, 0.30), ('search-v4', 0, 2, 0.5, 0.7, 0.45, 0.75, 0.21),
                  ('search-v4', 0, 3, 0.4, 0.8, 0.44, 0.77, 0.19), ('search-v4', 0, 4, 0.3, 0.9, 0.40, 0.74, 0.18),
                  ('search-v4', 1, 1, 0.7, 0.5, 0.65, 0.58, NULL), ('search-v4', 1, 2, 0.6, 0.6, 0.58, 0.61, 0.27);
                """);
        }

        var store = SearchStore.Open(path).Unwrap();
        var loaded = store.Load("search-v4").Unwrap();
        var overview = store.Overview("search-v4").Unwrap();

        Assert.Equal(SearchStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), Sql(path, "SELECT version FROM schema_versions WHERE part = 'searches'"));
        Assert.Equal(loaded.Trials.Select(TrialSummary.Of), overview.Trials);
        Assert.Equal([4, 2, 0, 0], overview.Trials.Select(t => t.Epochs));
        Assert.Equal((0.40, 0.74, 0.40, 0.21), (overview.Trials[0].BestValidationLoss, overview.Trials[0].BestValidationAccuracy, overview.Trials[0].LastValidationLoss, overview.Trials[0].CalibratedLoss));
        Assert.Equal(2, loaded.Trials[0].KeptEpochUpTo(int.MaxValue));
        Assert.Equal((0.58, 0.27), (overview.Trials[1].BestValidationLoss, overview.Trials[1].CalibratedLoss));
        // The running trial's epochs count now, not only those of ended trials.
        Assert.Equal(6, store.List(10).Single().EpochsSpent);
        // Migrated summaries go on as the rows do: a new epoch for the running trial, then one written again.
        var migrated = StoredSummaries(path, "search-v4");
        store.Summarize("search-v4");
        Assert.Equal(migrated, StoredSummaries(path, "search-v4"));
        store.EpochRecorded("search-v4", 1, new EpochMetrics(3, 0.5, 0.7, 0.50, 0.70, 0.22));
        store.EpochRecorded("search-v4", 0, new EpochMetrics(2, 0.5, 0.7, 0.47, 0.73, 0.24));
        var after = store.Overview("search-v4").Unwrap();
        Assert.Equal(store.Load("search-v4").Unwrap().Trials.Select(TrialSummary.Of), after.Trials);
        Assert.Equal((3, 0.50, 0.22), (after.Trials[1].Epochs, after.Trials[1].BestValidationLoss, after.Trials[1].CalibratedLoss));
        // Epoch 2 rewritten with 0.47: epoch 4's 0.40 now beats it by more than min-delta, so training keeps epoch 4.
        Assert.Equal(0.18, after.Trials[0].CalibratedLoss);
        // Opened again, nothing is migrated twice.
        var twice = StoredSummaries(path, "search-v4");
        SqliteConnection.ClearAllPools();
        Assert.Equal(after.Trials, SearchStore.Open(path).Unwrap().Overview("search-v4").Unwrap().Trials);
        Assert.Equal(twice, StoredSummaries(path, "search-v4"));
    }

    [Fact]
    public void The_search_curves_chart_reads_the_epochs_of_only_the_configurations_it_draws_and_draws_what_every_epoch_draws()
    {
        var store = SearchStore.Open(Path.Combine(TestPaths.NewTempDirectory(), "churn.db")).Unwrap();
        var request = Request("search-curves") with
        {
            Scheduler = SchedulerKind.None,
            Plan = Sampler.Plan(SearchSpaceTests.Definition() with { Trials = 8, Seeds = 2, Scheduler = SchedulerKind.None }, 4),
        };
        var at = DateTimeOffset.UtcNow;
        store.SearchStarted(request, at);
        foreach (var t in request.Plan.Trials)
        {
            store.TrialStarted("search-curves", t, at);
            for (var e = 1; e <= 6; e++)
            {
                // Configuration c's curve bottoms out at 0.3 + c/100: configurations rank in reverse order of their number.
                var c = request.Plan.Configurations - t.Configuration;
                store.EpochRecorded("search-curves", t.Index, new EpochMetrics(e, 0.6, 0.7, 0.3 + (c / 100.0) + (t.Replicate / 1000.0) + ((e - 4) * (e - 4) / 50.0), 0.7));
            }
            // One configuration failed: it trained, but the chart leaves it out.
            store.TrialEnded("search-curves", new TrialRecord(t, t.Configuration == 7 ? TrialStatus.Failed : TrialStatus.Completed, [], null, TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(6)), at);
        }
        var full = store.Load("search-curves").Unwrap();

        var asked = new List<int>();
        var svg = DashboardCharts.SearchCurves(store.Overview("search-curves").Unwrap(), trials =>
        {
            asked.AddRange(trials);
            return store.Histories("search-curves", asked);
        });

        // The top 5 of the 7 configurations that trained, each with its 2 seeds' trials; not the failed one, not the rest.
        var drawn = SearchChart.Shown(Leaderboard.Rank(full.Trials, 2, request.Plan.Criterion)).Select(r => r.Configuration).ToHashSet();
        Assert.Equal([6, 5, 4, 3, 2], SearchChart.Shown(Leaderboard.Rank(full.Trials, 2, request.Plan.Criterion)).Select(r => r.Configuration));
        Assert.Equal(full.Trials.Where(t => drawn.Contains(t.Spec.Configuration)).Select(t => t.Spec.Index), asked.Order());
        Assert.Equal(10, asked.Count);
        var histories = store.Histories("search-curves", asked);
        Assert.Equal(asked.Order(), histories.Keys.Order());
        Assert.All(asked, i => Assert.Equal(full.Trials[i].History, histories[i]));
        // The same chart as from every epoch, but for the clip paths' ids, which count the charts drawn so far.
        static string Unnumbered(string chart) => System.Text.RegularExpressions.Regex.Replace(chart, "cl_[0-9A-Za-z]+", "cl");
        Assert.Equal(Unnumbered(DashboardCharts.SearchCurves(Leaderboard.Rank(full.Trials, 2, request.Plan.Criterion), full.Trials)), Unnumbered(svg));
        Assert.Contains("configuration 7", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("configuration 8", svg, StringComparison.Ordinal);
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
            bump.CommandText = "UPDATE schema_versions SET version = 99 WHERE part = 'searches'";
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

        Assert.Equal(SearchStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), Sql(path, "SELECT version FROM schema_versions WHERE part = 'searches'"));
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

    /// <summary>
    /// A store as churn wrote it before either schema reached version 2 (runs without an owner; trials without their
    /// node and re-queues), with the statements of that version: every run and search in it reads back, both schemas are
    /// current afterwards, and the migrated file takes new writes.
    /// </summary>
    [Fact]
    public void A_store_written_before_schema_2_opens_with_its_runs_and_searches_and_current_schemas()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "churn.db");
        var request = Request("search-old");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            void Run(string sql, params (string Name, object Value)[] values) => Execute(connection, sql, values);
            Run("""
                PRAGMA journal_mode = WAL;
                CREATE TABLE runs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, mode TEXT NOT NULL, config TEXT NOT NULL,
                    status TEXT NOT NULL, queued_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, stage TEXT, epoch INTEGER,
                    metrics TEXT, manifest TEXT, artifacts TEXT, error TEXT);
                CREATE INDEX runs_by_status ON runs (status, seq);
                CREATE TABLE run_stages (run_id TEXT NOT NULL REFERENCES runs (id), stage TEXT NOT NULL, started_at TEXT NOT NULL,
                    completed_at TEXT, detail TEXT, elapsed_ms REAL, PRIMARY KEY (run_id, stage));
                CREATE TABLE run_epochs (run_id TEXT NOT NULL REFERENCES runs (id), epoch INTEGER NOT NULL, train_loss REAL NOT NULL,
                    train_accuracy REAL NOT NULL, validation_loss REAL NOT NULL, validation_accuracy REAL NOT NULL, elapsed_ms REAL NOT NULL,
                    recorded_at TEXT NOT NULL, PRIMARY KEY (run_id, epoch));
                PRAGMA user_version = 1;
                CREATE TABLE search_schema (version INTEGER NOT NULL);
                CREATE TABLE searches (id TEXT PRIMARY KEY, status TEXT NOT NULL, owner TEXT NOT NULL, request TEXT NOT NULL,
                    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, summary TEXT, reason TEXT);
                CREATE TABLE search_trials (search_id TEXT NOT NULL REFERENCES searches(id), trial INTEGER NOT NULL, configuration INTEGER NOT NULL,
                    replicate INTEGER NOT NULL, seed INTEGER NOT NULL, config TEXT NOT NULL, status TEXT NOT NULL, reason TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0, epochs INTEGER NOT NULL DEFAULT 0, best_validation_loss REAL,
                    wall_ms REAL NOT NULL DEFAULT 0, session_ms REAL NOT NULL DEFAULT 0, started_at TEXT, ended_at TEXT,
                    PRIMARY KEY (search_id, trial));
                CREATE TABLE search_epochs (search_id TEXT NOT NULL, trial INTEGER NOT NULL, epoch INTEGER NOT NULL, train_loss REAL NOT NULL,
                    train_accuracy REAL NOT NULL, validation_loss REAL NOT NULL, validation_accuracy REAL NOT NULL,
                    PRIMARY KEY (search_id, trial, epoch));
                CREATE TABLE search_decisions (search_id TEXT NOT NULL, rung INTEGER NOT NULL, configuration INTEGER NOT NULL, epoch INTEGER NOT NULL,
                    value REAL NOT NULL, outcome TEXT NOT NULL, rank INTEGER NOT NULL, compared INTEGER NOT NULL, kept INTEGER NOT NULL,
                    decided_at TEXT NOT NULL, PRIMARY KEY (search_id, rung, configuration));
                INSERT INTO search_schema (version) VALUES (1);
                """);
            Run("""
                INSERT INTO runs (id, mode, config, status, queued_at, started_at, finished_at, stage, epoch, metrics, artifacts)
                    VALUES ('run-old', 'run', '{"seed": 7}', 'succeeded', '2025-06-01T10:00:00.0000000+00:00', '2025-06-01T10:00:01.0000000+00:00',
                            '2025-06-01T10:00:09.0000000+00:00', 'write', 2, '{"test": {"accuracy": 0.81}}', '["/out/run-old/model"]');
                INSERT INTO run_stages (run_id, stage, started_at, completed_at, detail, elapsed_ms)
                    VALUES ('run-old', 'load', '2025-06-01T10:00:01.0000000+00:00', '2025-06-01T10:00:02.0000000+00:00', '14,084 rows', 812.5);
                INSERT INTO run_epochs (run_id, epoch, train_loss, train_accuracy, validation_loss, validation_accuracy, elapsed_ms, recorded_at)
                    VALUES ('run-old', 1, 0.6, 0.7, 0.62, 0.69, 100, '2025-06-01T10:00:03.0000000+00:00'),
                           ('run-old', 2, 0.5, 0.75, 0.55, 0.74, 200, '2025-06-01T10:00:04.0000000+00:00');
                """);
            Run("INSERT INTO searches (id, status, owner, request, created_at, updated_at, summary, reason) VALUES ('search-old', 'interrupted', $owner, $request, $at, $at, NULL, 'the host stopped')",
                ("$owner", $"{Environment.MachineName}|{int.MaxValue}|2000-01-01T00:00:00.0000000Z"), ("$request", System.Text.Json.JsonSerializer.Serialize(request, JsonFormat.Options)),
                ("$at", "2025-06-01T11:00:00.0000000+00:00"));
            foreach (var t in request.Plan.Trials)
            {
                Run("INSERT INTO search_trials (search_id, trial, configuration, replicate, seed, config, status) VALUES ('search-old', $trial, $configuration, $replicate, $seed, $config, 'pending')",
                    ("$trial", t.Index), ("$configuration", t.Configuration), ("$replicate", t.Replicate), ("$seed", (long)t.Seed), ("$config", System.Text.Json.JsonSerializer.Serialize(t.Config, JsonFormat.Options)));
            }
            Run("""
                UPDATE search_trials SET status = 'completed', attempts = 1, epochs = 2, best_validation_loss = 0.45, wall_ms = 2000, session_ms = 1900 WHERE trial = 0;
                INSERT INTO search_epochs VALUES ('search-old', 0, 1, 0.5, 0.7, 0.55, 0.68), ('search-old', 0, 2, 0.4, 0.8, 0.45, 0.78);
                INSERT INTO search_decisions VALUES ('search-old', 0, 0, 2, 0.45, 'promoted', 0, 1, 1, '2025-06-01T11:00:05.0000000+00:00');
                """);
        }

        using var runs = SqliteRunStore.Open(path, DateTimeOffset.UtcNow).Unwrap();
        var searches = SearchStore.Open(path).Unwrap();

        var run = runs.Get("run-old")!;
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(7, run.Config!["seed"]!.GetValue<int>());
        Assert.Equal(0.81, run.Metrics!["test"]!["accuracy"]!.GetValue<double>());
        Assert.Equal(["/out/run-old/model"], run.Artifacts);
        Assert.Equal("14,084 rows", Assert.Single(runs.Stages("run-old")).Detail);
        Assert.Equal([0.62, 0.55], runs.Epochs("run-old").Select(e => e.ValidationLoss));
        var search = searches.Load("search-old").Unwrap();
        Assert.Equal("interrupted", search.Status);
        Assert.Equal(request.Plan.Trials, search.Request.Plan.Trials);
        Assert.Equal([TrialStatus.Completed, TrialStatus.Pending, TrialStatus.Pending, TrialStatus.Pending], search.Trials.Select(t => t.Status));
        Assert.Equal([0.55, 0.45], search.Trials[0].History.Select(h => h.ValidationLoss));
        Assert.All(search.Trials, t => Assert.Null(t.Node));
        Assert.Equal(RungOutcome.Promoted, Assert.Single(search.Decisions).Outcome);
        Assert.Equal(0, searches.Requeues("search-old").GetValueOrDefault(0));
        Assert.Equal(["search-old"], searches.List(10).Select(l => l.Id));

        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            object? Scalar(string sql)
            {
                using var command = connection.CreateCommand();
                command.CommandText = sql;
                return command.ExecuteScalar();
            }
            // One scheme now: both parts' versions in schema_versions, the searches' own table gone, user_version a fence.
            Assert.Equal((long)SqliteRunStore.SchemaVersion, Scalar("SELECT version FROM schema_versions WHERE part = 'runs'"));
            Assert.Equal((long)SearchStore.SchemaVersion, Scalar("SELECT version FROM schema_versions WHERE part = 'searches'"));
            Assert.Equal(2L, Scalar("SELECT COUNT(*) FROM schema_versions"));
            Assert.Equal(0L, Scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'search_schema'"));
            Assert.Equal((long)StoreDatabase.OlderBuildsRefuse, Scalar("PRAGMA user_version"));
            Assert.Equal(1L, Scalar("SELECT COUNT(*) FROM pragma_table_info('runs') WHERE name = 'owner'"));
            Assert.Equal(3L, Scalar("SELECT COUNT(*) FROM pragma_table_info('search_trials') WHERE name IN ('node', 'requeues', 'requeue_reason')"));
        }

        // The migrated file takes what the current code writes: a new run with its owner, a trial on a node.
        runs.RunQueued("run-new", new Churn.Actors.RunSettings(Churn.Actors.RunMode.Prepare, new Churn.Actors.RunSpec("data.csv", "out/new", "churn", 1, BalanceStrategy.Random,
            SplitRatios.Default, false, DeviceChoice.Cpu, ModelConfig.Default, LogFeatureNames: [])), DateTimeOffset.UtcNow);
        searches.TrialStarted("search-old", request.Plan.Trials[1], DateTimeOffset.UtcNow, "node-a");
        Assert.Equal(["run-new", "run-old"], runs.List(null, 10).Select(r => r.Id));
        Assert.Equal("node-a", searches.Load("search-old").Unwrap().Trials[1].Node);
        using var reopened = SqliteRunStore.Open(path, DateTimeOffset.UtcNow).Unwrap();
        Assert.Equal(RunStatus.Queued, reopened.Get("run-new")!.Status);
    }

    /// <summary>
    /// The file exactly as the build before the one scheme wrote it, at the current layouts: the runs' version in
    /// <c>user_version</c>, the searches' in a table of their own. Opened search store first (the order a second process
    /// may take), both parts keep their data and their versions move into <c>schema_versions</c>.
    /// </summary>
    [Fact]
    public void A_database_versioned_by_the_older_two_schemes_opens_with_one_scheme_and_keeps_its_runs_and_searches()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "churn.db");
        var request = Request("search-two-schemes");
        using (var runs = SqliteRunStore.Open(path, DateTimeOffset.UtcNow).Unwrap())
        {
            runs.RunQueued("run-kept", new Churn.Actors.RunSettings(Churn.Actors.RunMode.Prepare, new Churn.Actors.RunSpec("data.csv", "out/kept", "churn", 1, BalanceStrategy.Random,
                SplitRatios.Default, false, DeviceChoice.Cpu, ModelConfig.Default, LogFeatureNames: [])), DateTimeOffset.UtcNow);
            var searches = SearchStore.Open(path).Unwrap();
            searches.SearchStarted(request, DateTimeOffset.UtcNow);
            searches.TrialStarted(request.SearchId, request.Plan.Trials[0], DateTimeOffset.UtcNow, "node-a");
            searches.EpochRecorded(request.SearchId, 0, new EpochMetrics(1, 0.5, 0.7, 0.55, 0.68, 0.25));
        }
        SqliteConnection.ClearAllPools();
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            // What the older code paths left: PRAGMA user_version = N after the run migrations, and the search tables'
            // own "CREATE TABLE IF NOT EXISTS search_schema (version INTEGER NOT NULL)" with its one row.
            Execute(connection, $"""
                DROP TABLE schema_versions;
                PRAGMA user_version = {SqliteRunStore.SchemaVersion};
                CREATE TABLE IF NOT EXISTS search_schema (version INTEGER NOT NULL);
                INSERT INTO search_schema (version) VALUES ({SearchStore.SchemaVersion});
                """);
        }

        var reopened = SearchStore.Open(path).Unwrap();
        using var runsAgain = SqliteRunStore.Open(path, DateTimeOffset.UtcNow).Unwrap();

        Assert.Contains(runsAgain.Get("run-kept")!.Status, new[] { RunStatus.Queued, RunStatus.Interrupted });
        var search = reopened.Load(request.SearchId).Unwrap();
        Assert.Equal("node-a", search.Trials[0].Node);
        Assert.Equal(0.25, search.Trials[0].History[0].CalibratedLoss);
        Assert.Equal(SqliteRunStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), Sql(path, "SELECT version FROM schema_versions WHERE part = 'runs'"));
        Assert.Equal(SearchStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), Sql(path, "SELECT version FROM schema_versions WHERE part = 'searches'"));
        Assert.Null(Sql(path, "SELECT name FROM sqlite_master WHERE name = 'search_schema'"));
        Assert.Equal(StoreDatabase.OlderBuildsRefuse.ToString(System.Globalization.CultureInfo.InvariantCulture), Sql(path, "PRAGMA user_version"));
    }

    /// <summary>Raw SQL on a store file, as an older version of the product wrote it.</summary>
    private static void Execute(SqliteConnection connection, string sql, params (string Name, object Value)[] values)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in values)
        {
            command.Parameters.AddWithValue(name, value);
        }
        command.ExecuteNonQuery();
    }
}
