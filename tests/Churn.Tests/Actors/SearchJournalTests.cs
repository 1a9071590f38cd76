using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Hosting;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Actors.Search;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using Churn.Numerics.Search;

namespace Churn.Tests.Actors;

/// <summary>
/// A search's journal as the searches part writes it: off the coordinator's thread, in order, and complete (its end
/// included) by the time the search's outcome is heard. Trials are scripted (no torch); the journal is held in memory
/// and can be made to wait, as a slow store would.
/// </summary>
public class SearchJournalTests(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly RecordingJournal _journal = new();

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.WithChurn(new ChurnParts { Search = new SearchPart(_journal, (context, run) => context.ActorOf(Props.Create(() => new EpochsTrial(run)))) });

    private static SearchRequest Request(string id, int parallel)
    {
        var definition = SpaceFile.Parse("""
            {
              "sampling": "random", "trials": 3, "seeds": 2, "maxEpochs": 3, "minDelta": 0.0001,
              "scheduler": "none", "asha": { "rungs": [2, 4], "reductionFactor": 3 },
              "space": {
                "depth": [1, 2], "width": [8, 16, 32], "activation": ["relu", "tanh"], "learningRate": { "min": 0.001, "max": 0.01, "scale": "log" },
                "batchSize": [100, 200], "patience": [5], "dropout": [0, 0.1], "weightDecay": [0]
              }
            }
            """, "journal.json").Unwrap();
        return new(id, new RunSpec(TestPaths.BundledData, TestPaths.NewTempDirectory(), Preparation.DefaultPrefix, 0, BalanceStrategy.First, SplitRatios.Default, false,
            DeviceChoice.Cpu, ModelConfig.Default, LogFeatureNames: []), parallel, definition.Scheduler, Sampler.Plan(definition, 0));
    }

    [Fact]
    public async Task A_searchs_journal_is_complete_and_in_order_when_its_outcome_is_heard()
    {
        _journal.Delay = TimeSpan.FromMilliseconds(15);
        var request = Request("journal-complete", parallel: 2);
        var listener = CreateTestProbe();
        (await ActorRegistry.GetAsync<SearchesActor>()).Tell(new StartSearch(request, listener.Ref));

        await listener.FishForMessageAsync(m => m is SearchCompleted or SearchCancelled or SearchFailed, Patience);

        // Nothing arrives after the outcome: what is there now is the whole journal.
        var entries = _journal.Entries.ToList();
        Assert.Equal("started journal-complete", entries[0]);
        Assert.Equal("ended journal-complete completed", entries[^1]);
        foreach (var trial in request.Plan.Trials.Select(t => t.Index))
        {
            var mine = entries.Where(e => e.EndsWith($" trial {trial}", StringComparison.Ordinal) || e.Contains($" trial {trial} ", StringComparison.Ordinal)).ToList();
            Assert.Equal(["trial-started", "epoch 1", "epoch 2", "epoch 3", "trial-ended"], mine.Select(e => e.Split(" trial ")[0]));
        }
        Assert.Equal(2 + (request.Plan.Trials.Length * 5), entries.Count);
    }

    [Fact]
    public async Task A_slow_journal_write_does_not_hold_up_the_coordinator()
    {
        using var gate = new ManualResetEventSlim(false);
        _journal.Gate = gate;
        var listener = CreateTestProbe();
        var searches = await ActorRegistry.GetAsync<SearchesActor>();
        searches.Tell(new StartSearch(Request("journal-slow", parallel: 2), listener.Ref));
        await listener.FishForMessageAsync(m => m is SearchTrialEpoch, Patience);

        // The first epoch's write is stuck in the store; the coordinator still answers at once.
        var asker = CreateTestProbe();
        searches.Tell(new GetSearch("journal-slow", asker.Ref));
        var snapshot = await asker.ExpectMsgAsync<SearchSnapshot>(TimeSpan.FromSeconds(10));
        Assert.Equal("journal-slow", snapshot.SearchId);
        Assert.DoesNotContain(_journal.Entries, e => e.StartsWith("ended", StringComparison.Ordinal));

        // The trials end meanwhile (their epochs are scripted), but the search is not over until its journal is written.
        await Assert.ThrowsAnyAsync<Exception>(async () => await listener.FishForMessageAsync(m => m is SearchCompleted or SearchCancelled or SearchFailed, TimeSpan.FromSeconds(3)));

        gate.Set();
        var outcome = await listener.FishForMessageAsync(m => m is SearchCompleted or SearchCancelled or SearchFailed, Patience);
        Assert.IsType<SearchCompleted>(outcome);
        Assert.Equal("ended journal-slow completed", _journal.Entries.Last());
    }

    [Fact]
    public async Task The_journal_queue_writes_in_order_and_a_stop_waits_for_what_was_queued_before_it()
    {
        var journal = new RecordingJournal { Delay = TimeSpan.FromMilliseconds(2) };
        var failures = new ConcurrentQueue<Exception>();
        var queue = new SearchJournalQueue(journal, failures.Enqueue);
        for (var epoch = 1; epoch <= 40; epoch++)
        {
            var metrics = new EpochMetrics(epoch, 0.5, 0.7, 0.5, 0.7);
            queue.Write(j => j.EpochRecorded("s", 0, metrics));
        }
        queue.Write(_ => throw new InvalidOperationException("the disk is full"));
        var drained = queue.Drained();
        queue.Write(j => j.SearchEnded("s", "completed", null, null, DateTimeOffset.UnixEpoch));

        await drained.WaitAsync(Patience);
        Assert.Equal(40, journal.Entries.Count(e => e.StartsWith("epoch", StringComparison.Ordinal)));
        queue.Dispose();

        Assert.Equal([.. Enumerable.Range(1, 40).Select(e => $"epoch {e} trial 0"), "ended s completed"], journal.Entries);
        Assert.Equal("the disk is full", Assert.Single(failures).Message);
        queue.Write(j => j.SearchResumed("s", 1, DateTimeOffset.UnixEpoch));
        Assert.Equal(41, journal.Entries.Count);
    }

    /// <summary>Keeps each record as a line; a write can be made slow, or wait at a gate, as a busy store's would.</summary>
    private sealed class RecordingJournal : ISearchJournal
    {
        public ConcurrentQueue<string> Entries { get; } = new();

        public TimeSpan Delay { get; set; }

        public ManualResetEventSlim? Gate { get; set; }

        public void SearchStarted(SearchRequest request, DateTimeOffset at) => Entries.Enqueue($"started {request.SearchId}");

        public void SearchResumed(string searchId, int parallel, DateTimeOffset at) => Entries.Enqueue($"resumed {searchId}");

        public void TrialStarted(string searchId, TrialSpec trial, DateTimeOffset at, string? node = null) => Entries.Enqueue($"trial-started trial {trial.Index}");

        public void TrialRequeued(string searchId, int trial, string reason, DateTimeOffset at) => Entries.Enqueue($"requeued trial {trial}");

        public void EpochRecorded(string searchId, int trial, EpochMetrics metrics)
        {
            Gate?.Wait(Patience);
            Thread.Sleep(Delay);
            Entries.Enqueue($"epoch {metrics.Epoch} trial {trial}");
        }

        public void TrialEnded(string searchId, TrialRecord record, DateTimeOffset at) => Entries.Enqueue($"trial-ended trial {record.Spec.Index}");

        public void DecisionRecorded(string searchId, RungDecision decision, DateTimeOffset at) => Entries.Enqueue($"decision {decision.Configuration}");

        public void SearchEnded(string searchId, string status, SearchSummary? summary, string? reason, DateTimeOffset at) => Entries.Enqueue($"ended {searchId} {status}");
    }

    /// <summary>A trial without torch: its epochs, back to back, then its completion.</summary>
    private sealed class EpochsTrial : ReceiveActor
    {
        public EpochsTrial(RunTrial run)
        {
            var index = run.Trial.Index;
            for (var epoch = 1; epoch <= run.Trial.Config.MaxEpochs; epoch++)
            {
                var loss = 0.5 + (0.01 * index) - (0.01 * epoch);
                run.ReplyTo.Tell(new TrialProtocol.EpochDone(index, new EpochMetrics(epoch, loss, 0.8, loss, 0.8)));
            }
            run.ReplyTo.Tell(new TrialProtocol.Completed(index, TimeSpan.Zero, TimeSpan.Zero));
            Context.Stop(Self);
        }
    }
}
