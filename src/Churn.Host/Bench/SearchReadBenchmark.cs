using System.Diagnostics;
using System.Globalization;
using Churn.Actors.Messages;
using Churn.Host.Api;
using Churn.Host.Configuration;
using Churn.Host.Dashboard;
using Churn.Host.Search;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using Churn.Numerics.Search;
using Microsoft.Data.Sqlite;

namespace Churn.Host.Bench;

/// <summary>
/// <c>churn bench search-read</c>: what <c>GET /searches/{id}</c> and the dashboard's curves chart cost for the
/// largest search a host allows (by default <c>host.limits.maxTrialsPerSearch</c> trials of <c>host.limits.maxEpochs</c>
/// epochs each). Side by side, interleaved: each answer built from every epoch row (<see cref="SearchStore.Load"/>, as
/// the endpoints did) and as now: the view from the per-trial summaries the store keeps as epochs are recorded
/// (<see cref="SearchStore.Overview"/>), the chart from those summaries and the epochs of only the trials it draws; both
/// ways must give identical answers. Medians of wall time and of bytes allocated. Then what keeping the summaries costs
/// each epoch written (<see cref="CompareWrites"/>).
/// </summary>
internal static class SearchReadBenchmark
{
    public static int Run(string[] args)
    {
        var limits = ChurnConfig.Load(null).Unwrap().Host.Limits;
        int Arg(string name, int fallback) =>
            Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        var trials = Arg("--trials", limits.MaxTrialsPerSearch);
        var epochs = Arg("--epochs", limits.MaxEpochs);
        var repeats = Arg("--repeats", 5);

        var dir = Path.Combine(Path.GetTempPath(), $"churn-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var path = Path.Combine(dir, "churn.db");
            var id = Fill(path, trials, epochs);
            var store = SearchStore.Open(path).Unwrap();
            Console.WriteLine($"search-read: {trials} trials x {epochs} epochs = {(long)trials * epochs:N0} epoch rows, store {new FileInfo(path).Length / 1e6:F0} MB (+ WAL)");

            var read = Math.Max(
                Compare("GET /searches/{id}", repeats,
                    () => Answer(FromEpochs(store.Load(id).Unwrap())),
                    () => Answer(store.Overview(id).Unwrap())),
                Compare("GET /searches/{id}/charts/curves.svg", repeats,
                    () =>
                    {
                        var s = store.Load(id).Unwrap();
                        return Unnumbered(DashboardCharts.SearchCurves(Leaderboard.Rank(s.Trials, s.Request.Plan.Seeds, s.Request.Plan.Criterion), s.Trials));
                    },
                    () => Unnumbered(DashboardCharts.SearchCurves(store.Overview(id).Unwrap(), t => store.Histories(id, t)))));
            CompareWrites(path, store, id, repeats, epochs);
            return read;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>One answer built both ways, interleaved; 0 when both give the same answer, 1 (and why) when not.</summary>
    private static int Compare(string what, int repeats, Func<string> before, Func<string> after)
    {
        var timesBefore = new List<(double Ms, long Bytes)>();
        var timesAfter = new List<(double Ms, long Bytes)>();
        string? answerBefore = null, answerAfter = null;
        for (var r = 0; r < repeats; r++)
        {
            // Interleaved, so that load on a shared machine hits both alike.
            timesBefore.Add(Measure(() => answerBefore = before()));
            timesAfter.Add(Measure(() => answerAfter = after()));
        }
        if (answerBefore != answerAfter)
        {
            Console.Error.WriteLine($"search-read: {what}: the two answers differ");
            return 1;
        }
        var (tb, ta) = (Median(timesBefore.Select(b => b.Ms)), Median(timesAfter.Select(a => a.Ms)));
        var (mb, ma) = (Median(timesBefore.Select(b => (double)b.Bytes)), Median(timesAfter.Select(a => (double)a.Bytes)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: answer {answerAfter!.Length / 1e3:F0} KB, identical both ways; medians of {repeats}:"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  from every epoch (before): {tb,9:F1} ms {mb / 1e6,9:F1} MB allocated"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  as it is now     (after):  {ta,9:F1} ms {ma / 1e6,9:F1} MB allocated"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio before/after: time {tb / ta:F1}x, allocation {mb / ma:F1}x"));
        return 0;
    }

    /// <summary>
    /// What the summaries cost where they are made: recording an epoch as the store does now (<see cref="SearchStore.EpochRecorded"/>:
    /// the trial's summary read, the epoch inserted, the summary folded and written, one transaction) against the single
    /// INSERT it was before (the same statement on a pooled connection with the store's pragmas, as its writes were).
    /// Interleaved blocks of 200 epochs appended to two trials of the filled search; medians of the blocks' time per epoch.
    /// </summary>
    private static void CompareWrites(string path, SearchStore store, string id, int repeats, int epochs)
    {
        const int block = 200;
        var connection = StoreDatabase.ConnectionString(Path.GetFullPath(path));
        var next = epochs;
        EpochMetrics Epoch(int e) => new(e, 0.5, 0.75, 0.45 - (e * 1e-7), 0.76, 0.27);
        void Insert(EpochMetrics m)
        {
            using var c = StoreDatabase.Connect(connection);
            using var command = c.CreateCommand();
            command.CommandText = """
                INSERT OR REPLACE INTO search_epochs (search_id, trial, epoch, train_loss, train_accuracy, validation_loss, validation_accuracy, calibrated_loss)
                VALUES ($id, 1, $epoch, $tl, $ta, $vl, $va, $cl)
                """;
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$epoch", m.Epoch);
            command.Parameters.AddWithValue("$tl", m.TrainLoss);
            command.Parameters.AddWithValue("$ta", m.TrainAccuracy);
            command.Parameters.AddWithValue("$vl", m.ValidationLoss);
            command.Parameters.AddWithValue("$va", m.ValidationAccuracy);
            command.Parameters.AddWithValue("$cl", m.CalibratedLoss);
            command.ExecuteNonQuery();
        }
        var before = new List<double>();
        var after = new List<double>();
        for (var r = 0; r < repeats; r++)
        {
            var first = next + 1;
            before.Add(Measure(() =>
            {
                for (var e = first; e < first + block; e++)
                {
                    Insert(Epoch(e));
                }
            }).Ms / block);
            after.Add(Measure(() =>
            {
                for (var e = first; e < first + block; e++)
                {
                    store.EpochRecorded(id, 0, Epoch(e));
                }
            }).Ms / block);
            next += block;
        }
        var (tb, ta) = (Median(before), Median(after));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"recording an epoch: blocks of {block} appended to a trial of {epochs} epochs; medians of {repeats}:"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  one INSERT (before):              {tb,7:F3} ms per epoch"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  with the summary folded (after):  {ta,7:F3} ms per epoch"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio after/before: {ta / tb:F2}x"));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>A chart without its clip paths' ids, which count the charts drawn so far in the process.</summary>
    private static string Unnumbered(string svg) => System.Text.RegularExpressions.Regex.Replace(svg, "cl_[0-9A-Za-z]+", "cl");

    private static (double Ms, long Bytes) Measure(Action work)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var bytes = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        work();
        return (clock.Elapsed.TotalMilliseconds, GC.GetTotalAllocatedBytes(precise: true) - bytes);
    }

    private static string Answer(SearchOverview search) => System.Text.Json.JsonSerializer.Serialize(SearchApi.View(search, null), JsonFormat.Options);

    /// <summary>The summaries computed from every epoch in memory: what the endpoint used to do.</summary>
    private static SearchOverview FromEpochs(StoredSearch s) =>
        new(s.Request, s.Status, s.CreatedAt, s.UpdatedAt, [.. s.Trials.Select(TrialSummary.Of)], s.Decisions, s.Summary, s.Reason, s.Owner);

    /// <summary>
    /// A search as the journal records one, its trials all completed after <paramref name="epochs"/> epochs. The epoch rows
    /// go in by one prepared statement (a transaction per epoch, as a search writes them, would take minutes), then the
    /// store folds every trial's summary from them with the code its migration uses.
    /// </summary>
    private static string Fill(string path, int trials, int epochs)
    {
        var config = ChurnConfig.Load(null).Unwrap();
        var definition = SpaceFile.Load(SearchPlanner.DefaultSpacePath, (string?)null).Unwrap() with { Trials = trials, Seeds = 1, Scheduler = SchedulerKind.None };
        var run = config.Run with
        {
            Data = ChurnConfig.ResolveData(config.Run.Data),
            Out = Path.GetDirectoryName(path)!,
            Seed = 0,
            Balance = BalanceStrategy.Random,
            Split = SplitRatios.Default,
            Stratify = false,
            Device = DeviceChoice.Cpu,
            LogFeatureNames = [],
        };
        var request = new SearchRequest($"bench-{Guid.NewGuid():N}"[..20], run, 1, SchedulerKind.None, Sampler.Plan(definition, 0));
        var store = SearchStore.Open(path).Unwrap();
        var at = DateTimeOffset.UtcNow;
        store.SearchStarted(request, at);
        using var connection = StoreDatabase.Connect(StoreDatabase.ConnectionString(Path.GetFullPath(path)));
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO search_epochs (search_id, trial, epoch, train_loss, train_accuracy, validation_loss, validation_accuracy, calibrated_loss)
            VALUES ($id, $trial, $epoch, $tl, $ta, $vl, $va, $cl)
            """;
        insert.Parameters.AddWithValue("$id", request.SearchId);
        var trial = insert.Parameters.Add("$trial", SqliteType.Integer);
        var epoch = insert.Parameters.Add("$epoch", SqliteType.Integer);
        var tl = insert.Parameters.Add("$tl", SqliteType.Real);
        var ta = insert.Parameters.Add("$ta", SqliteType.Real);
        var vl = insert.Parameters.Add("$vl", SqliteType.Real);
        var va = insert.Parameters.Add("$va", SqliteType.Real);
        var cl = insert.Parameters.Add("$cl", SqliteType.Real);
        foreach (var t in request.Plan.Trials)
        {
            for (var e = 1; e <= epochs; e++)
            {
                // A loss curve with its minimum somewhere inside, different for every trial.
                var x = (double)e / epochs;
                (trial.Value, epoch.Value) = (t.Index, e);
                (tl.Value, ta.Value) = (0.6 - (0.2 * x), 0.7 + (0.1 * x));
                (vl.Value, va.Value) = (0.4 + ((x - ((t.Index % 97) / 97.0)) * (x - ((t.Index % 97) / 97.0))) + (t.Index * 1e-7), 0.75 + (0.05 * x));
                cl.Value = (double)vl.Value * 0.6;
                insert.ExecuteNonQuery();
            }
        }
        transaction.Commit();
        store.Summarize(request.SearchId);
        foreach (var t in request.Plan.Trials)
        {
            store.TrialEnded(request.SearchId, new TrialRecord(t, TrialStatus.Completed, [], null, TimeSpan.FromSeconds(epochs), TimeSpan.FromSeconds(epochs)), at);
        }
        store.SearchEnded(request.SearchId, "completed", null, null, at);
        return request.SearchId;
    }
}
