using System.Collections.Immutable;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Model;
using Churn.Numerics.Search;

namespace Churn.Tests.Search;

/// <summary>
/// The coordinator's phases and slot decisions as a plain value: nodes come and go, trials are placed, lost and run
/// again, and a simulated cluster (losses a fixed function of configuration, seed and epoch; the interleaving and the
/// node losses drawn from a seed) is compared with one node that never fails.
/// </summary>
public class SearchCoordinationTests
{
    private static SearchPlan Plan(SchedulerKind scheduler = SchedulerKind.None, int configurations = 6, int seeds = 2) =>
        Sampler.Plan(SearchSpaceTests.Definition() with { Trials = configurations, Seeds = seeds, MaxEpochs = 20, Scheduler = scheduler, Asha = new AshaOptions([2, 6], 3) }, 3);

    private static double Loss(TrialSpec t, int epoch)
    {
        var floor = 0.3 + (0.05 * ((t.Configuration * 7) % 6)) + (0.01 * t.Replicate);
        var turn = 5 + t.Configuration;
        return floor + (0.2 / epoch) + (epoch > turn ? 0.01 * (epoch - turn) : 0);
    }

    private static SearchCoordination Then(SearchCoordination state, Func<SearchCoordination, (SearchCoordination, ImmutableArray<CoordinatorCommand>)> step, List<CoordinatorCommand> log)
    {
        var (next, commands) = step(state);
        log.AddRange(commands);
        return next;
    }

    [Fact]
    public void Trials_go_to_the_freest_node_and_each_node_gets_the_splits_once_before_its_first_trial()
    {
        var log = new List<CoordinatorCommand>();
        var state = SearchCoordination.Start(Plan(), cap: 100, canTrainWinner: false);
        state = Then(state, s => s.NodeUp("b", 1), log);
        state = Then(state, s => s.NodeUp("a", 2), log);
        Assert.Empty(log);
        Assert.Equal(SearchPhase.Preparing, state.Phase);

        state = Then(state, s => s.DataReady(null), log);

        Assert.Equal(SearchPhase.Running, state.Phase);
        Assert.Equal(
            [new CoordinatorCommand.Supply("a"), new CoordinatorCommand.Place(state.Search.Trials[0].Spec, "a"),
             new CoordinatorCommand.Place(state.Search.Trials[1].Spec, "a"),
             new CoordinatorCommand.Supply("b"), new CoordinatorCommand.Place(state.Search.Trials[2].Spec, "b")],
            log);
        Assert.Equal("a", state.Search.Trials[0].Node);
        Assert.Equal([("a", 2), ("b", 1)], state.RunningPerNode().Select(n => (n.Key, n.Value)));

        // Ties go by name; a freed slot on b takes the next trial there, and b already holds the splits.
        log.Clear();
        state = Then(state, s => s.Completed(2, TimeSpan.Zero, TimeSpan.Zero), log);
        Assert.Equal([new CoordinatorCommand.Ended(state.Search.Trials[2]), new CoordinatorCommand.Place(state.Search.Trials[3].Spec, "b")], log);
    }

