using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Churn.Actors.Messages;
using Churn.Numerics.Data;
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

    private sealed record Trial(string SearchId, int Index, IActorRef Coordinator, bool Ended);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _name;
    private readonly Func<IUntypedActorContext, RunTrial, IActorRef> _trialFactory;
    private ImmutableList<(string Digest, Splits Splits)> _splits = [];
    private ImmutableDictionary<IActorRef, Trial> _trials = ImmutableDictionary<IActorRef, Trial>.Empty;

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
        if (_splits.Any(s => s.Digest == digest))
        {
            return;
        }
        _splits = _splits.Add((digest, m.Splits));
        if (_splits.Count > KeptSplits)
        {
            _splits = _splits.RemoveAt(0);
        }
        var s = m.Splits;
        _log.Info(RunLog.Line(m.SearchId, "search", $"node {_name}: splits {digest[..12]} arrived and checked ({s.Train.Rows}/{s.Validation.Rows}/{s.Test.Rows} rows)"));
    }

    private void OnStart(NodeProtocol.StartTrial m)
    {
        var splits = _splits.FirstOrDefault(s => s.Digest == m.Digest).Splits;
        if (splits is null)
        {
            m.Coordinator.Tell(new TrialProtocol.Failed(m.Trial.Index, $"node {_name} holds no splits {m.Digest[..Math.Min(12, m.Digest.Length)]} (they never arrived or failed their SHA-256 check)", TimeSpan.Zero, TimeSpan.Zero));
            return;
        }
        // Set for the node's trials, so S trials at once use the cores without oversubscribing them.
        TorchThreads.Use(m.Threads);
        var actor = _trialFactory(Context, new RunTrial(m.SearchId, m.Trial, splits, m.Device, m.HoldAfter, Self, m.ClassWeights, m.PopulationRate));
        Context.Watch(actor);
        _trials = _trials.SetItem(actor, new Trial(m.SearchId, m.Trial.Index, m.Coordinator, false));
    }

    private void OnCommand(NodeProtocol.TrialCommand m)
    {
        var (actor, trial) = _trials.FirstOrDefault(t => t.Value.SearchId == m.SearchId && t.Value.Index == m.Trial);
        if (actor is null)
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
                _trials = _trials.Remove(actor);
                break;
        }
    }

    private void OnReport(TrialProtocol.ITrialReport report)
    {
        if (!_trials.TryGetValue(Sender, out var trial))
        {
            return;
        }
        if (report is TrialProtocol.Completed or TrialProtocol.Failed or TrialProtocol.Stopped)
        {
            _trials = _trials.SetItem(Sender, trial with { Ended = true });
        }
        trial.Coordinator.Tell(report);
    }

    private void OnTerminated(Terminated t)
    {
        if (!_trials.TryGetValue(t.ActorRef, out var trial))
        {
            return;
        }
        _trials = _trials.Remove(t.ActorRef);
        if (!trial.Ended)
        {
            trial.Coordinator.Tell(new TrialProtocol.Failed(trial.Index, "the trial actor stopped without an outcome", TimeSpan.Zero, TimeSpan.Zero));
        }
    }
}
