using Akka.Actor;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Actors.Runs;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Tests.Actors;

/// <summary>The runs actor's decisions (who gets an event, what a cancel, a lost coordinator or a stop does) as plain values.</summary>
public class RunsStateTests
{
    private static readonly RunSettings Settings =
        new(RunMode.Full, new RunSpec("data.csv", "out", Preparation.DefaultPrefix, 0, BalanceStrategy.First, SplitRatios.Default, false,
            DeviceChoice.Cpu, ModelConfig.Default, LogFeatureNames: []), Threads: 1);

    private static RunPipeline Run(string id) => new(id, Settings, ActorRefs.Nobody);

    /// <summary>Submits run <paramref name="id"/> (listener "listener-id") and starts what can start with coordinators "coordinator-id".</summary>
    private static (RunsState<string> State, Admission Admission) Submit(RunsState<string> state, string id)
    {
        (state, var admission) = state.Accept(Run(id), $"listener-{id}");
        (state, var start) = state.StartWaiting();
        foreach (var run in start)
        {
            state = state.Started(run.RunId, $"coordinator-{run.RunId}");
        }

        return (state, admission);
    }

    [Fact]
    public void A_run_starts_in_the_load_stage_with_its_coordinator_holding_a_slot_and_the_next_waits()
    {
        var (state, first) = Submit(RunsState<string>.Empty(1, 5), "a");
        (state, var second) = Submit(state, "b");

        Assert.Equal(0, first.Position);
        Assert.Equal(1, second.Position);
        Assert.Equal(Stage.Load, state.Active["a"].Stage);
        Assert.Equal("coordinator-a", state.Active["a"].Coordinator);
        Assert.Equal(RunsState<string>.QueueStage, state.Active["b"].Stage);
        Assert.Null(state.Active["b"].Coordinator);
        Assert.Equal(1, state.Running);
    }

    [Fact]
    public void A_refused_run_leaves_the_state_as_it_was_and_the_refusal_names_the_bound()
    {
        var (state, _) = Submit(RunsState<string>.Empty(1, 0), "a");

        var (after, admission) = state.Accept(Run("b"), "listener-b");

        Assert.Same(state, after);
        Assert.Equal(Rejection.QueueFull, admission.Refused);
        Assert.Contains("maxQueuedRuns is 0", state.Explain(Rejection.QueueFull), StringComparison.Ordinal);
    }

    [Fact]
    public void An_event_goes_to_the_listener_the_run_s_followers_and_every_run_follower_and_is_kept_for_latecomers()
    {
        var (state, _) = Submit(RunsState<string>.Empty(2, 5), "a");
        (state, _) = Submit(state, "b");
        (state, _) = state.Follow("a", "follower");
        (state, _) = state.FollowAll("watcher");

        (state, var to) = state.Publish(new StageStarted("a", Stage.Split));
        var (_, late) = state.Follow("a", "late");

        Assert.Equal("listener-a", to[0]);
        Assert.Equal(["follower", "watcher"], to.Skip(1).Order(StringComparer.Ordinal));
        Assert.True(late.Active);
        Assert.Equal([new StageStarted("a", Stage.Split)], late.SoFar);
    }

    [Fact]
    public void Following_a_run_that_is_not_active_says_so_and_changes_nothing()
    {
        var state = RunsState<string>.Empty(1, 1);

        var (after, reply) = state.Follow("gone", "follower");

        Assert.False(reply.Active);
        Assert.Empty(reply.SoFar);
        Assert.Same(state, after);
    }

    [Fact]
    public void A_started_stage_moves_the_run_and_an_outcome_ends_it_and_later_events_are_dropped()
    {
        var (state, _) = Submit(RunsState<string>.Empty(1, 1), "a");

        (state, var route, _) = state.Observe(new StageStarted("a", Stage.Train));
        Assert.Equal(EventRoute.Publish, route);
        Assert.Equal(Stage.Train, state.Active["a"].Stage);

        (state, route, var outcome) = state.Observe(new RunFailed("a", Stage.Train, "broke"));
        Assert.Equal(EventRoute.End, route);
        (state, _) = state.End(outcome);

        Assert.Empty(state.Active);
        Assert.Equal(EventRoute.Drop, state.Observe(new StageStarted("a", Stage.Evaluate)).Route);
        Assert.Equal(1, state.Running);
    }