    [Fact]
    public void Each_node_gets_each_preparations_splits_once_before_the_first_trial_there_that_trains_on_them()
    {
        var definition = SearchSpaceTests.Definition() with { Trials = 6, Seeds = 1, MaxEpochs = 20 };
        var space = definition.Space with { Balance = [BalanceStrategy.None, BalanceStrategy.Weighted, BalanceStrategy.Random] };
        var plan = Sampler.Plan(definition with { Space = space }, 3);
        var log = new List<CoordinatorCommand>();
        var state = SearchCoordination.Start(plan, cap: 100, canTrainWinner: false);
        state = Then(state, s => s.NodeUp("a", 2), log);
        state = Then(state, s => s.DataReady(null), log);
        state = Then(state, s => s.NodeUp("b", 1), log);
        for (var trial = 0; trial < plan.Trials.Length; trial++)
        {
            state = Then(state, s => s.Completed(trial, TimeSpan.Zero, TimeSpan.Zero), log);
        }

        // Before every placement, its node holds the trial's preparation: supplied earlier, and to that node.
        var held = new HashSet<(string, string)>();
        foreach (var command in log)
        {
            switch (command)
            {
                case CoordinatorCommand.Supply s:
                    Assert.True(held.Add((s.Node, s.Data)), $"{s.Node} got {s.Data} twice");
                    break;
                case CoordinatorCommand.Place p:
                    Assert.Contains((p.Node, p.Trial.Data!.Key), held);
                    break;
            }
        }
        Assert.Equal(plan.Trials.Length, log.OfType<CoordinatorCommand.Place>().Count());
        Assert.True(log.OfType<CoordinatorCommand.Supply>().Select(s => s.Data).Distinct().Count() > 1);
        Assert.All(log.OfType<CoordinatorCommand.Supply>(), s => Assert.Contains(s.Data, plan.DataChoices.Select(d => d.Key)));

        // A node seen again may have restarted without any splits: it gets them again.
        log.Clear();
        var again = Then(state with { Phase = SearchPhase.Running, Search = SearchState.Start(plan, 0) }, s => s.NodeUp("a", 1), log);
        Assert.Equal(new CoordinatorCommand.Supply("a", plan.Trials[0].Data!.Key), log[0]);
        Assert.DoesNotContain(again.Supplied, s => s.Node == "a" && s.Data != plan.Trials[0].Data!.Key);
    }

    [Fact]
    public void Without_slots_nothing_starts_and_a_node_that_joins_mid_search_gets_work()
    {
        var log = new List<CoordinatorCommand>();
        var state = SearchCoordination.Start(Plan(), cap: 100, canTrainWinner: false);
        state = Then(state, s => s.DataReady(null), log);
        Assert.Empty(log);
        Assert.Equal(0, state.Search.Running);

        state = Then(state, s => s.NodeUp("w1", 1), log);
        Assert.Equal([new CoordinatorCommand.Supply("w1"), new CoordinatorCommand.Place(state.Search.Trials[0].Spec, "w1")], log);

        log.Clear();
        state = Then(state, s => s.NodeUp("w2", 2), log);
        Assert.Equal(3, state.Search.Running);
        Assert.Equal(["w2", "w2"], log.OfType<CoordinatorCommand.Place>().Select(p => p.Node));
    }

    [Fact]
    public void The_cap_bounds_the_trials_running_whatever_the_slots()
    {
        var state = SearchCoordination.Start(Plan(), cap: 2, canTrainWinner: false).NodeUp("a", 8).State.DataReady(null).State;
        Assert.Equal(2, state.Search.Running);
        Assert.Equal(2, state.Placement.Count);
    }

    [Fact]
    public void A_lost_node_s_trials_go_back_to_the_queue_and_run_again_from_epoch_1_elsewhere()
    {
        var log = new List<CoordinatorCommand>();
        var state = SearchCoordination.Start(Plan(), cap: 100, canTrainWinner: false).NodeUp("a", 1).State.NodeUp("b", 1).State.DataReady(null).State;
        state = state.Epoch(1, new EpochMetrics(1, 0.5, 0.8, 0.5, 0.8));
        Assert.Equal("b", state.Placement[1]);

        state = Then(state, s => s.NodeDown("b"), log);

        Assert.Equal(new CoordinatorCommand.Requeued(1, "b"), log[0]);
        Assert.DoesNotContain(log, c => c is CoordinatorCommand.Ended);
        Assert.Equal(TrialStatus.Pending, state.Search.Trials[1].Status);
        Assert.Empty(state.Search.Trials[1].History);
        Assert.False(state.IsPlaced(1));
        Assert.Equal(1, state.TotalSlots);

        // Reports from the lost node no longer count; once a's slot frees, trial 2 (index 1) starts again there.
        state = Then(state, s => s.Completed(1, TimeSpan.Zero, TimeSpan.Zero), log);
        Assert.Equal(TrialStatus.Pending, state.Search.Trials[1].Status);
        log.Clear();
        state = Then(state, s => s.Completed(0, TimeSpan.Zero, TimeSpan.Zero), log);
        Assert.Equal(new CoordinatorCommand.Place(state.Search.Trials[1].Spec, "a"), log[1]);
    }

