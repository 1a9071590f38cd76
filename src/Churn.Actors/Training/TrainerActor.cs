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
    private IActorRef? _model;
    private string _device = "cpu";
    private Exception? _failure;
    private int _lastEpoch;
    private bool _done;

    public TrainerActor(SessionFactory sessions, DeviceProbe probe)
    {
        _sessions = sessions;
        _probe = probe;
        Receive<TrainModel>(Start);
        Receive<EpochCompleted>(m =>
        {
            _lastEpoch = m.Metrics.Epoch;
            _request?.ReplyTo.Tell(m);
        });
        Receive<ModelTrained>(Complete);
        Receive<TrainingFailed>(Complete);
        Receive<TrainingStopped>(Complete);
        Receive<TrainingHeld>(m => _request?.ReplyTo.Tell(m));
        Receive<ResumeTraining>(m =>
        {
            if (_model is not null && !_done)
            {
                _model.Tell(m);
            }
        });
        Receive<StopTraining>(m =>
        {
            if (_model is not null && !_done)
            {
                _model.Tell(m);
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
                _failure = ex;
                return Directive.Stop;
            },
            false);

    private void Start(TrainModel request)
    {
        _request = request;
        _device = ChooseDevice(request.Device);
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
        _model = Context.ActorOf(ModelActor.Props(_request!, _device, _sessions), $"model-{_device}");
        Context.Watch(_model);
    }

    private void Complete(object outcome)
    {
        _done = true;
        _request?.ReplyTo.Tell(outcome);
    }

    private void OnModelStopped(Terminated terminated)
    {
        if (!terminated.ActorRef.Equals(_model) || _done || _request is null)
        {
            return;
        }

        var failure = _failure;
        _failure = null;
        if (failure is not null && _device != "cpu")
        {
            var reason = failure is DeviceFailedException d ? d.Reason : $"{failure.GetType().Name}: {failure.Message}";
            _log.Warning(Line($"device '{_device}' failed: {reason}; falling back to cpu"));
            _request.ReplyTo.Tell(new DeviceFellBack(_request.RunId, _device, reason));
            _device = "cpu";
            SpawnModel();
            return;
        }

        var epoch = _lastEpoch + 1;
        var cause = failure is null ? "the model actor stopped unexpectedly" : $"{failure.GetType().Name}: {failure.Message}";
        _log.Error(Line($"training failed at epoch {epoch}: {cause}"));
        Complete(new TrainingFailed(_request.RunId, epoch, new Problem($"epoch {epoch}: {cause}")));
    }

    private RunLogLine Line(string message) => RunLog.Line(_request?.RunId ?? "-", Stage.Train, message);
}