    [Fact]
    public void Cancelling_a_waiting_run_takes_it_out_of_the_queue_and_a_running_one_signals_its_coordinator()
    {
        var (state, _) = Submit(RunsState<string>.Empty(1, 2), "a");
        (state, _) = Submit(state, "b");

        var (_, running, runningRun) = state.Cancel("a");
        var (afterWaiting, waiting, _) = state.Cancel("b");
        var (_, unknown, none) = state.Cancel("nobody");

        Assert.Equal(QueuedCancel.SignalCoordinator, running);
        Assert.Equal("coordinator-a", runningRun!.Coordinator);
        Assert.Equal(QueuedCancel.RemovedFromQueue, waiting);
        Assert.Equal(0, afterWaiting.Queue.WaitingCount);
        Assert.Equal(QueuedCancel.NotActive, unknown);
        Assert.Null(none);
    }

    [Fact]
    public void A_coordinator_that_stops_frees_its_slot_and_without_an_outcome_its_run_is_returned_to_be_failed()
    {
        var (state, _) = Submit(RunsState<string>.Empty(1, 2), "a");
        (state, _) = Submit(state, "b");

        var (after, released, broken) = state.Terminated("coordinator-a");
        (after, var start) = after.StartWaiting();

        Assert.True(released);
        Assert.Equal("a", broken!.RunId);
        Assert.Equal(["b"], start.Select(r => r.RunId));
    }

    [Fact]
    public void A_coordinator_that_stops_after_its_outcome_only_frees_its_slot()
    {
        var (state, _) = Submit(RunsState<string>.Empty(1, 2), "a");
        (state, _) = state.End(new RunFailed("a", Stage.Train, "broke"));

        var (_, released, broken) = state.Terminated("coordinator-a");

        Assert.True(released);
        Assert.Null(broken);
    }

    [Fact]
    public void A_follower_that_goes_away_gets_no_more_events()
    {
        var (state, _) = Submit(RunsState<string>.Empty(1, 1), "a");
        (state, _) = state.Follow("a", "follower");
        (state, _) = state.FollowAll("follower");

        (state, var released, _) = state.Terminated("follower");
        var (_, to) = state.Publish(new RunStarted("a"));

        Assert.False(released);
        Assert.Equal(["listener-a"], to);
    }

    [Fact]
    public void Stopping_cancels_the_waiting_runs_marks_cancels_as_shutdown_and_answers_each_requester_once_when_all_ended()
    {
        var (state, _) = Submit(RunsState<string>.Empty(1, 2), "a");
        (state, _) = Submit(state, "b");

        (state, var first) = state.StopRequested("host");
        (state, var cancelled) = state.Stop();
        foreach (var run in cancelled)
        {
            (state, _) = state.End(new RunCancelled(run.RunId, RunsState<string>.QueueStage, RunsState<string>.ShutDownReason));
        }

        Assert.True(first);
        Assert.Equal(["b"], cancelled.Select(r => r.RunId));
        Assert.Equal(["coordinator-a"], state.Coordinators);
        Assert.Null(state.AnswerStop().Answer);
        Assert.Equal(Rejection.Stopping, state.Accept(Run("c"), "listener-c").Admission.Refused);

        (state, var route, var outcome) = state.Observe(new RunCancelled("a", Stage.Train));
        Assert.Equal(EventRoute.End, route);
        Assert.Equal(RunsState<string>.ShutDownReason, ((RunCancelled)outcome).Reason);
        (state, _) = state.End(outcome);
        (state, var again) = state.StopRequested("shutdown");
        Assert.False(again);

        (state, var answer) = state.AnswerStop();
        Assert.True(answer!.First);
        Assert.Equal(["host", "shutdown"], answer.Requesters);
        var (_, later) = state.AnswerStop();
        Assert.False(later!.First);
        Assert.Empty(later.Requesters);
    }
}
