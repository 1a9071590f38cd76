using System.Collections.Immutable;
using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics.Search;

namespace Churn.Actors.Cluster;

/// <summary>A node offering trial slots: its name, how many, its trial node actor and its cluster address.</summary>
public sealed record ClusterNode<TRef>(string Name, int Slots, TRef Ref, Address Address);

/// <summary>A cluster member as last heard of: its address, its roles (in order) and its status in lower case.</summary>
public sealed record ClusterMember(Address Address, ImmutableArray<string> Roles, string Status);

/// <summary>What a trainer's offer of slots did.</summary>
public enum SlotOffer
{
    /// <summary>Refused: a node offers 1 to 256 slots.</summary>
    Refused,

    /// <summary>Already known as it is: nothing changes.</summary>
    Known,

    /// <summary>A new node (or a node with new slots or a new actor): its coordinators hear of it.</summary>
    Taken,
}

/// <summary>
/// The coordinating host's view of the cluster as a value: the nodes offering trial slots, the members and which of
/// them are unreachable, the coordinators subscribed to the nodes, and which trials each search placed where. The
/// actor (<see cref="ClusterNodesActor"/>) only watches, logs and tells what these transitions return.
/// </summary>
public sealed record ClusterNodesState<TRef>(
    ImmutableSortedDictionary<string, ClusterNode<TRef>> Nodes,
    ImmutableDictionary<Address, ClusterMember> Members,
    ImmutableHashSet<Address> Unreachable,
    ImmutableHashSet<TRef> Subscribers,
    ImmutableDictionary<string, ImmutableDictionary<int, string>> Placements,
    ImmutableDictionary<TRef, string> SearchOf)
    where TRef : notnull
{
    /// <summary>No node, no member, no subscriber.</summary>
    public static readonly ClusterNodesState<TRef> Empty = new(
        ImmutableSortedDictionary.Create<string, ClusterNode<TRef>>(StringComparer.Ordinal),
        ImmutableDictionary<Address, ClusterMember>.Empty,
        [],
        [],
        ImmutableDictionary<string, ImmutableDictionary<int, string>>.Empty,
        ImmutableDictionary<TRef, string>.Empty);

    /// <summary>The host's own trial node, offering its slots from the start.</summary>
    public ClusterNodesState<TRef> WithOwn(ClusterNode<TRef> node) => this with { Nodes = Nodes.SetItem(node.Name, node) };

    /// <summary>A trainer offers <paramref name="slots"/> slots through its trial node <paramref name="node"/>.</summary>
    public (ClusterNodesState<TRef> State, SlotOffer Offer, ClusterNode<TRef> Node) Offered(string name, int slots, TRef node, Address address)
    {
        var offered = new ClusterNode<TRef>(name, slots, node, address);
        if (slots is < 1 or > 256)
        {
            return (this, SlotOffer.Refused, offered);
        }
        if (Nodes.TryGetValue(name, out var known) && EqualityComparer<TRef>.Default.Equals(known.Ref, node) && known.Slots == slots)
        {
            return (this, SlotOffer.Known, known);
        }
        return (this with { Nodes = Nodes.SetItem(name, offered) }, SlotOffer.Taken, offered);
    }

    /// <summary>A coordinator subscribes: it hears of every node there is now, and of each that comes or goes later.</summary>
    public (ClusterNodesState<TRef> State, ImmutableArray<ClusterNode<TRef>> Now) Subscribed(TRef subscriber) =>
        (this with { Subscribers = Subscribers.Add(subscriber) }, [.. Nodes.Values]);

    /// <summary>Coordinator <paramref name="coordinator"/> placed the trials of <paramref name="searchId"/> (trial to node name).</summary>
    public ClusterNodesState<TRef> Placed(string searchId, ImmutableDictionary<int, string> trials, TRef coordinator) =>
        this with { Placements = Placements.SetItem(searchId, trials), SearchOf = SearchOf.SetItem(coordinator, searchId) };

    /// <summary>A member's status changed (or it was removed): the nodes at a removed member's address are gone.</summary>
    public (ClusterNodesState<TRef> State, ImmutableArray<ClusterNode<TRef>> Gone) MemberChanged(ClusterMember member, bool removed)
    {
        // Members are equal by address whatever their status: replace, never keep the old one.
        var members = Members.Remove(member.Address);
        if (!removed)
        {
            return (this with { Members = members.Add(member.Address, member) }, []);
        }
        var gone = Nodes.Values.Where(n => n.Address.Equals(member.Address)).ToImmutableArray();
        return (this with { Members = members, Unreachable = Unreachable.Remove(member.Address), Nodes = Nodes.RemoveRange(gone.Select(n => n.Name)) }, gone);
    }

    /// <summary>A member became unreachable (or <paramref name="reachable"/> again).</summary>
    public ClusterNodesState<TRef> Reachability(Address member, bool reachable) =>
        this with { Unreachable = reachable ? Unreachable.Remove(member) : Unreachable.Add(member) };

    /// <summary>An actor this watches stopped: the node it was (gone now), and as a subscriber it and its search's placements are forgotten.</summary>
    public (ClusterNodesState<TRef> State, ClusterNode<TRef>? Gone) Stopped(TRef actor)
    {
        var next = this;
        var gone = Nodes.Values.FirstOrDefault(n => EqualityComparer<TRef>.Default.Equals(n.Ref, actor));
        if (gone is not null)
        {
            next = next with { Nodes = Nodes.Remove(gone.Name) };
        }
        if (Subscribers.Contains(actor))
        {
            next = next with { Subscribers = Subscribers.Remove(actor) };
            if (SearchOf.TryGetValue(actor, out var search))
            {
                next = next with { Placements = Placements.Remove(search), SearchOf = SearchOf.Remove(actor) };
            }
        }
        return (next, gone);
    }

    /// <summary>The cluster as <c>GET /cluster</c> shows it, from the node named <paramref name="self"/>.</summary>
    public ClusterProtocol.ClusterView View(string self)
    {
        var members = Members.Values
            .OrderBy(m => ClusterNodesActor.NodeName(m.Address), StringComparer.Ordinal)
            .Select(m => new ClusterProtocol.MemberView(ClusterNodesActor.NodeName(m.Address), m.Roles, m.Status, !Unreachable.Contains(m.Address)))
            .ToImmutableArray();
        var nodes = Nodes.Values.Select(n =>
        {
            var trials = Placements
                .SelectMany(p => p.Value.Where(t => t.Value == n.Name).Select(t => (Search: p.Key, Trial: t.Key)))
                .OrderBy(t => t.Search, StringComparer.Ordinal).ThenBy(t => t.Trial)
                .Select(t => $"{t.Search}/trial-{Numbering.Number(t.Trial)}")
                .ToImmutableArray();
            return new ClusterProtocol.NodeView(n.Name, n.Slots, Math.Min(n.Slots, trials.Length), trials);
        }).ToImmutableArray();
        return new ClusterProtocol.ClusterView(self, members, nodes);
    }
}
