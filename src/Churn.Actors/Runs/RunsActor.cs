using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Churn.Actors.Messages;
using Churn.Actors.Pipeline;

namespace Churn.Actors.Runs;

/// <summary>
/// Spawns one pipeline coordinator per run, runs at most N at a time and queues the rest. A failing run ends that run
/// only: coordinators report their own failures and this actor keeps going.
/// </summary>
public sealed class RunsActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PipelineStages _stages;
    private readonly Func<IUntypedActorContext, IActorRef> _trainers;
    private readonly int _maxConcurrent;
    private ImmutableQueue<RunPipeline> _queue = [];
    private ImmutableDictionary<string, IActorRef> _running = ImmutableDictionary<string, IActorRef>.Empty;
    private ImmutableDictionary<string, RunPipeline> _requests = ImmutableDictionary<string, RunPipeline>.Empty;
    private ImmutableHashSet<string> _ended = [];

    public RunsActor(PipelineStages stages, Func<IUntypedActorContext, IActorRef> trainers, int maxConcurrent)
    {
        _stages = stages;
        _trainers = trainers;
        _maxConcurrent = Math.Max(1, maxConcurrent);
        Receive<RunPipeline>(run =>
        {
            _queue = _queue.Enqueue(run);
            _log.Info(RunLog.Line(run.RunId, "queue", $"queued ({_queue.Count()} waiting, {_running.Count} running)"));
            StartWaiting();
        });
        Receive<CancelRun>(cancel =>
        {
            if (_running.TryGetValue(cancel.RunId, out var coordinator))
            {
                coordinator.Forward(cancel);
                return;
            }

            var waiting = _queue.FirstOrDefault(r => r.RunId == cancel.RunId);
            if (waiting is not null)
            {
                _queue = [.. _queue.Where(r => r.RunId != cancel.RunId)];
                _log.Info(RunLog.Line(cancel.RunId, "queue", "cancelled before it started"));
                waiting.ReplyTo.Tell(new RunCancelled(cancel.RunId, "queue"));
            }
        });
        Receive<RunSucceeded>(m => _ended = _ended.Add(m.RunId));
        Receive<RunFailed>(m => _ended = _ended.Add(m.RunId));
        Receive<RunCancelled>(m => _ended = _ended.Add(m.RunId));
        Receive<Terminated>(t =>
        {
            var finished = _running.FirstOrDefault(r => r.Value.Equals(t.ActorRef));
            if (finished.Key is null)
            {
                return;
            }

            // A coordinator that stopped without an outcome broke on a bug: its listener must still hear the end.
            if (!_ended.Contains(finished.Key) && _requests.TryGetValue(finished.Key, out var request))
            {
                _log.Error(RunLog.Line(finished.Key, Stage.Run, "the run's coordinator stopped without an outcome"));
                request.ReplyTo.Tell(new RunFailed(finished.Key, Stage.Run, "the run's coordinator stopped unexpectedly"));
            }

            _running = _running.Remove(finished.Key);
            _requests = _requests.Remove(finished.Key);
            _ended = _ended.Remove(finished.Key);
            StartWaiting();
        });
    }

    public static Props Props(PipelineStages stages, Func<IUntypedActorContext, IActorRef> trainers, int maxConcurrent) =>
        Akka.Actor.Props.Create(() => new RunsActor(stages, trainers, maxConcurrent));

    /// <summary>A run's own coordinator failing is that run's failure, never a reason to restart the others.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop, false);

    private void StartWaiting()
    {
        while (_running.Count < _maxConcurrent && !_queue.IsEmpty)
        {
            _queue = _queue.Dequeue(out var run);
            var coordinator = Context.ActorOf(PipelineRunActor.Props(run, _stages, _trainers), $"run-{run.RunId}");
            Context.Watch(coordinator);
            _running = _running.Add(run.RunId, coordinator);
            _requests = _requests.SetItem(run.RunId, run);
        }
    }
}
