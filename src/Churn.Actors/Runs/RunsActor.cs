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
    private sealed record StopDeadline
    {
        public static readonly StopDeadline Instance = new();
    }

    private const string QueueStage = RunsState<IActorRef>.QueueStage;
    private const string ShutDownReason = RunsState<IActorRef>.ShutDownReason;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PipelineStages _stages;
    private readonly Func<IUntypedActorContext, IActorRef> _trainers;
    private readonly IRunJournal _journal;
    private readonly TimeProvider _clock;
    private RunsState<IActorRef> _state;

    public RunsActor(PipelineStages stages, Func<IUntypedActorContext, IActorRef> trainers, int maxConcurrent, IRunJournal journal, TimeProvider clock, int maxQueued = int.MaxValue)
    {
        _stages = stages;
        _trainers = trainers;
        _state = RunsState<IActorRef>.Empty(maxConcurrent, maxQueued);
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
        var (state, admission) = _state.Accept(run, run.ReplyTo);
        if (admission.Refused is { } refused)
        {
            var reason = _state.Explain(refused);
            _log.Warning(RunLog.Line(run.RunId, QueueStage, $"refused: {reason}"));
            Reply(new RunRejected(run.RunId, reason, refused));
            return;
        }

        _state = state;
        var at = Now;
        Record(run.RunId, j => j.RunQueued(run.RunId, run.Settings, at));
        var position = admission.Position;
        _log.Info(RunLog.Line(run.RunId, QueueStage, position == 0 ? "accepted; starting now" : $"queued at position {position} ({_state.Running} running)"));
        Publish(new RunQueued(run.RunId, position, at, run.Settings, run.Labels ?? RunLabels.None));
        Reply(new RunAccepted(run.RunId, position));
        StartWaiting();
    }

    private void Cancel(CancelRun cancel)
    {
        (_state, var outcome, var run) = _state.Cancel(cancel.RunId);
        switch (outcome)
        {
            case QueuedCancel.SignalCoordinator:
                _log.Info(RunLog.Line(cancel.RunId, run!.Stage, "cancel requested"));
                run.Coordinator?.Tell(cancel);
                Reply(new CancelRunResponse(cancel.RunId, CancelOutcome.Cancelling));
                break;
            case QueuedCancel.RemovedFromQueue:
                End(new RunCancelled(cancel.RunId, QueueStage));
                Reply(new CancelRunResponse(cancel.RunId, CancelOutcome.Cancelled));
                break;
            default:
                Reply(new CancelRunResponse(cancel.RunId, CancelOutcome.NotActive));
                break;
        }
    }

    private void Follow(FollowRun follow)
    {
        (_state, var subscription) = _state.Follow(follow.RunId, follow.Follower);
        if (subscription.Active)
        {
            Context.Watch(follow.Follower);
        }

        Reply(subscription);
    }

    private void FollowAll(FollowAllRuns follow)
    {
        Context.Watch(follow.Follower);
        (_state, var followed) = _state.FollowAll(follow.Follower);
        Reply(followed);
    }

    /// <summary>Events from the coordinators; those of a run already ended here (cut short at shutdown) are dropped.</summary>
    private void OnRunEvent(IRunEvent e)
    {
        (_state, var route, var routed) = _state.Observe(e);
        if (route == EventRoute.Drop)
        {
            return;
        }

        switch (routed)
        {
            case StageStarted s:
                Record(e.RunId, j => j.StageStarted(e.RunId, s.Stage, Now));
                break;
            case StageCompleted c:
                Record(e.RunId, j => j.StageCompleted(e.RunId, c.Stage, c.Detail, c.Elapsed, Now));
                break;
            case EpochCompleted m:
                Record(e.RunId, j => j.EpochRecorded(e.RunId, m.Metrics, m.Elapsed, Now));
                break;
        }

        if (route == EventRoute.End)
        {
            End(routed);
        }
        else
        {
            Publish(routed);
        }
    }

    private void OnTerminated(Terminated terminated)
    {
        // A follower that went away (its HTTP stream closed) only stops getting events.
        (_state, var released, var broken) = _state.Terminated(terminated.ActorRef);
        if (!released)
        {
            return;
        }

        // A coordinator that stopped without an outcome broke on a bug: the run must still end, for its listener and the record.
        if (broken is not null)
        {
            _log.Error(RunLog.Line(broken.RunId, broken.Stage, "the run's coordinator stopped without an outcome"));
            End(new RunFailed(broken.RunId, broken.Stage, "the run's coordinator stopped unexpectedly"));
        }

        StartWaiting();
    }

    private void StopAll(StopAllRuns stop)
    {
        (_state, var first) = _state.StopRequested(Sender.IsNobody() ? null : Sender);
        if (!first)
        {
            AnswerStopWhenDone();
            return;
        }

        _log.Info(RunLog.Line("-", Stage.Run, $"stopping: {_state.Queue.WaitingCount} queued and {_state.Running} running runs are cancelled"));
        (_state, var cancelled) = _state.Stop();
        foreach (var run in cancelled)
        {
            End(new RunCancelled(run.RunId, QueueStage, ShutDownReason));
        }

        foreach (var (coordinator, runId) in _state.Active.Values.Where(r => r.Coordinator is not null).Select(r => (r.Coordinator!, r.RunId)))
        {
            coordinator.Tell(new CancelRun(runId));
        }

        Timers.StartSingleTimer(nameof(StopDeadline), StopDeadline.Instance, stop.Grace);
        AnswerStopWhenDone();
    }

    /// <summary>Runs that did not stop within the grace period are recorded as cancelled now; the process is going away.</summary>
    private void ForceStop()
    {
        foreach (var run in _state.Active.Values)
        {
            _log.Warning(RunLog.Line(run.RunId, run.Stage, "did not stop in time; recorded as cancelled"));
            End(new RunCancelled(run.RunId, run.Stage, $"{ShutDownReason} before the run could stop"));
        }
    }

    private void StartWaiting()
    {
        (_state, var start) = _state.StartWaiting();
        foreach (var run in start)
        {
            var runId = run.RunId;
            var coordinator = Context.ActorOf(PipelineRunActor.Props(run.Request with { ReplyTo = Self }, _stages, _trainers), $"run-{runId}");
            Context.Watch(coordinator);
            _state = _state.Started(runId, coordinator);
            var at = Now;
            Record(runId, j => j.RunStarted(runId, at));
            Publish(new RunStarted(runId, at));
        }
    }

    private void Publish(IRunEvent e)
    {
        (_state, var to) = _state.Publish(e);
        foreach (var recipient in to)
        {
            recipient.Tell(e);
        }
    }

    /// <summary>Records the outcome, tells everyone who listens, and forgets the run: from now on the journal has it.</summary>
    private void End(IRunEvent ended)
    {
        var at = Now;
        var outcome = RunsState<IActorRef>.Stamped(ended, at);
        var runId = outcome.RunId;
        Record(runId, j => j.RunFinished(runId, outcome, at));
        (_state, var to) = _state.End(outcome);
        foreach (var recipient in to)
        {
            recipient.Tell(outcome);
        }

        if (outcome is RunCancelled { Stage: QueueStage } c)
        {
            _log.Info(RunLog.Line(runId, QueueStage, $"cancelled before it started{(c.Reason is null ? "" : $": {c.Reason}")}"));
        }

        AnswerStopWhenDone();
    }

    private void AnswerStopWhenDone()
    {
        (_state, var answer) = _state.AnswerStop();
        if (answer is null)
        {
            return;
        }

        if (answer.First)
        {
            Timers.Cancel(nameof(StopDeadline));
            _log.Info(RunLog.Line("-", Stage.Run, "every run has stopped"));
        }

        foreach (var requester in answer.Requesters)
        {
            requester.Tell(AllRunsStopped.Instance);
        }
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
