using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Churn.Actors.Messages;
using Churn.Numerics.Search;

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
    private sealed record Node(string Name, int Slots, IActorRef Ref, Address Address);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly IClusterLogSink _logs;
    private ImmutableSortedDictionary<string, Node> _nodes = ImmutableSortedDictionary.Create<string, Node>(StringComparer.Ordinal);
    private ImmutableDictionary<Address, Member> _members = ImmutableDictionary<Address, Member>.Empty;
    private ImmutableHashSet<Address> _unreachable = [];
    private ImmutableHashSet<IActorRef> _subscribers = [];
    private ImmutableDictionary<string, ImmutableDictionary<int, string>> _placements = ImmutableDictionary<string, ImmutableDictionary<int, string>>.Empty;
    private ImmutableDictionary<IActorRef, string> _searchOf = ImmutableDictionary<IActorRef, string>.Empty;

    public ClusterNodesActor(IActorRef? ownNode, int ownSlots, IClusterLogSink logs)
    {
        _logs = logs;
        if (ownNode is not null && ownSlots > 0)
        {
            var self = _cluster.SelfAddress;
            _nodes = _nodes.Add(NodeName(self), new Node(NodeName(self), ownSlots, ownNode, self));
        }
        Receive<ClusterProtocol.RegisterTrainer>(OnRegister);
        Receive<ClusterProtocol.SubscribeNodes>(m =>
        {
            Context.Watch(m.Subscriber);
            _subscribers = _subscribers.Add(m.Subscriber);
            foreach (var node in _nodes.Values)
            {
                m.Subscriber.Tell(new ClusterProtocol.NodeAvailable(node.Name, node.Slots, node.Ref));
            }
        });
        Receive<ClusterProtocol.Placements>(m =>
        {
            _placements = _placements.SetItem(m.SearchId, m.Trials);
            _searchOf = _searchOf.SetItem(Sender, m.SearchId);
        });
        Receive<ClusterProtocol.GetCluster>(m => m.ReplyTo.Tell(View()));
        Receive<ClusterProtocol.LogLines>(m =>
        {
            foreach (var line in m.Lines)
            {
                _logs.Write(m.Node, line);
            }
        });
        Receive<ClusterEvent.IMemberEvent>(m =>
        {
            // Members are equal by address whatever their status, so SetItem would keep the old status: replace explicitly.
            _members = _members.Remove(m.Member.Address);
            if (m is not ClusterEvent.MemberRemoved)
            {
                _members = _members.Add(m.Member.Address, m.Member);
            }
            if (m is ClusterEvent.MemberRemoved removed)
            {
                _unreachable = _unreachable.Remove(removed.Member.Address);
                _log.Info($"cluster: {NodeName(removed.Member.Address)} removed (was {removed.PreviousStatus.ToString().ToLowerInvariant()})");
                foreach (var node in _nodes.Values.Where(n => n.Address.Equals(removed.Member.Address)).ToList())
                {
                    Gone(node, "its member was removed from the cluster");
                }
            }
            else if (m is ClusterEvent.MemberUp up)
            {
                _log.Info($"cluster: {NodeName(up.Member.Address)} up, roles {string.Join(",", up.Member.Roles.Order(StringComparer.Ordinal))}");
            }
        });
        Receive<ClusterEvent.UnreachableMember>(m =>
        {
            _unreachable = _unreachable.Add(m.Member.Address);
            _log.Warning($"cluster: {NodeName(m.Member.Address)} unreachable; the split-brain resolver downs it unless it comes back");
        });
        Receive<ClusterEvent.ReachableMember>(m => _unreachable = _unreachable.Remove(m.Member.Address));
        Receive<Terminated>(t =>
        {
            if (_nodes.Values.FirstOrDefault(n => n.Ref.Equals(t.ActorRef)) is { } node)
            {
                Gone(node, "its trial node stopped");
            }
            if (_subscribers.Contains(t.ActorRef))
            {
                _subscribers = _subscribers.Remove(t.ActorRef);
                if (_searchOf.TryGetValue(t.ActorRef, out var search))
                {
                    _placements = _placements.Remove(search);
                    _searchOf = _searchOf.Remove(t.ActorRef);
                }
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
        if (m.Slots < 1 || m.Slots > 256)
        {
            _log.Warning($"cluster: {m.Name} offered {m.Slots} slots; refused (1 to 256)");
            return;
        }
        if (_nodes.TryGetValue(m.Name, out var known) && known.Ref.Equals(m.Node) && known.Slots == m.Slots)
        {
            return;
        }
        Context.Watch(m.Node);
        var node = new Node(m.Name, m.Slots, m.Node, m.Node.Path.Address);
        _nodes = _nodes.SetItem(m.Name, node);
        _log.Info($"cluster: {m.Name} offers {m.Slots} trial slot(s)");
        foreach (var subscriber in _subscribers)
        {
            subscriber.Tell(new ClusterProtocol.NodeAvailable(node.Name, node.Slots, node.Ref));
        }
    }

    private void Gone(Node node, string why)
    {
        if (!_nodes.ContainsKey(node.Name))
        {
            return;
        }
        _nodes = _nodes.Remove(node.Name);
        _log.Warning($"cluster: {node.Name} and its {node.Slots} slot(s) are gone: {why}");
        foreach (var subscriber in _subscribers)
        {
            subscriber.Tell(new ClusterProtocol.NodeGone(node.Name));
        }
    }

    private ClusterProtocol.ClusterView View()
    {
        var members = _members.Values
            .OrderBy(m => NodeName(m.Address), StringComparer.Ordinal)
            .Select(m => new ClusterProtocol.MemberView(
                NodeName(m.Address), [.. m.Roles.Order(StringComparer.Ordinal)], m.Status.ToString().ToLowerInvariant(), !_unreachable.Contains(m.Address)))
            .ToImmutableArray();
        var nodes = _nodes.Values.Select(n =>
        {
            var trials = _placements
                .SelectMany(p => p.Value.Where(t => t.Value == n.Name).Select(t => (Search: p.Key, Trial: t.Key)))
                .OrderBy(t => t.Search, StringComparer.Ordinal).ThenBy(t => t.Trial)
                .Select(t => $"{t.Search}/trial-{Numbering.Number(t.Trial)}")
                .ToImmutableArray();
            return new ClusterProtocol.NodeView(n.Name, n.Slots, Math.Min(n.Slots, trials.Length), trials);
        }).ToImmutableArray();
        return new ClusterProtocol.ClusterView(NodeName(_cluster.SelfAddress), members, nodes);
    }
}
