using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Churn.Actors.Messages;
using Churn.Actors.Pipeline;

namespace Churn.Actors.Runs;

/// <summary>
/// Spawns one pipeline coordinator per run, runs at most N at a time and queues the rest in arrival order. Every
/// event of a run passes through here: it is recorded in the journal, kept for followers who come late, and handed
/// to the run's listener and followers. A failing run ends that run only: coordinators report their own failures,
/// and one that stops without an outcome is recorded as failed.
/// </summary>
public sealed class RunsActor : ReceiveActor, IWithTimers
{
    /// <summary>A run this actor still drives: queued (no coordinator yet) or running.</summary>
    private sealed record ActiveRun(
        RunPipeline Request,
        string Stage,
        IActorRef? Coordinator,
        ImmutableList<IRunEvent> SoFar,
        ImmutableHashSet<IActorRef> Followers);

    private sealed record StopDeadline
    {
        public static readonly StopDeadline Instance = new();
    }

    private const string QueueStage = "queue";
    private const string ShutDownReason = "the host shut down";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PipelineStages _stages;
    private readonly Func<IUntypedActorContext, IActorRef> _trainers;
    private readonly IRunJournal _journal;
    private readonly TimeProvider _clock;
    private RunQueue _queue;
    private ImmutableDictionary<string, ActiveRun> _active = ImmutableDictionary<string, ActiveRun>.Empty;

    /// <summary>Followers of every run (the runs-wide event streams).</summary>
    private ImmutableHashSet<IActorRef> _watchers = [];

    /// <summary>Coordinators hold their slot until they have stopped, not merely reported, so N is never exceeded.</summary>
    private ImmutableDictionary<IActorRef, string> _slots = ImmutableDictionary<IActorRef, string>.Empty;

    /// <summary>Who asked this actor to stop every run (the host as it begins to stop, then CoordinatedShutdown); once asked, it takes no new runs.</summary>
    private ImmutableList<IActorRef> _stopRequesters = [];
    private bool _stopped;

