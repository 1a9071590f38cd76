using System.Collections.Immutable;
using Churn.Actors.Messages;

namespace Churn.Actors.Runs;

/// <summary>A run the runs actor still drives: queued (no coordinator yet) or running.</summary>
/// <typeparam name="TRef">Who receives events and coordinates a run (an actor reference; any value in tests).</typeparam>
public sealed record TrackedRun<TRef>(
    RunPipeline Request,
    TRef Listener,
    string Stage,
    TRef? Coordinator,
    ImmutableList<IRunEvent> SoFar,
    ImmutableHashSet<TRef> Followers)
    where TRef : notnull
{
    public string RunId => Request.RunId;
}

/// <summary>Where an event from a run's coordinator goes: nowhere (its run already ended here), to the listeners, or it ends the run.</summary>
public enum EventRoute
{
    Drop,
    Publish,
    End,
}

/// <summary>Whom to tell that every run has stopped, and whether this is the first time the runs actor sees it.</summary>
public sealed record StopAnswer<TRef>(bool First, ImmutableList<TRef> Requesters);

/// <summary>
/// The runs actor's decisions as a value: its <see cref="RunQueue"/>, the runs it drives with what each did so far and
/// who follows it, who follows every run, which coordinator holds which slot, and who waits for every run to stop.
/// Every transition returns a new state and what to do; the actor only does it (spawns, tells, records, logs).
/// </summary>
public sealed record RunsState<TRef>(
    RunQueue Queue,
    ImmutableDictionary<string, TrackedRun<TRef>> Active,
    ImmutableHashSet<TRef> Watchers,
    ImmutableDictionary<TRef, string> Slots,
    ImmutableList<TRef> StopRequesters,
    bool Stopped = false)
    where TRef : notnull
{
    /// <summary>The stage a run is in until its coordinator starts.</summary>
    public const string QueueStage = "queue";

    /// <summary>Why runs cut short by a stopping host were cancelled.</summary>
    public const string ShutDownReason = "the host shut down";

    /// <summary>No runs, <paramref name="maxRunning"/> slots and room for <paramref name="maxQueued"/> waiting runs.</summary>
    public static RunsState<TRef> Empty(int maxRunning, int maxQueued) =>
        new(RunQueue.Empty(maxRunning, maxQueued), ImmutableDictionary<string, TrackedRun<TRef>>.Empty, [], ImmutableDictionary<TRef, string>.Empty, []);

    /// <summary>How many coordinators hold a slot.</summary>
    public int Running => Slots.Count;

    /// <summary>Takes <paramref name="request"/> (events go to <paramref name="listener"/>) or refuses it; call <see cref="StartWaiting"/> next.</summary>
    public (RunsState<TRef> State, Admission Admission) Accept(RunPipeline request, TRef listener)
    {
        var (queue, admission) = Queue.Submit(request.RunId);
        return admission.Accepted
            ? (this with { Queue = queue, Active = Active.Add(request.RunId, new TrackedRun<TRef>(request, listener, QueueStage, default, [], [])) }, admission)
            : (this, admission);
    }

    /// <summary>The refusal's wording for the client.</summary>
    public string Explain(Rejection refused) => refused switch
    {
        Rejection.Stopping => "the host is shutting down",
        Rejection.Duplicate => "a run with this id is already queued or running",
        _ => $"the queue is full: {Queue.WaitingCount} runs are waiting (host.limits.maxQueuedRuns is {Queue.MaxQueued})",
    };

    /// <summary>The waiting runs that get a slot now; the actor starts their coordinators and reports each with <see cref="Started"/>.</summary>
    public (RunsState<TRef> State, ImmutableArray<TrackedRun<TRef>> Start) StartWaiting()
    {
        var (queue, start) = Queue.StartWaiting();
        return (this with { Queue = queue }, [.. start.Select(id => Active[id])]);
    }

    /// <summary><paramref name="coordinator"/> drives run <paramref name="runId"/> from its first stage and holds its slot until it stops.</summary>
    public RunsState<TRef> Started(string runId, TRef coordinator) => this with
    {
        Slots = Slots.Add(coordinator, runId),
        Active = Active.SetItem(runId, Active[runId] with { Coordinator = coordinator, Stage = Messages.Stage.Load }),
    };

    /// <summary>A cancel: the queue's decision and the run it concerns (null when the run is not active).</summary>
    public (RunsState<TRef> State, QueuedCancel Outcome, TrackedRun<TRef>? Run) Cancel(string runId)
    {
        var (queue, outcome) = Queue.Cancel(runId);
        var next = this with { Queue = queue };
        return outcome == QueuedCancel.NotActive || !Active.TryGetValue(runId, out var run)
            ? (next, QueuedCancel.NotActive, null)
            : (next, outcome, run);
    }

    /// <summary><paramref name="follower"/> follows one run: what it did so far, or not active (the store tells the rest).</summary>
    public (RunsState<TRef> State, RunSubscription Reply) Follow(string runId, TRef follower) =>
        Active.TryGetValue(runId, out var run)
            ? (this with { Active = Active.SetItem(runId, run with { Followers = run.Followers.Add(follower) }) }, new RunSubscription(runId, true, [.. run.SoFar]))
            : (this, new RunSubscription(runId, false, []));

    /// <summary><paramref name="follower"/> follows every run: the events so far of the runs still active.</summary>
    public (RunsState<TRef> State, AllRunsFollowed Reply) FollowAll(TRef follower) =>
        (this with { Watchers = Watchers.Add(follower) }, new AllRunsFollowed([.. Active.Values.SelectMany(r => r.SoFar)]));

    /// <summary>
    /// An event from a coordinator: a started stage moves the run; an outcome ends it (a cancel while the host stops
    /// says so); events of a run that already ended here (cut short at shutdown) are dropped.
    /// </summary>
    public (RunsState<TRef> State, EventRoute Route, IRunEvent Event) Observe(IRunEvent e)
    {
        if (!Active.TryGetValue(e.RunId, out var run))
        {
            return (this, EventRoute.Drop, e);
        }

        return e switch
        {
            StageStarted s => (this with { Active = Active.SetItem(e.RunId, run with { Stage = s.Stage }) }, EventRoute.Publish, e),
            RunCancelled c when Queue.Stopping && c.Reason is null => (this, EventRoute.End, c with { Reason = ShutDownReason }),
            RunSucceeded or RunFailed or RunCancelled => (this, EventRoute.End, e),
            _ => (this, EventRoute.Publish, e),
        };
    }

    /// <summary>Keeps the event for followers who come later and says who gets it now: the listener, the run's followers and every-run followers.</summary>
    public (RunsState<TRef> State, ImmutableArray<TRef> To) Publish(IRunEvent e)
    {
        var run = Active[e.RunId];
        var next = this with { Active = Active.SetItem(e.RunId, run with { SoFar = run.SoFar.Add(e) }) };
        return (next, [run.Listener, .. run.Followers.Union(Watchers)]);
    }

    /// <summary>An outcome as the runs actor records it: with when it ended, so that those who follow need not ask the journal.</summary>
    public static IRunEvent Stamped(IRunEvent outcome, DateTimeOffset at) => outcome switch
    {
        RunSucceeded s => s with { At = at },
        RunFailed f => f with { At = at },
        RunCancelled c => c with { At = at },
        _ => throw new ArgumentException($"not an outcome: {outcome.GetType().Name}", nameof(outcome)),
    };

    /// <summary>The run's outcome: published like any event, then the run is forgotten (its slot stays taken until its coordinator stops).</summary>
    public (RunsState<TRef> State, ImmutableArray<TRef> To) End(IRunEvent outcome)
    {
        var (published, to) = Publish(outcome);
        return (published with { Active = published.Active.Remove(outcome.RunId), Queue = published.Queue.Ended(outcome.RunId) }, to);
    }

    /// <summary>
    /// Someone went away: a coordinator frees its slot (and returns its run if it stopped without an outcome, which
    /// must still end); a follower stops getting events. <c>Released</c> says whether it was a coordinator.
    /// </summary>
    public (RunsState<TRef> State, bool Released, TrackedRun<TRef>? Broken) Terminated(TRef gone)
    {
        if (!Slots.TryGetValue(gone, out var runId))
        {
            var active = Active;
            foreach (var (id, run) in Active.Where(r => r.Value.Followers.Contains(gone)))
            {
                active = active.SetItem(id, run with { Followers = run.Followers.Remove(gone) });
            }

            return (this with { Watchers = Watchers.Remove(gone), Active = active }, false, null);
        }

        var next = this with { Slots = Slots.Remove(gone), Queue = Queue.Released(runId) };
        var broken = Active.TryGetValue(runId, out var r) && Equals(r.Coordinator, gone) ? r : null;
        return (next, true, broken);
    }

    /// <summary>A request to stop every run, from <paramref name="requester"/> if any; <c>First</c> says whether the host was not stopping yet.</summary>
    public (RunsState<TRef> State, bool First) StopRequested(TRef? requester)
    {
        var next = requester is null ? this : this with { StopRequesters = StopRequesters.Add(requester) };
        return (next, !Queue.Stopping);
    }

    /// <summary>The host stops: no new runs; the waiting runs are returned to be ended as cancelled, the running ones must be told.</summary>
    public (RunsState<TRef> State, ImmutableArray<TrackedRun<TRef>> Cancelled) Stop()
    {
        var (queue, cancelled) = Queue.Stop();
        return (this with { Queue = queue }, [.. cancelled.Select(id => Active[id])]);
    }

    /// <summary>The coordinators of the runs still active.</summary>
    public IEnumerable<TRef> Coordinators => Active.Values.Select(r => r.Coordinator).OfType<TRef>();

    /// <summary>When the host stops and every run has ended, whom to tell (once each); null while runs remain.</summary>
    public (RunsState<TRef> State, StopAnswer<TRef>? Answer) AnswerStop() =>
        Queue.Stopping && Active.IsEmpty
            ? (this with { Stopped = true, StopRequesters = [] }, new StopAnswer<TRef>(!Stopped, StopRequesters))
            : (this, null);
}