    [Fact]
    public void A_trial_told_to_stop_whose_node_is_lost_ends_as_it_was_told()
    {
        var log = new List<CoordinatorCommand>();
        var state = SearchCoordination.Start(Plan(), cap: 100, canTrainWinner: false).NodeUp("a", 2).State.DataReady(null).State;
        state = Then(state, s => s.Cancel(), log);
        Assert.Equal(SearchPhase.Cancelling, state.Phase);
        Assert.Equal(2, log.OfType<CoordinatorCommand.Halt>().Count());
        Assert.Contains(CoordinatorCommand.StartGrace.Instance, log);

        log.Clear();
        state = Then(state, s => s.NodeDown("a"), log);

        Assert.Equal(2, log.OfType<CoordinatorCommand.Ended>().Count());
        Assert.All(log.OfType<CoordinatorCommand.Ended>(), e => Assert.Equal(TrialStatus.Cancelled, e.Trial.Status));
        Assert.DoesNotContain(log, c => c is CoordinatorCommand.Requeued);
        Assert.Equal(CoordinatorCommand.WriteReport.Instance, log[^1]);
        Assert.Equal(SearchPhase.Writing, state.Phase);
    }

    [Fact]
    public void Cancel_depends_on_the_phase()
    {
        var preparing = SearchCoordination.Start(Plan(), 2, true).NodeUp("a", 2).State;
        var (cancelledEarly, early) = preparing.Cancel();
        Assert.Equal([CoordinatorCommand.WriteReport.Instance], early);
        Assert.Equal(SearchPhase.Writing, cancelledEarly.Phase);
        Assert.Empty(cancelledEarly.Cancel().Commands);
        Assert.Empty(cancelledEarly.DataReady(null).Commands);

        var running = preparing.DataReady(null).State;
        var (cancelling, stop) = running.Cancel();
        Assert.Equal([0, 1], stop.OfType<CoordinatorCommand.Halt>().Select(h => h.Trial));
        Assert.Empty(cancelling.Cancel().Commands);

        // One trial stops in time; the other is still in an epoch when the grace ends and is stopped outright.
        var (oneLeft, stopped) = cancelling.Stopped(0, TimeSpan.Zero, TimeSpan.Zero);
        Assert.Equal(TrialStatus.Cancelled, Assert.IsType<CoordinatorCommand.Ended>(Assert.Single(stopped)).Trial.Status);
        var (written, grace) = oneLeft.GraceOver();
        Assert.Equal([new CoordinatorCommand.Kill(1, "a"), new CoordinatorCommand.Ended(oneLeft.Search.Trials[1]), CoordinatorCommand.WriteReport.Instance], grace);
        Assert.Equal(SearchPhase.Writing, written.Phase);
        Assert.Empty(written.GraceOver().Commands);
        Assert.Equal(SearchPhase.Done, written.ReportWritten(null).Phase);
        Assert.Contains("cancelled", written.ReportNote);
    }

