using System.Collections.Immutable;
using Churn.Numerics.Model;
using Churn.Numerics.Search;

namespace Churn.Tests.Search;

/// <summary>
/// The search state machine driven by a simulated set of workers: each trial's losses are a fixed function of its
/// configuration and seed, and the simulation picks which running trial advances next from its own seed, so different
/// parallelism and interleavings can be compared.
/// </summary>
public class SearchStateTests
{
    private const int Configurations = 6;

    private static SearchDefinition Definition(SchedulerKind scheduler, int seeds) =>
        SearchSpaceTests.Definition() with { Trials = Configurations, Seeds = seeds, MaxEpochs = 20, Scheduler = scheduler, Asha = new AshaOptions([2, 6], 3) };

    /// <summary>A loss curve that falls to a floor set by the configuration, then creeps up again (so early stopping ends it).</summary>
    private static double Loss(TrialSpec t, int epoch)
    {
        var floor = 0.3 + (0.05 * ((t.Configuration * 7) % Configurations)) + (0.01 * t.Replicate);
        var turn = 5 + t.Configuration;
        return floor + (0.2 / epoch) + (epoch > turn ? 0.01 * (epoch - turn) : 0);
    }

    private sealed record Worker(TrialSpec Spec, EarlyStopping Stopping, int Epoch, bool Paused);

    /// <summary>Runs a search to the end; returns the final state and every command issued.</summary>
    private static (SearchState State, List<SearchCommand> Commands) Simulate(SchedulerKind scheduler, int parallel, int seeds, int interleaving, Func<TrialSpec, int, double>? loss = null, Func<TrialSpec, int, double>? calibrated = null)
    {
        loss ??= Loss;
        var definition = Definition(scheduler, seeds);
        var state = SearchState.Start(Sampler.Plan(definition, 3), parallel);
        var workers = new Dictionary<int, Worker>();
        var log = new List<SearchCommand>();
        var pick = new Random(interleaving);

        // Commands are carried out in order; a stopped trial's acknowledgement comes back later, as a message would.
        void Carry(ImmutableArray<SearchCommand> commands)
        {
            var queue = new Queue<SearchCommand>(commands);
            while (queue.TryDequeue(out var command))
            {
                log.Add(command);
                switch (command)
                {
                    case SearchCommand.Start s:
                        workers[s.Trial.Index] = new Worker(s.Trial, EarlyStopping.Start(s.Trial.Config.Patience, s.Trial.Config.MinDelta), 0, false);
                        break;
                    case SearchCommand.Resume r:
                        workers[r.Trial] = workers[r.Trial] with { Paused = false };
                        break;
                    case SearchCommand.Stop s:
                        Assert.True(workers.Remove(s.Trial), $"trial {s.Trial} told to stop but not started");
                        (state, var more) = state.Stopped(s.Trial, TimeSpan.Zero, TimeSpan.Zero);
                        foreach (var m in more)
                        {
                            queue.Enqueue(m);
                        }
                        break;
                }
            }
        }

        (state, var first) = state.Schedule();
        Carry(first);
        for (var guard = 0; !state.Finished && guard < 100_000; guard++)
        {
            var active = workers.Values.Where(w => !w.Paused).OrderBy(w => w.Spec.Index).ToList();
            Assert.True(active.Count <= parallel, "more trials training than the search allows");
            Assert.NotEmpty(active);
            var worker = active[pick.Next(active.Count)];
            var epoch = worker.Epoch + 1;
            var value = loss(worker.Spec, epoch);
            if (double.IsNaN(value))
            {
                workers.Remove(worker.Spec.Index);
                (state, var failed) = state.Failed(worker.Spec.Index, "loss became NaN", TimeSpan.Zero, TimeSpan.Zero);
                Carry(failed);
                continue;
            }
            var (stopping, decision) = worker.Stopping.Observe(epoch, value);
            state = state.Epoch(worker.Spec.Index, new EpochMetrics(epoch, value, 0.8, value, 0.8, calibrated?.Invoke(worker.Spec, epoch) ?? double.NaN));
            workers[worker.Spec.Index] = worker with { Stopping = stopping, Epoch = epoch };
            if (decision == StopDecision.Stop || epoch >= worker.Spec.Config.MaxEpochs)
            {
                workers.Remove(worker.Spec.Index);
                (state, var done) = state.Completed(worker.Spec.Index, TimeSpan.Zero, TimeSpan.Zero);
                Carry(done);
            }
            else if (state.Asha?.RungOf(epoch) >= 0)
            {
                workers[worker.Spec.Index] = workers[worker.Spec.Index] with { Paused = true };
                (state, var held) = state.Held(worker.Spec.Index, epoch);
                Carry(held);
            }
        }
        Assert.True(state.Finished);
        return (state, log);
    }

