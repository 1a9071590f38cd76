using System.Collections.Immutable;
using Churn.Actors.Runs;

namespace Churn.Tests.Actors;

/// <summary>The runs actor's queue decisions as plain values, without an actor system.</summary>
public class RunQueueTests
{
    /// <summary>Submits and starts what can start, as the actor does after every submission.</summary>
    private static (RunQueue Queue, Admission Admission, ImmutableArray<string> Started) Submit(RunQueue queue, string id)
    {
        var (submitted, admission) = queue.Submit(id);
        var (started, start) = submitted.StartWaiting();
        return (started, admission, start);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 3)]
    [InlineData(2, 2)]
    [InlineData(3, 5)]
    public void Runs_start_up_to_the_slots_then_queue_in_order_up_to_the_bound_and_the_rest_are_refused_as_full(int slots, int queued)
    {
        var queue = RunQueue.Empty(slots, queued);
        var admissions = new List<Admission>();
        var started = new List<string>();
        for (var i = 0; i < slots + queued + 2; i++)
        {
            (queue, var admission, var start) = Submit(queue, $"r{i}");
            admissions.Add(admission);
            started.AddRange(start);
        }

        Assert.Equal(Enumerable.Range(0, slots).Select(i => $"r{i}"), started);
        Assert.All(admissions.Take(slots), a => Assert.Equal(new Admission(0), a));
        Assert.Equal(Enumerable.Range(1, queued), admissions.Skip(slots).Take(queued).Select(a => a.Position));
        Assert.All(admissions.Skip(slots + queued), a => Assert.Equal(Rejection.QueueFull, a.Refused));
        Assert.Equal(queued, queue.WaitingCount);
        Assert.Equal(slots + queued, queue.Active.Count);
    }

    [Fact]
    public void A_slot_is_free_only_once_the_coordinator_has_stopped_not_when_the_run_reports()
    {
        var (queue, _, _) = Submit(RunQueue.Empty(1, 10), "a");
        (queue, _, _) = Submit(queue, "b");

        queue = queue.Ended("a");
        var (afterEnd, startAfterEnd) = queue.StartWaiting();
        var (afterRelease, startAfterRelease) = afterEnd.Released("a").StartWaiting();

        Assert.Empty(startAfterEnd);
        Assert.Equal(["b"], startAfterRelease);
        Assert.Equal(["b"], afterRelease.Slots);
    }

    [Fact]
    public void A_full_queue_takes_a_run_again_once_one_leaves_it()
    {
        var queue = RunQueue.Empty(1, 1);
        (queue, _, _) = Submit(queue, "running");
        (queue, _, _) = Submit(queue, "waiting");
        (queue, var refused, _) = Submit(queue, "third");

        (queue, var cancel) = queue.Cancel("waiting");
        (queue, var again, _) = Submit(queue, "third");

        Assert.Equal(Rejection.QueueFull, refused.Refused);
        Assert.Equal(QueuedCancel.RemovedFromQueue, cancel);
        Assert.True(again.Accepted);
        Assert.Equal(1, again.Position);
    }

    [Fact]
    public void Cancel_tells_a_running_run_leaves_a_waiting_one_and_knows_nothing_else()
    {
        var queue = RunQueue.Empty(1, 5);
        (queue, _, _) = Submit(queue, "a");
        (queue, _, _) = Submit(queue, "b");
        (queue, _, _) = Submit(queue, "c");

        var (_, running) = queue.Cancel("a");
        var (withoutB, waiting) = queue.Cancel("b");
        var (_, unknown) = queue.Cancel("zzz");

        Assert.Equal(QueuedCancel.SignalCoordinator, running);
        Assert.Equal(QueuedCancel.RemovedFromQueue, waiting);
        Assert.Equal(QueuedCancel.NotActive, unknown);
        Assert.Equal(["c"], withoutB.Waiting);
        Assert.Single(withoutB.Released("a").StartWaiting().Queue.Slots);
        Assert.Equal(["c"], withoutB.Released("a").StartWaiting().Start);
    }

    [Fact]
    public void A_duplicate_id_is_refused_while_active_and_taken_again_once_ended()
    {
        var (queue, _, _) = Submit(RunQueue.Empty(2, 2), "a");

        var (_, duplicate) = queue.Submit("a");
        var (_, afterEnd) = queue.Ended("a").Released("a").Submit("a");

        Assert.Equal(Rejection.Duplicate, duplicate.Refused);
        Assert.True(afterEnd.Accepted);
    }

    [Fact]
    public void Stopping_hands_back_the_waiting_runs_refuses_new_ones_and_is_idle_when_the_running_ones_end()
    {
        var queue = RunQueue.Empty(1, 5);
        (queue, _, _) = Submit(queue, "a");
        (queue, _, _) = Submit(queue, "b");
        (queue, _, _) = Submit(queue, "c");

        var (stopped, cancelled) = queue.Stop();
        var (_, late) = stopped.Submit("d");

        Assert.Equal(["b", "c"], cancelled);
        Assert.Equal(Rejection.Stopping, late.Refused);
        Assert.False(stopped.Idle);
        Assert.True(stopped.Ended("a").Idle);
        Assert.Empty(stopped.Released("a").StartWaiting().Start);
    }
}