    [Fact]
    public void The_winner_is_trained_when_the_trials_are_done_and_its_outcome_ends_the_search()
    {
        var state = SearchCoordination.Start(Plan(configurations: 1, seeds: 2), 2, canTrainWinner: true).NodeUp("a", 2).State.DataReady(null).State;
        foreach (var trial in new[] { 0, 1 })
        {
            state = state.Epoch(trial, new EpochMetrics(1, 0.4, 0.8, 0.4 + (0.01 * trial), 0.8));
        }
        state = state.Completed(0, TimeSpan.Zero, TimeSpan.Zero).State;
        var (training, commands) = state.Completed(1, TimeSpan.Zero, TimeSpan.Zero);

        var train = Assert.IsType<CoordinatorCommand.TrainWinner>(commands[^1]);
        Assert.Equal(0, train.Best.Configuration);
        Assert.Equal(SearchPhase.TrainingWinner, training.Phase);

        // The host shutting down cancels the winner's run: the search waits to be resumed, nothing is written.
        Assert.Empty(training.WinnerCancelled().Commands);
        Assert.Equal([CoordinatorCommand.CancelWinner.Instance], training.Cancel().Commands);
        Assert.Equal([CoordinatorCommand.WriteReport.Instance], training.Cancel().State.WinnerCancelled().Commands);

        var metrics = new ClassificationMetrics(4, 0.8, 0.8, 0.8, 0.8, 0.9, 0.4, new ConfusionMatrix(1, 1, 1, 1));
        // Two seeds: the winner's model is saved, then its seeds are trained again for the averaged model.
        var (averaging, average) = training.WinnerTrained(metrics, null, "out/model");
        var members = Assert.IsType<CoordinatorCommand.AverageWinner>(Assert.Single(average));
        Assert.Equal(SearchPhase.AveragingWinner, averaging.Phase);
        Assert.Equal([state.Search.Trials[0].Spec, state.Search.Trials[1].Spec], members.Members);
        Assert.Equal(metrics, averaging.WinnerTest);
        Assert.Equal("out/model", averaging.ModelDirectory);

        var (done, write) = averaging.WinnerAveraged("out/averaged-model", null);
        Assert.Equal([CoordinatorCommand.WriteReport.Instance], write);
        Assert.Equal(SearchPhase.Writing, done.Phase);
        Assert.Equal("out/averaged-model", done.AveragedModelDirectory);
        Assert.Null(done.ReportNote);
        Assert.Empty(done.WinnerAveraged("elsewhere", null).Commands);
        Assert.Equal("the averaged model could not be saved", averaging.WinnerAveraged(null, "the averaged model could not be saved").State.ReportNote);
        // A cancel while the seeds train again gives the averaged model up; the winner's model stands.
        var (cancelled, stop) = averaging.Cancel();
        Assert.Equal([CoordinatorCommand.WriteReport.Instance], stop);
        Assert.Equal(("out/model", (string?)null), (cancelled.ModelDirectory, cancelled.AveragedModelDirectory));
        Assert.Equal("the winner failed; cannot write", training.WinnerFailed("the winner failed").State.ReportWritten("cannot write").Note);
    }

    [Fact]
    public void With_one_seed_per_configuration_there_is_nothing_to_average()
    {
        var state = SearchCoordination.Start(Plan(configurations: 1, seeds: 1), 2, canTrainWinner: true).NodeUp("a", 2).State.DataReady(null).State;
        state = state.Epoch(0, new EpochMetrics(1, 0.4, 0.8, 0.4, 0.8)).Completed(0, TimeSpan.Zero, TimeSpan.Zero).State;
        var metrics = new ClassificationMetrics(4, 0.8, 0.8, 0.8, 0.8, 0.9, 0.4, new ConfusionMatrix(1, 1, 1, 1));
        var (done, write) = state.WinnerTrained(metrics, null, "out/model");
        Assert.Equal([CoordinatorCommand.WriteReport.Instance], write);
        Assert.Equal(SearchPhase.Writing, done.Phase);
    }

    private sealed record Worker(TrialSpec Spec, string Node, EarlyStopping Stopping, int Epoch, bool Paused);

