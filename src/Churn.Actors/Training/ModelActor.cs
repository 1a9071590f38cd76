using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Churn.Actors.Messages;
using Churn.Numerics;
using Churn.Numerics.Model;

namespace Churn.Actors.Training;

/// <summary>
/// Owns one TorchSharp network and its native memory. Trains one epoch per message so that a stop request gets
/// through between epochs; a device it cannot use makes it fail, and its supervisor (the trainer) decides what next.
/// </summary>
public sealed class ModelActor : ReceiveActor
{
    private sealed record Begin
    {
        public static readonly Begin Instance = new();
    }

    private sealed record TrainEpoch(int Epoch);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TrainModel _request;
    private readonly string _device;
    private readonly SessionFactory _sessions;
    private readonly Stopwatch _clock = new();
    private readonly Stopwatch _inSession = new();
    private TrainingSession? _session;
    private ModelState _state;

    public ModelActor(TrainModel request, string device, SessionFactory sessions)
    {
        _request = request;
        _device = device;
        _sessions = sessions;
        _state = ModelState.Start(request.Config);
        Receive<Begin>(_ => Start());
        Receive<TrainEpoch>(m => RunEpoch(m.Epoch));
        Receive<ResumeTraining>(_ =>
        {
            (_state, var next) = _state.Resumed();
            if (next is { } epoch)
            {
                Self.Tell(new TrainEpoch(epoch));
            }
        });
        Receive<StopTraining>(_ =>
        {
            _log.Info(Line($"stopped at epoch {_state.Epoch}"));
            Finish(new TrainingStopped(_request.RunId, _state.Epoch));
        });
    }

    /// <summary>
    /// Each model actor gets a thread of its own. Epochs keep a model actor's mailbox busy back to back; on the shared
    /// dispatcher two of them held both of a 2-core machine's pool threads and a search's cancel, relayed through the
    /// coordinator, trial and trainer actors, waited seconds for a thread. Pinned, the actors that coordinate always
    /// find a free pool thread, and torch's per-thread settings and dispose scopes stay on one thread per network.
    /// </summary>
    public const string Dispatcher = "churn.training-dispatcher";

    internal const string DispatcherHocon = Dispatcher + " { type = PinnedDispatcher }";

    public static Props Props(TrainModel request, string device, SessionFactory sessions) =>
        Akka.Actor.Props.Create(() => new ModelActor(request, device, sessions)).WithDispatcher(Dispatcher);

    protected override void PreStart() => Self.Tell(Begin.Instance);

    protected override void PostStop()
    {
        _session?.Dispose();
        _session = null;
    }

    private void Start()
    {
        _clock.Start();
        var splits = _request.Splits;
        _inSession.Start();
        var created = _sessions(_request.Config, splits.Train, splits.Validation, _request.Seed, _device, _request.Threads, _request.ClassWeights, _request.PopulationRate);
        _inSession.Stop();
        switch (created)
        {
            case Result<TrainingSession>.Ok ok:
                _session = ok.Value;
                var c = _request.Config;
                var kind = c.Kind == ModelKind.Plr ? $"PLR ({c.Members} members{(c.Distils ? $" distilled into one over {c.DistilEpochs} epochs" : "")}, {c.Frequencies} frequencies, embedding {c.EmbeddingSize}) + " : "";
                _log.Info(Line($"network {kind}{c.Depth}x{c.Width} {c.Activation} on {_device}, {splits.Train.Rows} training rows"));
                Self.Tell(new TrainEpoch(1));
                break;
            case Result<TrainingSession>.Error error when _device != "cpu":
                throw new DeviceFailedException(_device, error.Problem.Reason);
            case Result<TrainingSession>.Error error:
                Finish(new TrainingFailed(_request.RunId, 0, error.Problem));
                break;
        }
    }

    private void RunEpoch(int epoch)
    {
        _state = _state.Training(epoch);
        var session = _session ?? throw new InvalidOperationException("an epoch arrived before the session exists");
        var before = _inSession.Elapsed;
        _inSession.Start();
        var ran = session.RunEpoch(epoch);
        _inSession.Stop();
        switch (ran)
        {
            case Result<EpochMetrics>.Error error:
                Finish(new TrainingFailed(_request.RunId, epoch, error.Problem));
                return;
            case Result<EpochMetrics>.Ok ok:
                var metrics = ok.Value;
                (_state, var decision, var next) = _state.Observed(metrics.ValidationLoss, _request.Config.EpochLimit, _request.HoldAfter);
                if (decision == StopDecision.Improved)
                {
                    _inSession.Start();
                    session.KeepBest();
                    _inSession.Stop();
                }

                var epochTime = _inSession.Elapsed - before;
                _log.Info(Line($"epoch {epoch} train loss {metrics.TrainLoss:F4} acc {metrics.TrainAccuracy:F4} val loss {metrics.ValidationLoss:F4} acc {metrics.ValidationAccuracy:F4} {decision} in {epochTime.TotalMilliseconds:F1} ms"));
                Context.Parent.Tell(new EpochCompleted(_request.RunId, metrics, _clock.Elapsed, _inSession.Elapsed, epochTime));
                if (next == ModelNext.Finish)
                {
                    var model = session.Finish();
                    _log.Info(Line($"finished after {model.EpochsRun} epochs; best epoch {model.BestEpoch}"));
                    Finish(new ModelTrained(_request.RunId, model));
                }
                else if (next == ModelNext.Hold)
                {
                    // A rung of a search: wait here, holding the network, until the search decides.
                    Context.Parent.Tell(new TrainingHeld(_request.RunId, epoch));
                }
                else
                {
                    Self.Tell(new TrainEpoch(epoch + 1));
                }

                return;
        }
    }

    private void Finish(object outcome)
    {
        Context.Parent.Tell(outcome);
        Context.Stop(Self);
    }

    private RunLogLine Line(string message) => RunLog.Line(_request.RunId, Stage.Train, message);
}
