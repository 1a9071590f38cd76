using Akka.Actor;
using Akka.Hosting;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Actors.Search;
using Churn.Actors.Training;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using Churn.Numerics.Search;

namespace Churn.Tests.Actors;

/// <summary>
/// The search's actors wired as the host wires them (without the runs actor, so no winner is trained), driven with
/// search messages; trials are real TorchSharp trainings on the bundled data unless a test puts a scripted trial in place.
/// </summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public class SearchActorTests(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private Func<IUntypedActorContext, RunTrial, IActorRef>? _trials;

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.WithChurn(new ChurnParts { Search = new SearchPart(NoSearchJournal.Instance, (context, run) => (_trials ?? ChurnActorsSetup.DefaultTrial)(context, run)) });

    private static SearchDefinition Tiny(int trials = 3, int seeds = 2, int maxEpochs = 4, SchedulerKind scheduler = SchedulerKind.None) =>
        SpaceFile.Parse($$"""
            {
              "sampling": "random", "trials": {{trials}}, "seeds": {{seeds}}, "maxEpochs": {{maxEpochs}}, "minDelta": 0.0001,
              "scheduler": "{{scheduler.ToString().ToLowerInvariant()}}", "asha": { "rungs": [2, 4], "reductionFactor": 3 },
              "space": {
                "depth": [1, 2], "width": [8, 16, 32], "activation": ["relu", "tanh"], "learningRate": { "min": 0.001, "max": 0.01, "scale": "log" },
                "batchSize": [100, 200], "patience": [2], "dropout": [0, 0.1], "weightDecay": [0]
              }
            }
            """, "tiny.json").Unwrap();

    private static SearchRequest Request(string id, SearchDefinition definition, int parallel, ulong seed = 0) =>
        new(id, new RunSpec(TestPaths.BundledData, TestPaths.NewTempDirectory(), Preparation.DefaultPrefix, seed, BalanceStrategy.First, SplitRatios.Default, false,
            DeviceChoice.Cpu, ModelConfig.Default, LogFeatureNames: []), parallel, definition.Scheduler, Sampler.Plan(definition, seed));

    private async Task<(ISearchEvent Outcome, List<ISearchEvent> Events)> SearchToEnd(SearchRequest request, Akka.TestKit.TestProbe listener)
    {
        var searches = await ActorRegistry.GetAsync<SearchesActor>();
        searches.Tell(new StartSearch(request, listener.Ref));
        var events = new List<ISearchEvent>();
        var outcome = await listener.FishForMessageAsync(m =>
        {
            events.Add((ISearchEvent)m);
            return m is SearchCompleted or SearchCancelled or SearchFailed;
        }, Patience);
        return ((ISearchEvent)outcome, events);
    }

    [Fact]
    public async Task The_same_search_gives_the_same_leaderboard_at_one_and_two_trials_at_a_time()
    {
        var definition = Tiny();
        var (one, _) = await SearchToEnd(Request("p1", definition, parallel: 1), CreateTestProbe());
        var (two, events) = await SearchToEnd(Request("p2", definition, parallel: 2), CreateTestProbe());

        var first = Assert.IsType<SearchCompleted>(one).Summary;
        var second = Assert.IsType<SearchCompleted>(two).Summary;
        Assert.Equal(6, first.Trials);
        Assert.Equal(first.Leaderboard, second.Leaderboard);
        Assert.Equal(first.EpochsSpent, second.EpochsSpent);
        Assert.All(first.Leaderboard, r => Assert.Equal(ConfigurationOutcome.Complete, r.Outcome));
        Assert.Equal(6, events.OfType<SearchTrialEnded>().Count());
        Assert.Null(second.WinnerTest);
    }

    [Fact]
    public async Task A_search_trains_and_ranks_plr_trials_on_the_calibrated_loss()
    {
        var definition = Tiny(trials: 2, seeds: 1, maxEpochs: 2);
        definition = definition with { Space = definition.Space with { Kind = [ModelKind.Plr] } };
        var request = Request("plr", definition, parallel: 2);

        var (outcome, _) = await SearchToEnd(request, CreateTestProbe());

        var summary = Assert.IsType<SearchCompleted>(outcome).Summary;
        Assert.Equal(2, summary.Leaderboard.Length);
        Assert.All(summary.Leaderboard, r =>
        {
            Assert.Equal(ConfigurationOutcome.Complete, r.Outcome);
            Assert.Equal(ModelKind.Plr, r.Config.Kind);
            Assert.True(double.IsFinite(r.MeanCalibratedLoss), $"configuration {r.Configuration + 1} has no calibrated loss");
        });
    }

    [Fact]
    public async Task A_search_that_chooses_the_data_prepares_each_choice_once_and_ranks_them_on_one_yardstick()
    {
        var definition = Tiny(trials: 4, seeds: 1, maxEpochs: 2);
        definition = definition with { Space = definition.Space with { Balance = [BalanceStrategy.First, BalanceStrategy.None], LogFeatures = [[], FeatureTransform.Skewed] } };
        var request = Request("data", definition, parallel: 2);
        Assert.True(request.Plan.DataChoices.Length > 1);

        var (outcome, events) = await SearchToEnd(request, CreateTestProbe());

        var summary = Assert.IsType<SearchCompleted>(outcome).Summary;
        var ready = Assert.Single(events.OfType<SearchDataReady>());
        Assert.Contains($"{request.Plan.DataChoices.Length} preparations", ready.Detail);
        // The whole file in the natural mix (balance none) and the 50/50 sample of the recipe (first) are different splits.
        var trainRows = System.Text.RegularExpressions.Regex.Matches(ready.Detail, @"(\d+)/\d+/\d+ rows").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(request.Plan.DataChoices.Length, trainRows.Count);
        Assert.Contains(3579, trainRows);
        Assert.Contains(trainRows, r => r > 10_000);
        Assert.All(summary.Leaderboard, r =>
        {
            Assert.Equal(ConfigurationOutcome.Complete, r.Outcome);
            Assert.NotNull(r.Data);
            Assert.True(double.IsFinite(r.MeanCalibratedLoss), $"configuration {r.Configuration + 1} has no calibrated loss");
            Assert.Equal(r.MeanCalibratedLoss, r.Score);
        });
        Assert.Equal(summary.Leaderboard.OrderBy(r => r.MeanCalibratedLoss).Select(r => r.Configuration), summary.Leaderboard.Select(r => r.Configuration));
    }

    [Fact]
    public async Task A_failing_trial_is_recorded_with_its_reason_and_the_others_complete()
    {
        SessionFactory broken = (_, _, _, _, _, _, _, _) => Result.Fail<TrainingSession>("injected failure for this trial");
        _trials = (context, run) => run.Trial.Index == 2
            ? context.ActorOf(TrialActor.Props(run, c => c.ActorOf(TrainerActor.Props(broken, Devices.Probe), "trainer")), "trial-broken")
            : ChurnActorsSetup.DefaultTrial(context, run);

        var (outcome, events) = await SearchToEnd(Request("failing", Tiny(), parallel: 2), CreateTestProbe());

        var summary = Assert.IsType<SearchCompleted>(outcome).Summary;
        var failed = Assert.Single(events.OfType<SearchTrialEnded>(), e => e.Record.Status == TrialStatus.Failed).Record;
        Assert.Equal(2, failed.Spec.Index);
        Assert.Contains("injected failure", failed.Reason);
        var row = summary.Leaderboard.Single(r => r.Configuration == failed.Spec.Configuration);
        Assert.Equal(ConfigurationOutcome.Failed, row.Outcome);
        Assert.Contains("injected failure", row.Reason);
        Assert.Equal(2, summary.Leaderboard.Count(r => r.Outcome == ConfigurationOutcome.Complete));
    }

    [Fact]
    public async Task A_trial_actor_that_crashes_fails_only_that_trial()
    {
        _trials = (context, run) => run.Trial.Index == 0
            ? context.ActorOf(Props.Create(() => new CrashingTrial()), "trial-crashing")
            : ChurnActorsSetup.DefaultTrial(context, run);

        var (outcome, _) = await SearchToEnd(Request("crashing", Tiny(trials: 2, seeds: 1), parallel: 2), CreateTestProbe());

        var summary = Assert.IsType<SearchCompleted>(outcome).Summary;
        Assert.Equal([ConfigurationOutcome.Complete, ConfigurationOutcome.Failed], summary.Leaderboard.Select(r => r.Outcome));
        Assert.Contains("stopped without an outcome", summary.Leaderboard[1].Reason);
    }

    [Fact]
    public async Task Cancelling_stops_every_running_trial_between_epochs_starts_no_other_and_keeps_what_finished()
    {
        var endless = Tiny(trials: 4, seeds: 1, maxEpochs: 10_000) is var d ? d with { Space = d.Space with { Patience = new Values.Choice([10_000]) } } : d;
        var listener = CreateTestProbe();
        var searches = await ActorRegistry.GetAsync<SearchesActor>();
        searches.Tell(new StartSearch(Request("cancel", endless, parallel: 2), listener.Ref));
        var started = new HashSet<int>();
        while (started.Count < 2)
        {
            started.Add(((SearchTrialStarted)await listener.FishForMessageAsync(m => m is SearchTrialStarted, Patience)).Trial.Index);
        }
        await listener.FishForMessageAsync(m => m is SearchTrialEpoch, Patience);

        searches.Tell(new CancelSearch("cancel"));
        var ended = new List<TrialRecord>();
        ISearchEvent? outcome = null;
        while (outcome is null)
        {
            // The waits guard against a hang only: how soon trials stop is a benchmark's business, not this test's.
            switch (await listener.FishForMessageAsync(m => m is SearchTrialStarted or SearchTrialEnded or SearchCancelled or SearchCompleted or SearchFailed, Patience))
            {
                case SearchTrialStarted s:
                    started.Add(s.Trial.Index);
                    break;
                case SearchTrialEnded e:
                    ended.Add(e.Record);
                    break;
                case ISearchEvent e:
                    outcome = e;
                    break;
            }
        }

        // The two trials that ran ended cancelled with the epochs they had trained (fewer than they were allowed),
        // and the two waiting were never started.
        Assert.Equal(started.Order(), ended.Select(r => r.Spec.Index).Order());
        Assert.Equal(2, started.Count);
        Assert.All(ended, r => Assert.Equal(TrialStatus.Cancelled, r.Status));
        Assert.All(ended, r => Assert.InRange(r.History.Length, 1, 9_999));
        Assert.All(ended, r => Assert.Equal(Enumerable.Range(1, r.History.Length), r.History.Select(h => h.Epoch)));
        var summary = Assert.IsType<SearchCancelled>(outcome).Summary;
        Assert.Equal("cancelled", summary.Status);
        Assert.Contains(summary.Files, f => f.EndsWith(SearchFiles.LeaderboardFile, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Asha_decisions_reach_the_trials_and_are_the_same_whatever_the_parallelism(int parallel)
    {
        _trials = (context, run) => context.ActorOf(Props.Create(() => new ScriptedTrial(run)), $"scripted-{run.Trial.Index}");
        var definition = Tiny(trials: 9, seeds: 2, maxEpochs: 8, scheduler: SchedulerKind.Asha);

        var (outcome, events) = await SearchToEnd(Request($"asha-{parallel}", definition, parallel), CreateTestProbe());

        var summary = Assert.IsType<SearchCompleted>(outcome).Summary;
        var decisions = events.OfType<SearchRungDecided>().Select(e => e.Decision).OrderBy(d => d.Rung).ThenBy(d => d.Configuration).ToList();
        Assert.Contains(decisions, d => d.Outcome == RungOutcome.Stopped);
        Assert.All(summary.Leaderboard.Where(r => r.Outcome == ConfigurationOutcome.Pruned), r => Assert.Contains("scheduler", r.Reason));
        var (reference, referenceEvents) = await SearchToEnd(Request($"asha-ref-{parallel}", definition, parallel: 2), CreateTestProbe());
        Assert.Equal(Assert.IsType<SearchCompleted>(reference).Summary.Leaderboard, summary.Leaderboard);
        Assert.Equal(referenceEvents.OfType<SearchRungDecided>().Select(e => e.Decision).OrderBy(d => d.Rung).ThenBy(d => d.Configuration), decisions);
    }

    /// <summary>A trial actor that breaks as soon as it starts.</summary>
    private sealed class CrashingTrial : ReceiveActor
    {
        protected override void PreStart() => throw new InvalidOperationException("trial actor bug");
    }

    /// <summary>
    /// Plays the trial protocol without torch: losses are a fixed function of configuration, seed and epoch, and it pauses
    /// at the rungs like a real trial. Its epochs take a few milliseconds of varying length so trials finish out of order.
    /// </summary>
    private sealed class ScriptedTrial : ReceiveActor
    {
        private sealed record Next
        {
            public static readonly Next Instance = new();
        }

        private readonly RunTrial _run;
        private int _epoch;

        public ScriptedTrial(RunTrial run)
        {
            _run = run;
            Receive<Next>(_ => Step());
            Receive<TrialProtocol.Continue>(_ => Self.Tell(Next.Instance));
            Receive<TrialProtocol.Stop>(_ =>
            {
                _run.ReplyTo.Tell(new TrialProtocol.Stopped(Index, TimeSpan.Zero, TimeSpan.Zero));
                Context.Stop(Self);
            });
        }

        private int Index => _run.Trial.Index;

        protected override void PreStart() => Self.Tell(Next.Instance);

        private void Step()
        {
            Thread.Sleep((int)(_run.Trial.Seed % 5));
            _epoch++;
            var t = _run.Trial;
            var loss = 0.3 + (0.03 * ((t.Configuration * 5) % 9)) + (0.01 * t.Replicate) + (0.2 / _epoch);
            _run.ReplyTo.Tell(new TrialProtocol.EpochDone(Index, new EpochMetrics(_epoch, loss, 0.8, loss, 0.8)));
            if (_epoch >= t.Config.MaxEpochs)
            {
                _run.ReplyTo.Tell(new TrialProtocol.Completed(Index, TimeSpan.Zero, TimeSpan.Zero));
                Context.Stop(Self);
            }
            else if (_run.HoldAfter.Contains(_epoch))
            {
                _run.ReplyTo.Tell(new TrialProtocol.Held(Index, _epoch));
            }
            else
            {
                Self.Tell(Next.Instance);
            }
        }
    }
}