    /// <summary>
    /// Runs a search on simulated nodes to the end. With <paramref name="losses"/> &gt; 0, a node holding trials is lost that
    /// many times at moments drawn from <paramref name="interleaving"/>, and comes back (empty, under the same name) a few events later.
    /// </summary>
    private static (SearchCoordination State, List<CoordinatorCommand> Log) Simulate(SchedulerKind scheduler, (string Name, int Slots)[] nodes, int interleaving, int losses, HashSet<int>? waited = null)
    {
        var state = SearchCoordination.Start(Plan(scheduler), cap: 100, canTrainWinner: false);
        var workers = new Dictionary<int, Worker>();
        var supplied = new HashSet<string>();
        var down = new List<(string Name, int Slots, int Back)>();
        var log = new List<CoordinatorCommand>();
        var pick = new Random(interleaving);

        void Carry(ImmutableArray<CoordinatorCommand> commands)
        {
            var queue = new Queue<CoordinatorCommand>(commands);
            while (queue.TryDequeue(out var command))
            {
                log.Add(command);
                switch (command)
                {
                    case CoordinatorCommand.Supply s:
                        Assert.True(supplied.Add(s.Node), $"splits sent twice to {s.Node}");
                        break;
                    case CoordinatorCommand.Place p:
                        Assert.Contains(p.Node, supplied);
                        Assert.DoesNotContain(p.Trial.Index, workers.Keys);
                        workers[p.Trial.Index] = new Worker(p.Trial, p.Node, EarlyStopping.Start(p.Trial.Config.Patience, p.Trial.Config.MinDelta), 0, false);
                        break;
                    case CoordinatorCommand.Continue c:
                        workers[c.Trial] = workers[c.Trial] with { Paused = false };
                        break;
                    case CoordinatorCommand.Halt h:
                        Assert.Equal(h.Node, workers[h.Trial].Node);
                        workers.Remove(h.Trial);
                        (state, var more) = state.Stopped(h.Trial, TimeSpan.Zero, TimeSpan.Zero);
                        foreach (var m in more)
                        {
                            queue.Enqueue(m);
                        }
                        break;
                }
            }
            if (commands.Any(c => c is CoordinatorCommand.Place))
            {
                // A pending trial started while a promoted one (all of which started before it) waits for its own node.
                waited?.UnionWith(state.Search.Trials.Where(t => t.Status == TrialStatus.Promoted).Select(t => t.Spec.Index));
            }
        }

        foreach (var (name, slots) in nodes)
        {
            (state, var none) = state.NodeUp(name, slots);
            Carry(none);
        }
        (state, var first) = state.DataReady(null);
        Carry(first);
        for (var step = 0; state.Phase == SearchPhase.Running && step < 100_000; step++)
        {
            foreach (var back in down.Where(d => d.Back == step).ToList())
            {
                down.Remove(back);
                (state, var rejoined) = state.NodeUp(back.Name, back.Slots);
                Carry(rejoined);
            }
            foreach (var (name, slots) in nodes)
            {
                Assert.True(workers.Values.Count(w => w.Node == name && !w.Paused) <= slots, $"node {name} trains more trials than its {slots} slot(s) at step {step}");
            }
            if (losses > 0 && pick.Next(8) == 0 && workers.Count > 0)
            {
                losses--;
                var victim = workers.Values.ElementAt(pick.Next(workers.Count)).Node;
                foreach (var lost in workers.Values.Where(w => w.Node == victim).ToList())
                {
                    workers.Remove(lost.Spec.Index);
                }
                supplied.Remove(victim);
                down.Add((victim, nodes.Single(n => n.Name == victim).Slots, step + 5));
                (state, var requeued) = state.NodeDown(victim);
                Carry(requeued);
                continue;
            }
            var active = workers.Values.Where(w => !w.Paused).OrderBy(w => w.Spec.Index).ToList();
            if (active.Count == 0)
            {
                Assert.NotEmpty(down); // only a lost node can leave the search with nothing to run, until it comes back
                continue;
            }
            var worker = active[pick.Next(active.Count)];
            var epoch = worker.Epoch + 1;
            var value = Loss(worker.Spec, epoch);
            var (stopping, decision) = worker.Stopping.Observe(epoch, value);
            state = state.Epoch(worker.Spec.Index, new EpochMetrics(epoch, value, 0.8, value, 0.8));
            workers[worker.Spec.Index] = worker with { Stopping = stopping, Epoch = epoch };
            if (decision == StopDecision.Stop || epoch >= worker.Spec.Config.MaxEpochs)
            {
                workers.Remove(worker.Spec.Index);
                (state, var done) = state.Completed(worker.Spec.Index, TimeSpan.Zero, TimeSpan.Zero);
                Carry(done);
            }
            else if (state.Search.Asha?.RungOf(epoch) >= 0)
            {
                workers[worker.Spec.Index] = workers[worker.Spec.Index] with { Paused = true };
                (state, var held) = state.Held(worker.Spec.Index, epoch);
                Carry(held);
            }
        }
        Assert.Equal(SearchPhase.Writing, state.Phase);
        return (state, log);
    }

