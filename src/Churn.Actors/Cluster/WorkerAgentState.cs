using System.Collections.Immutable;
using Akka.Actor;
using Churn.Actors.Messages;

namespace Churn.Actors.Cluster;

/// <summary>
/// A worker agent's decisions as a value: the coordinating hosts it knows, the log lines waiting to go to them, and
/// whether this node is up (it offers its slots and sends its lines only then).
/// </summary>
public sealed record WorkerAgentState(ImmutableHashSet<Address> Coordinators, ImmutableList<ClusterProtocol.WireLogLine> Waiting, bool Up)
{
    /// <summary>Before this node is up, knowing no coordinator.</summary>
    public static readonly WorkerAgentState Start = new([], [], false);

    /// <summary>This node is up: the coordinators known so far are offered its slots now.</summary>
    public (WorkerAgentState State, ImmutableArray<Address> Offer) NodeUp() => (this with { Up = true }, [.. Coordinators]);

    /// <summary>A member came up: a coordinating host not known before is offered the slots (at once if this node is up).</summary>
    public (WorkerAgentState State, Address? Offer) MemberUp(Address member, bool coordinates)
    {
        if (!coordinates || Coordinators.Contains(member))
        {
            return (this, null);
        }
        return (this with { Coordinators = Coordinators.Add(member) }, Up ? member : null);
    }

    /// <summary>A member was removed from the cluster.</summary>
    public WorkerAgentState MemberRemoved(Address member) => this with { Coordinators = Coordinators.Remove(member) };

    /// <summary>A log line to send, keeping only the newest <paramref name="max"/> while none can be sent.</summary>
    public WorkerAgentState Logged(ClusterProtocol.WireLogLine line, int max)
    {
        var waiting = Waiting.Add(line);
        return this with { Waiting = waiting.Count > max ? waiting.RemoveRange(0, waiting.Count - max) : waiting };
    }

    /// <summary>Time to send: the waiting lines and to whom, once up with a coordinator to hear them; nothing otherwise.</summary>
    public (WorkerAgentState State, ImmutableArray<ClusterProtocol.WireLogLine> Lines, ImmutableArray<Address> To) Flush() =>
        Waiting.IsEmpty || Coordinators.IsEmpty || !Up
            ? (this, [], [])
            : (this with { Waiting = [] }, [.. Waiting], [.. Coordinators]);
}