    [Theory]
    [InlineData(SchedulerKind.None, 3)]
    [InlineData(SchedulerKind.Asha, 3)]
    [InlineData(SchedulerKind.Asha, 1)]
    public void The_leaderboard_and_decisions_are_the_same_whatever_the_parallelism_and_interleaving(SchedulerKind scheduler, int seeds)
    {
        var (reference, referenceLog) = Simulate(scheduler, parallel: 1, seeds, interleaving: 0);
        foreach (var (parallel, interleaving) in new[] { (2, 1), (3, 2), (5, 3), (40, 4) })
        {
            var (state, log) = Simulate(scheduler, parallel, seeds, interleaving);
            Assert.Equal(Leaderboard.Rank(reference.Trials, seeds, reference.Criterion), Leaderboard.Rank(state.Trials, seeds, state.Criterion));
            Assert.Equal(referenceLog.OfType<SearchCommand.Record>().OrderBy(d => d.Decision.Rung).ThenBy(d => d.Decision.Configuration),
                log.OfType<SearchCommand.Record>().OrderBy(d => d.Decision.Rung).ThenBy(d => d.Decision.Configuration));
            Assert.Equal(reference.EpochsSpent, state.EpochsSpent);
        }
    }

    [Fact]
    public void Rungs_and_the_winner_follow_the_calibrated_loss_where_it_disagrees_with_the_validation_loss()
    {
        // The calibrated loss orders configurations the other way round from the validation loss.
        static double Calibrated(TrialSpec t, int epoch) => 1.5 - Loss(t, epoch);
        var (byValidation, _) = Simulate(SchedulerKind.Asha, 2, 2, 0);
        var (state, log) = Simulate(SchedulerKind.Asha, 2, 2, 0, calibrated: Calibrated);

        Assert.Equal(SearchCriterion.CalibratedLoss, state.Criterion);
        var decisions = log.OfType<SearchCommand.Record>().Select(r => r.Decision).ToList();
        Assert.NotEmpty(decisions);
        foreach (var d in decisions)
        {
            // Each rung compares the mean calibrated loss at the epoch each seed would keep by then.
            var expected = state.TrialsOf(d.Configuration).Average(t => Calibrated(t.Spec, t.KeptEpochUpTo(d.Epoch)));
            Assert.Equal(expected, d.Value, 12);
        }
        var winner = Leaderboard.Best(Leaderboard.Rank(state.Trials, 2, state.Criterion))!;
        var validationWinner = Leaderboard.Best(Leaderboard.Rank(byValidation.Trials, 2, byValidation.Criterion))!;
        Assert.NotEqual(validationWinner.Configuration, winner.Configuration);
        Assert.Equal(winner.MeanCalibratedLoss, winner.Score);
        Assert.All(Leaderboard.Rank(state.Trials, 2, state.Criterion).Where(r => r.Outcome == ConfigurationOutcome.Complete), r => Assert.True(r.Score >= winner.Score));
    }

    [Fact]
    public void Asha_spends_fewer_epochs_and_keeps_the_best_configuration()
    {
        var (full, _) = Simulate(SchedulerKind.None, 2, 3, 0);
        var (asha, log) = Simulate(SchedulerKind.Asha, 2, 3, 0);
        Assert.True(asha.EpochsSpent < full.EpochsSpent);
        Assert.Contains(log, c => c is SearchCommand.Record { Decision.Outcome: RungOutcome.Stopped });
        Assert.Equal(Leaderboard.Best(Leaderboard.Rank(full.Trials, 3, full.Criterion))!.Configuration, Leaderboard.Best(Leaderboard.Rank(asha.Trials, 3, asha.Criterion))!.Configuration);
        // The trials pruned are those of the configurations a rung stopped, each saying the scheduler stopped it.
        var stopped = log.OfType<SearchCommand.Record>().Where(r => r.Decision.Outcome == RungOutcome.Stopped).Select(r => r.Decision.Configuration).ToHashSet();
        var pruned = asha.Trials.Where(t => t.Status == TrialStatus.Pruned).ToList();
        Assert.NotEmpty(pruned);
        Assert.All(pruned, t => Assert.Contains(t.Spec.Configuration, stopped));
        Assert.All(pruned, t => Assert.Contains("scheduler", t.Reason));
    }