    [Theory]
    [InlineData(SchedulerKind.None)]
    [InlineData(SchedulerKind.Asha)]
    public void Nodes_lost_mid_search_change_nothing_in_the_leaderboard_and_every_trial_ends_exactly_once(SchedulerKind scheduler)
    {
        var (reference, referenceLog) = Simulate(scheduler, [("one", 1)], interleaving: 0, losses: 0);
        var requeues = 0;
        foreach (var interleaving in new[] { 1, 2, 3, 4, 5 })
        {
            var (state, log) = Simulate(scheduler, [("a", 1), ("b", 2), ("c", 1)], interleaving, losses: 3);

            Assert.Equal(Leaderboard.Rank(reference.Search.Trials, 2, reference.Search.Criterion), Leaderboard.Rank(state.Search.Trials, 2, state.Search.Criterion));
            Assert.Equal(reference.Search.EpochsSpent, state.Search.EpochsSpent);
            Assert.Equal(
                referenceLog.OfType<CoordinatorCommand.Record>().OrderBy(r => r.Decision.Rung).ThenBy(r => r.Decision.Configuration),
                log.OfType<CoordinatorCommand.Record>().OrderBy(r => r.Decision.Rung).ThenBy(r => r.Decision.Configuration));
            var ended = log.OfType<CoordinatorCommand.Ended>().GroupBy(e => e.Trial.Spec.Index).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(Enumerable.Range(0, state.Search.Trials.Length), ended.Keys.Order());
            Assert.All(ended.Values, count => Assert.Equal(1, count));
            requeues += log.OfType<CoordinatorCommand.Requeued>().Count();
        }
        Assert.True(requeues >= 5, $"only {requeues} trials were lost with their nodes");
    }

    [Fact]
    public void A_promoted_trial_goes_on_only_when_its_own_node_has_a_slot()
    {
        var (reference, _) = Simulate(SchedulerKind.Asha, [("one", 1)], interleaving: 0, losses: 0);
        var waited = new HashSet<int>();
        foreach (var interleaving in new[] { 1, 2, 3, 4, 5, 6 })
        {
            // Simulate fails as soon as a node trains more trials than its slots.
            var (state, log) = Simulate(SchedulerKind.Asha, [("a", 1), ("b", 1)], interleaving, losses: 0, waited);

            Assert.Equal(Leaderboard.Rank(reference.Search.Trials, 2, reference.Search.Criterion), Leaderboard.Rank(state.Search.Trials, 2, state.Search.Criterion));
            // Promoted trials go on, each on the node that trained it so far.
            var continued = log.OfType<CoordinatorCommand.Continue>().ToList();
            Assert.NotEmpty(continued);
            Assert.All(continued, c => Assert.Equal(state.Search.Trials[c.Trial].Node, c.Node));
        }
        Assert.NotEmpty(waited);
    }
}
