using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Churn.Actors.Messages;

namespace Churn.Actors.Cluster;

/// <summary>Where the host writes log lines that came from other nodes (its own log files).</summary>
public interface IClusterLogSink
{
    void Write(string node, ClusterProtocol.WireLogLine line);
}

/// <summary>
/// The coordinating host's view of the cluster: the nodes offering trial slots (its own, and every worker that
/// registered), the members and their status, and which trials run where. Coordinators subscribe to it and hear when a
/// node comes or goes; a node goes when its trial node actor dies or its member is removed (after the split-brain
/// resolver downed it). Workers' log lines arrive here and go to the host's log files.
/// </summary>
public sealed class ClusterNodesActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private ClusterNodesState<IActorRef> _state = ClusterNodesState<IActorRef>.Empty;

    public ClusterNodesActor(IActorRef? ownNode, int ownSlots, IClusterLogSink logs)
    {
        if (ownNode is not null && ownSlots > 0)
        {
            var self = _cluster.SelfAddress;
            _state = _state.WithOwn(new ClusterNode<IActorRef>(NodeName(self), ownSlots, ownNode, self));
        }
        Receive<ClusterProtocol.RegisterTrainer>(OnRegister);
        Receive<ClusterProtocol.SubscribeNodes>(m =>
        {
            Context.Watch(m.Subscriber);
            (_state, var now) = _state.Subscribed(m.Subscriber);
            foreach (var node in now)
            {
                m.Subscriber.Tell(new ClusterProtocol.NodeAvailable(node.Name, node.Slots, node.Ref));
            }
        });
        Receive<ClusterProtocol.Placements>(m => _state = _state.Placed(m.SearchId, m.Trials, Sender));
        Receive<ClusterProtocol.GetCluster>(m => m.ReplyTo.Tell(_state.View(NodeName(_cluster.SelfAddress))));
        Receive<ClusterProtocol.LogLines>(m =>
        {
            foreach (var line in m.Lines)
            {
                logs.Write(m.Node, line);
            }
        });
        Receive<ClusterEvent.IMemberEvent>(m =>
        {
            var member = new ClusterMember(m.Member.Address, [.. m.Member.Roles.Order(StringComparer.Ordinal)], m.Member.Status.ToString().ToLowerInvariant());
            (_state, var gone) = _state.MemberChanged(member, m is ClusterEvent.MemberRemoved);
            if (m is ClusterEvent.MemberRemoved removed)
            {
                _log.Info($"cluster: {NodeName(removed.Member.Address)} removed (was {removed.PreviousStatus.ToString().ToLowerInvariant()})");
                foreach (var node in gone)
                {
                    Gone(node, "its member was removed from the cluster");
                }
            }
            else if (m is ClusterEvent.MemberUp up)
            {
                _log.Info($"cluster: {NodeName(up.Member.Address)} up, roles {string.Join(",", member.Roles)}");
            }
        });
        Receive<ClusterEvent.UnreachableMember>(m =>
        {
            _state = _state.Reachability(m.Member.Address, reachable: false);
            _log.Warning($"cluster: {NodeName(m.Member.Address)} unreachable; the split-brain resolver downs it unless it comes back");
        });
        Receive<ClusterEvent.ReachableMember>(m => _state = _state.Reachability(m.Member.Address, reachable: true));
        Receive<Terminated>(t =>
        {
            (_state, var gone) = _state.Stopped(t.ActorRef);
            if (gone is not null)
            {
                Gone(gone, "its trial node stopped");
            }
        });
    }

    public static Props Props(IActorRef? ownNode, int ownSlots, IClusterLogSink logs) =>
        Akka.Actor.Props.Create(() => new ClusterNodesActor(ownNode, ownSlots, logs));

    /// <summary>A node's name: its cluster address without the protocol, e.g. <c>churn@127.0.0.1:4053</c>.</summary>
    public static string NodeName(Address address) => $"{address.System}@{address.Host}:{address.Port}";

    protected override void PreStart() =>
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void OnRegister(ClusterProtocol.RegisterTrainer m)
    {
        (_state, var offer, var node) = _state.Offered(m.Name, m.Slots, m.Node, m.Node.Path.Address);
        switch (offer)
        {
            case SlotOffer.Refused:
                _log.Warning($"cluster: {m.Name} offered {m.Slots} slots; refused (1 to 256)");
                return;
            case SlotOffer.Known:
                return;
        }
        Context.Watch(m.Node);
        _log.Info($"cluster: {m.Name} offers {m.Slots} trial slot(s)");
        foreach (var subscriber in _state.Subscribers)
        {
            subscriber.Tell(new ClusterProtocol.NodeAvailable(node.Name, node.Slots, node.Ref));
        }
    }

    /// <summary>A node the state let go: logged, and every subscribed coordinator hears it.</summary>
    private void Gone(ClusterNode<IActorRef> node, string why)
    {
        _log.Warning($"cluster: {node.Name} and its {node.Slots} slot(s) are gone: {why}");
        foreach (var subscriber in _state.Subscribers)
        {
            subscriber.Tell(new ClusterProtocol.NodeGone(node.Name));
        }
    }
}