    [Fact]
    public void A_failing_trial_is_recorded_with_its_reason_and_the_search_goes_on()
    {
        var (state, _) = Simulate(SchedulerKind.None, 2, 3, 0, (t, epoch) => t.Configuration == 2 && t.Replicate == 1 && epoch == 3 ? double.NaN : Loss(t, epoch));
        var failed = Assert.Single(state.Trials, t => t.Status == TrialStatus.Failed);
        Assert.Equal((2, 1), (failed.Spec.Configuration, failed.Spec.Replicate));
        Assert.Equal("loss became NaN", failed.Reason);
        var rows = Leaderboard.Rank(state.Trials, 3, state.Criterion);
        Assert.Equal(ConfigurationOutcome.Failed, rows[^1].Outcome);
        Assert.Equal(2, rows[^1].Configuration);
        Assert.All(rows.SkipLast(1), r => Assert.Equal(ConfigurationOutcome.Complete, r.Outcome));
    }

    [Fact]
    public void Cancelling_stops_every_active_trial_and_starts_nothing_new()
    {
        var definition = Definition(SchedulerKind.None, 2);
        var (state, started) = SearchState.Start(Sampler.Plan(definition, 0), 3).Schedule();
        Assert.Equal(3, started.Length);

        var (cancelling, stops) = state.Cancel();

        Assert.Equal([0, 1, 2], stops.Cast<SearchCommand.Stop>().Select(s => s.Trial));
        Assert.Empty(cancelling.Schedule().Commands);
        (cancelling, _) = cancelling.Completed(0, TimeSpan.Zero, TimeSpan.Zero);
        (cancelling, _) = cancelling.Stopped(1, TimeSpan.Zero, TimeSpan.Zero);
        (cancelling, _) = cancelling.Stopped(2, TimeSpan.Zero, TimeSpan.Zero);
        Assert.True(cancelling.Finished);
        Assert.Equal(TrialStatus.Completed, cancelling.Trials[0].Status);
        Assert.Equal(TrialStatus.Cancelled, cancelling.Trials[1].Status);
    }

    [Fact]
    public void Resuming_keeps_ended_trials_reruns_the_rest_and_keeps_recorded_decisions()
    {
        var (finished, log) = Simulate(SchedulerKind.Asha, 2, 2, 5);
        var definition = Definition(SchedulerKind.Asha, 2);
        var fresh = SearchState.Start(Sampler.Plan(definition, 3), 2);
        // Pretend the process died: configuration 0 was done, configuration 1's trials were mid-way.
        var stored = finished.Trials.Select(t => t.Spec.Configuration switch
        {
            0 => t,
            1 => t with { Status = TrialStatus.Running, History = t.History[..1] },
            _ => TrialRecord.Pending(t.Spec),
        });
        var decisions = log.OfType<SearchCommand.Record>().Select(r => r.Decision).Where(d => d.Configuration == 0).ToList();

        var (resumed, commands) = SearchState.Resume(fresh, stored, decisions);

        Assert.NotEmpty(resumed.TrialsOf(0));
        Assert.All(resumed.TrialsOf(0), t => Assert.Equal(finished.Trials[t.Spec.Index], t));
        Assert.NotEmpty(resumed.Trials.Skip(2));
        Assert.All(resumed.Trials.Skip(2), t => Assert.Equal(TrialStatus.Pending, t.Status));
        Assert.Equal(decisions.OrderBy(d => d.Rung), resumed.Asha!.Decisions.Where(d => d.Configuration == 0).OrderBy(d => d.Rung));
        Assert.DoesNotContain(commands, c => c is SearchCommand.Record r && r.Decision.Configuration == 0);
    }
}