    public RunsActor(PipelineStages stages, Func<IUntypedActorContext, IActorRef> trainers, int maxConcurrent, IRunJournal journal, TimeProvider clock, int maxQueued = int.MaxValue)
    {
        _stages = stages;
        _trainers = trainers;
        _queue = RunQueue.Empty(maxConcurrent, maxQueued);
        _journal = journal;
        _clock = clock;
        Receive<RunPipeline>(Accept);
        Receive<CancelRun>(Cancel);
        Receive<FollowRun>(Follow);
        Receive<FollowAllRuns>(FollowAll);
        Receive<IRunEvent>(OnRunEvent);
        Receive<Terminated>(OnTerminated);
        Receive<StopAllRuns>(StopAll);
        Receive<StopDeadline>(_ => ForceStop());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(PipelineStages stages, Func<IUntypedActorContext, IActorRef> trainers, int maxConcurrent) =>
        Props(stages, trainers, maxConcurrent, NoRunJournal.Instance, TimeProvider.System);

    public static Props Props(PipelineStages stages, Func<IUntypedActorContext, IActorRef> trainers, int maxConcurrent, IRunJournal journal, TimeProvider clock, int maxQueued = int.MaxValue) =>
        Akka.Actor.Props.Create(() => new RunsActor(stages, trainers, maxConcurrent, journal, clock, maxQueued));

    /// <summary>A run's own coordinator failing is that run's failure, never a reason to restart the others.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop, false);

    private void Accept(RunPipeline run)
    {
        var (queue, admission) = _queue.Submit(run.RunId);
        if (admission.Refused is { } refused)
        {
            var reason = refused switch
            {
                Rejection.Stopping => "the host is shutting down",
                Rejection.Duplicate => "a run with this id is already queued or running",
                _ => $"the queue is full: {_queue.WaitingCount} runs are waiting (host.limits.maxQueuedRuns is {_queue.MaxQueued})",
            };
            _log.Warning(RunLog.Line(run.RunId, QueueStage, $"refused: {reason}"));
            Reply(new RunRejected(run.RunId, reason, refused));
            return;
        }

        _queue = queue;
        Record(run.RunId, j => j.RunQueued(run.RunId, run.Settings, Now));
        _active = _active.Add(run.RunId, new ActiveRun(run, QueueStage, null, [], []));
        var position = admission.Position;
        _log.Info(RunLog.Line(run.RunId, QueueStage, position == 0 ? "accepted; starting now" : $"queued at position {position} ({_slots.Count} running)"));
        Publish(run.RunId, new RunQueued(run.RunId, position));
        Reply(new RunAccepted(run.RunId, position));
        StartWaiting();
    }

    private void Cancel(CancelRun cancel)
    {
        var (queue, outcome) = _queue.Cancel(cancel.RunId);
        _queue = queue;
        if (outcome == QueuedCancel.NotActive || !_active.TryGetValue(cancel.RunId, out var run))
        {
            Reply(new CancelRunResponse(cancel.RunId, CancelOutcome.NotActive));
        }
        else if (outcome == QueuedCancel.SignalCoordinator)
        {
            _log.Info(RunLog.Line(cancel.RunId, run.Stage, "cancel requested"));
            run.Coordinator?.Tell(cancel);
            Reply(new CancelRunResponse(cancel.RunId, CancelOutcome.Cancelling));
        }
        else
        {
            End(run, new RunCancelled(cancel.RunId, QueueStage));
            Reply(new CancelRunResponse(cancel.RunId, CancelOutcome.Cancelled));
        }
    }

    private void Follow(FollowRun follow)
    {
        if (_active.TryGetValue(follow.RunId, out var run))
        {
            Context.Watch(follow.Follower);
            _active = _active.SetItem(follow.RunId, run with { Followers = run.Followers.Add(follow.Follower) });
            Reply(new RunSubscription(follow.RunId, true, [.. run.SoFar]));
        }
        else
        {
            Reply(new RunSubscription(follow.RunId, false, []));
        }
    }

    private void FollowAll(FollowAllRuns follow)
    {
        Context.Watch(follow.Follower);
        _watchers = _watchers.Add(follow.Follower);
        Reply(new AllRunsFollowed([.. _active.Values.SelectMany(r => r.SoFar)]));
    }

    /// <summary>Events from the coordinators; those of a run already ended here (cut short at shutdown) are dropped.</summary>
    private void OnRunEvent(IRunEvent e)
    {
        if (!_active.TryGetValue(e.RunId, out var run))
        {
            return;
        }

        switch (e)
        {
            case StageStarted s:
                Record(e.RunId, j => j.StageStarted(e.RunId, s.Stage, Now));
                _active = _active.SetItem(e.RunId, run with { Stage = s.Stage });
                break;
            case StageCompleted c:
                Record(e.RunId, j => j.StageCompleted(e.RunId, c.Stage, c.Detail, c.Elapsed, Now));
                break;
            case EpochCompleted m:
                Record(e.RunId, j => j.EpochRecorded(e.RunId, m.Metrics, m.Elapsed, Now));
                break;
            case RunCancelled c when _queue.Stopping && c.Reason is null:
                End(run, c with { Reason = ShutDownReason });
                return;
            case RunSucceeded or RunFailed or RunCancelled:
                End(run, e);
                return;
        }

        Publish(e.RunId, e);
    }

    private void OnTerminated(Terminated terminated)
    {
        if (!_slots.TryGetValue(terminated.ActorRef, out var runId))
        {
            // A follower went away (its HTTP stream closed): stop sending it events.
            _watchers = _watchers.Remove(terminated.ActorRef);
            foreach (var (id, run) in _active.Where(r => r.Value.Followers.Contains(terminated.ActorRef)))
            {
                _active = _active.SetItem(id, run with { Followers = run.Followers.Remove(terminated.ActorRef) });
            }

            return;
        }

        _slots = _slots.Remove(terminated.ActorRef);
        _queue = _queue.Released(runId);

        // A coordinator that stopped without an outcome broke on a bug: the run must still end, for its listener and the record.
        if (_active.TryGetValue(runId, out var broken) && terminated.ActorRef.Equals(broken.Coordinator))
        {
            _log.Error(RunLog.Line(runId, broken.Stage, "the run's coordinator stopped without an outcome"));
            End(broken, new RunFailed(runId, broken.Stage, "the run's coordinator stopped unexpectedly"));
        }

        StartWaiting();
    }

    private void StopAll(StopAllRuns stop)
    {
        if (!Sender.IsNobody())
        {
            _stopRequesters = _stopRequesters.Add(Sender);
        }

        if (_queue.Stopping)
        {
            AnswerStopWhenDone();
            return;
        }

        _log.Info(RunLog.Line("-", Stage.Run, $"stopping: {_queue.WaitingCount} queued and {_slots.Count} running runs are cancelled"));
        var (queue, cancelled) = _queue.Stop();
        _queue = queue;
        foreach (var id in cancelled)
        {
            End(_active[id], new RunCancelled(id, QueueStage, ShutDownReason));
        }

        foreach (var run in _active.Values)
        {
            run.Coordinator?.Tell(new CancelRun(run.Request.RunId));
        }

        Timers.StartSingleTimer(nameof(StopDeadline), StopDeadline.Instance, stop.Grace);
        AnswerStopWhenDone();
    }

    /// <summary>Runs that did not stop within the grace period are recorded as cancelled now; the process is going away.</summary>
    private void ForceStop()
    {
        foreach (var run in _active.Values)
        {
            _log.Warning(RunLog.Line(run.Request.RunId, run.Stage, "did not stop in time; recorded as cancelled"));
            End(run, new RunCancelled(run.Request.RunId, run.Stage, $"{ShutDownReason} before the run could stop"));
        }
    }

    private void StartWaiting()
    {
        var (queue, start) = _queue.StartWaiting();
        _queue = queue;
        foreach (var runId in start)
        {
            var run = _active[runId];
            var coordinator = Context.ActorOf(PipelineRunActor.Props(run.Request with { ReplyTo = Self }, _stages, _trainers), $"run-{runId}");
            Context.Watch(coordinator);
            _slots = _slots.Add(coordinator, runId);
            _active = _active.SetItem(runId, run with { Coordinator = coordinator, Stage = Stage.Load });
            Record(runId, j => j.RunStarted(runId, Now));
            Publish(runId, new RunStarted(runId));
        }
    }

    /// <summary>Keeps the event for followers who come later and hands it to the listener and current followers.</summary>
    private void Publish(string runId, IRunEvent e)
    {
        var run = _active[runId];
        _active = _active.SetItem(runId, run with { SoFar = run.SoFar.Add(e) });
        run.Request.ReplyTo.Tell(e);
        foreach (var follower in run.Followers.Union(_watchers))
        {
            follower.Tell(e);
        }
    }

    /// <summary>Records the outcome, tells everyone who listens, and forgets the run: from now on the journal has it.</summary>
    private void End(ActiveRun run, IRunEvent outcome)
    {
        var runId = run.Request.RunId;
        Record(runId, j => j.RunFinished(runId, outcome, Now));
        Publish(runId, outcome);
        _active = _active.Remove(runId);
        _queue = _queue.Ended(runId);
        if (outcome is RunCancelled { Stage: QueueStage } c)
        {
            _log.Info(RunLog.Line(runId, QueueStage, $"cancelled before it started{(c.Reason is null ? "" : $": {c.Reason}")}"));
        }

        AnswerStopWhenDone();
    }

    private void AnswerStopWhenDone()
    {
        if (!_queue.Stopping || !_active.IsEmpty)
        {
            return;
        }

        if (!_stopped)
        {
            _stopped = true;
            Timers.Cancel(nameof(StopDeadline));
            _log.Info(RunLog.Line("-", Stage.Run, "every run has stopped"));
        }

        foreach (var requester in _stopRequesters)
        {
            requester.Tell(AllRunsStopped.Instance);
        }

        _stopRequesters = [];
    }

    /// <summary>A journal that fails (a full disk) must not take the queue down with it: the run goes on unrecorded.</summary>
    private void Record(string runId, Action<IRunJournal> write)
    {
        try
        {
            write(_journal);
        }
        catch (Exception ex)
        {
            _log.Error(ex, RunLog.Line(runId, "store", $"could not record the run's state: {ex.Message}"));
        }
    }

    /// <summary>Replies go to the sender only when there is one: the CLI tells runs without asking.</summary>
    private void Reply(object message)
    {
        if (!Sender.IsNobody())
        {
            Sender.Tell(message);
        }
    }

    private DateTimeOffset Now => _clock.GetUtcNow();
}
