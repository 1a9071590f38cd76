using Akka.Actor;
using Akka.Event;
using Churn.Actors.Messages;
using Churn.Numerics.Model;

namespace Churn.Actors.Cluster;

/// <summary>
/// Trains trials on one node: the host's own slots, a worker's, or (in one process) the search's. It keeps each
/// search's splits by their SHA-256, checked when they arrive; starts each trial actor here (so its trainer and its
/// TorchSharp model actor live on this node), passes the trial's reports to its coordinator, and carries the
/// coordinator's go-on and stop orders to the trial. A trial actor that stops without its report is that trial's failure.
/// </summary>
public sealed class TrialNodeActor : ReceiveActor
{
    /// <summary>
    /// This many splits are kept at once (a search that chooses its data ships one per preparation, at most 16: 4
    /// balancings x up to 4 feature sets); older ones are dropped (a search needing them again re-sends them).
    /// </summary>
    public const int KeptSplits = 32;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _name;
    private readonly Func<IUntypedActorContext, RunTrial, IActorRef> _trialFactory;
    private TrialNodeState<IActorRef> _state = TrialNodeState<IActorRef>.Empty;

    public TrialNodeActor(string name, Func<IUntypedActorContext, RunTrial, IActorRef> trialFactory)
    {
        _name = name;
        _trialFactory = trialFactory;
        Receive<NodeProtocol.SupplySplits>(OnSplits);
        Receive<NodeProtocol.StartTrial>(OnStart);
        Receive<NodeProtocol.TrialCommand>(OnCommand);
        Receive<TrialProtocol.ITrialReport>(OnReport);
        Receive<Terminated>(OnTerminated);
    }

    public static Props Props(string name, Func<IUntypedActorContext, RunTrial, IActorRef> trialFactory) =>
        Akka.Actor.Props.Create(() => new TrialNodeActor(name, trialFactory));

    /// <summary>A trial actor that throws ends as that trial's failure (its <see cref="Terminated"/> comes without a report).</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop, false);

    private void OnSplits(NodeProtocol.SupplySplits m)
    {
        var digest = SplitsCodec.Digest(m.Splits);
        if (digest != m.Digest)
        {
            // Refused: every trial started on them then fails with the reason, and the search shows it.
            _log.Error(RunLog.Line(m.SearchId, "search", $"node {_name}: splits arrived with SHA-256 {digest[..12]}, not the {m.Digest[..Math.Min(12, m.Digest.Length)]} they were sent as; refused"));
            return;
        }
        (_state, var added) = _state.SplitsArrived(digest, m.Splits, KeptSplits);
        if (!added)
        {
            return;
        }
        var s = m.Splits;
        _log.Info(RunLog.Line(m.SearchId, "search", $"node {_name}: splits {digest[..12]} arrived and checked ({s.Train.Rows}/{s.Validation.Rows}/{s.Test.Rows} rows)"));
    }

    private void OnStart(NodeProtocol.StartTrial m)
    {
        var splits = _state.SplitsOf(m.Digest);
        if (splits is null)
        {
            m.Coordinator.Tell(new TrialProtocol.Failed(m.Trial.Index, $"node {_name} holds no splits {m.Digest[..Math.Min(12, m.Digest.Length)]} (they never arrived or failed their SHA-256 check)", TimeSpan.Zero, TimeSpan.Zero));
            return;
        }
        // Set for the node's trials, so S trials at once use the cores without oversubscribing them.
        TorchThreads.Use(m.Threads);
        var actor = _trialFactory(Context, new RunTrial(m.SearchId, m.Trial, splits, m.Device, m.HoldAfter, Self, m.ClassWeights, m.PopulationRate));
        Context.Watch(actor);
        _state = _state.Started(actor, m.SearchId, m.Trial.Index, m.Coordinator);
    }

    private void OnCommand(NodeProtocol.TrialCommand m)
    {
        var (found, actor) = _state.ActorOf(m.SearchId, m.Trial);
        if (!found)
        {
            return;
        }
        switch (m.Order)
        {
            case NodeProtocol.TrialOrder.Continue:
                actor.Tell(TrialProtocol.Continue.Instance);
                break;
            case NodeProtocol.TrialOrder.Stop:
                actor.Tell(TrialProtocol.Stop.Instance);
                break;
            case NodeProtocol.TrialOrder.Kill:
                Context.Unwatch(actor);
                Context.Stop(actor);
                _state = _state.Killed(actor);
                break;
        }
    }

    private void OnReport(TrialProtocol.ITrialReport report)
    {
        (_state, var to) = _state.Reported(Sender, report is TrialProtocol.Completed or TrialProtocol.Failed or TrialProtocol.Stopped);
        to?.Coordinator.Tell(report);
    }

    private void OnTerminated(Terminated t)
    {
        (_state, var unreported) = _state.Stopped(t.ActorRef);
        if (unreported is { } trial)
        {
            trial.Coordinator.Tell(new TrialProtocol.Failed(trial.Index, "the trial actor stopped without an outcome", TimeSpan.Zero, TimeSpan.Zero));
        }
    }
}
