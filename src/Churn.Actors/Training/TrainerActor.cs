using Akka.Actor;
using Akka.Event;
using Churn.Actors.Messages;
using Churn.Numerics;
using Churn.Numerics.Model;

namespace Churn.Actors.Training;

/// <summary>
/// Supervises the model actor of one run. If the model actor fails on a GPU device, the trainer starts a new one on the
/// CPU (one warning names the device and the reason); any other failure ends training with a clear reason, never a
/// crash of the host.
/// </summary>
public sealed class TrainerActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SessionFactory _sessions;
    private readonly DeviceProbe _probe;
    private TrainModel? _request;
    private TrainerState<IActorRef> _state = TrainerState<IActorRef>.On("cpu");

    public TrainerActor(SessionFactory sessions, DeviceProbe probe)
    {
        _sessions = sessions;
        _probe = probe;
        Receive<TrainModel>(Start);
        Receive<EpochCompleted>(m =>
        {
            _state = _state.Epoch(m.Metrics.Epoch);
            _request?.ReplyTo.Tell(m);
        });
        Receive<ModelTrained>(Complete);
        Receive<TrainingFailed>(Complete);
        Receive<TrainingStopped>(Complete);
        Receive<TrainingHeld>(m => _request?.ReplyTo.Tell(m));
        Receive<ResumeTraining>(m =>
        {
            if (_state.Training)
            {
                _state.Model!.Tell(m);
            }
        });
        Receive<StopTraining>(m =>
        {
            if (_state.Training)
            {
                _state.Model!.Tell(m);
            }
        });
        Receive<Terminated>(OnModelStopped);
    }

    public static Props Props(SessionFactory sessions, DeviceProbe probe) =>
        Akka.Actor.Props.Create(() => new TrainerActor(sessions, probe));

    public static Props Props() => Props(TrainingSession.Create, Devices.Probe);

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(
            ex =>
            {
                var description = $"{ex.GetType().Name}: {ex.Message}";
                _state = _state.Broke(new TrainerBreakage(description, ex is DeviceFailedException d ? d.Reason : description));
                return Directive.Stop;
            },
            false);

    private void Start(TrainModel request)
    {
        _request = request;
        _state = TrainerState<IActorRef>.On(ChooseDevice(request.Device));
        SpawnModel();
    }

    /// <summary>An explicit device is tried as asked (and falls back if it fails); auto takes the first that works.</summary>
    private string ChooseDevice(DeviceChoice choice)
    {
        switch (choice)
        {
            case DeviceChoice.Cpu:
                return "cpu";
            case DeviceChoice.Cuda:
                return "cuda";
            case DeviceChoice.Mps:
                return "mps";
            default:
                foreach (var candidate in new[] { "mps", "cuda" })
                {
                    if (_probe(candidate) is Result<string>.Error error)
                    {
                        _log.Debug(Line($"auto device: {candidate} not used: {error.Problem.Reason}"));
                    }
                    else
                    {
                        return candidate;
                    }
                }

                return "cpu";
        }
    }

    private void SpawnModel()
    {
        var model = Context.ActorOf(ModelActor.Props(_request!, _state.Device, _sessions), $"model-{_state.Device}");
        Context.Watch(model);
        _state = _state.Spawned(model);
    }

    private void Complete(object outcome)
    {
        _state = _state.Completed();
        _request?.ReplyTo.Tell(outcome);
    }

    private void OnModelStopped(Terminated terminated)
    {
        (_state, var step) = _state.ModelStopped(terminated.ActorRef);
        switch (step)
        {
            case TrainerStep.FallBack fallBack:
                _log.Warning(Line($"device '{fallBack.Device}' failed: {fallBack.Reason}; falling back to cpu"));
                _request!.ReplyTo.Tell(new DeviceFellBack(_request.RunId, fallBack.Device, fallBack.Reason));
                SpawnModel();
                break;
            case TrainerStep.Fail fail:
                _log.Error(Line($"training failed at epoch {fail.Epoch}: {fail.Cause}"));
                _request!.ReplyTo.Tell(new TrainingFailed(_request.RunId, fail.Epoch, new Problem($"epoch {fail.Epoch}: {fail.Cause}")));
                break;
        }
    }

    private RunLogLine Line(string message) => RunLog.Line(_request?.RunId ?? "-", Stage.Train, message);
}
