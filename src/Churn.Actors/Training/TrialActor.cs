using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Churn.Actors.Messages;
using Churn.Numerics.Search;

namespace Churn.Actors.Training;

/// <summary>
/// One trial of a search: one configuration with one seed. It supervises its own trainer (and so its own model actor
/// and TorchSharp network), passes each epoch to the coordinator, pauses at the search's rungs until told to go on or
/// stop, and ends with exactly one report. Whatever breaks inside it ends this trial only, as a failure with a reason.
/// </summary>
public sealed class TrialActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RunTrial _run;
    private readonly Func<IUntypedActorContext, IActorRef> _trainerFactory;
    private readonly Stopwatch _clock = new();

    // Time paused at rungs waiting for the scheduler is neither training nor actor overhead; it is left out of the wall time.
    private readonly Stopwatch _waiting = new();
    private IActorRef? _trainer;
    private TrialState _state = TrialState.Start;

    public TrialActor(RunTrial run, Func<IUntypedActorContext, IActorRef> trainerFactory)
    {
        _run = run;
        _trainerFactory = trainerFactory;
        Receive<EpochCompleted>(m =>
        {
            _state = _state.Epoch(m.InSession);
            _run.ReplyTo.Tell(new TrialProtocol.EpochDone(Index, m.Metrics));
        });
        // The trial's own trainer already logged it; the search reports the trial's outcome.
        Receive<DeviceFellBack>(_ => { });
        Receive<TrainingHeld>(m =>
        {
            _waiting.Start();
            _run.ReplyTo.Tell(new TrialProtocol.Held(Index, m.Epoch));
        });
        Receive<ModelTrained>(m =>
        {
            if (_run.KeepModel)
            {
                _run.ReplyTo.Tell(new TrialProtocol.ModelKept(Index, m.Model));
            }
            End(new TrialProtocol.Completed(Index, Wall, _state.InSession), $"completed after {m.Model.EpochsRun} epochs, best epoch {m.Model.BestEpoch}");
        });
        Receive<TrainingFailed>(m => End(new TrialProtocol.Failed(Index, m.Problem.Reason, Wall, _state.InSession), $"failed: {m.Problem.Reason}"));
        Receive<TrainingStopped>(m => End(new TrialProtocol.Stopped(Index, Wall, _state.InSession), $"stopped after epoch {m.Epoch}"));
        Receive<TrialProtocol.Continue>(_ =>
        {
            _waiting.Stop();
            _trainer?.Tell(new ResumeTraining(RunId));
        });
        Receive<TrialProtocol.Stop>(_ =>
        {
            _waiting.Stop();
            _trainer?.Tell(new StopTraining(RunId));
        });
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_trainer))
            {
                Fail("the trainer stopped without an outcome");
            }
        });
    }

    public static Props Props(RunTrial run, Func<IUntypedActorContext, IActorRef> trainerFactory) =>
        Akka.Actor.Props.Create(() => new TrialActor(run, trainerFactory));

    private int Index => _run.Trial.Index;

    private TimeSpan Wall => _clock.Elapsed - _waiting.Elapsed;

    /// <summary>The run id the trainer logs under: search and trial, so one trial can be followed through the logs.</summary>
    private string RunId => $"{_run.SearchId}/trial-{Numbering.Number(Index)}";

    /// <summary>A trainer that throws ends this trial as failed; the search and the other trials go on.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => Supervision.BrokenTrainerFailsTheRun(Fail);

    protected override void PreStart()
    {
        _clock.Start();
        var t = _run.Trial;
        _log.Info(RunLog.Line(_run.SearchId, Stage.Train, trial: Numbering.Number(Index), message: $"trial {Numbering.Number(Index)} (configuration {Numbering.Number(t.Configuration)}, seed {Numbering.Number(t.Replicate)}) started"));
        _trainer = _trainerFactory(Context);
        Context.Watch(_trainer);
        // Threads 0: the search has set torch's process-wide thread count once for all its trials.
        _trainer.Tell(new TrainModel(RunId, _run.Splits, t.Config, _run.Device, t.Seed, 0, Self, _run.HoldAfter, _run.ClassWeights, _run.PopulationRate));
    }

    private void Fail(string reason) => End(new TrialProtocol.Failed(Index, reason, Wall, _state.InSession), $"failed: {reason}");

    private void End(TrialProtocol.ITrialReport report, string message)
    {
        (_state, var first) = _state.End();
        if (!first)
        {
            return;
        }
        _log.Info(RunLog.Line(_run.SearchId, Stage.Train, trial: Numbering.Number(Index), message: $"trial {Numbering.Number(Index)} {message} in {Wall.TotalMilliseconds:F0} ms (and {_waiting.ElapsedMilliseconds} ms waiting at rungs)"));
        _run.ReplyTo.Tell(report);
        Context.Stop(Self);
    }
}
