using System.Collections.Immutable;
using Akka.Actor;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using Churn.Numerics.Search;

namespace Churn.Actors.Messages;

/// <summary>
/// Marker for every message that crosses nodes. Each has a fixed, versioned manifest and is written field by field by
/// <see cref="Cluster.WireSerializer"/>: nothing read from the wire names a type to build.
/// </summary>
public interface IWireMessage
{
}

/// <summary>What a search coordinator tells the trial node that trains its trials (any node: the host's own, or a worker).</summary>
public static class NodeProtocol
{
    /// <summary>
    /// The search's prepared splits, sent once per node per search before its first trial there, named by the SHA-256 of
    /// their wire encoding; the node checks the digest on arrival and refuses splits that do not match.
    /// </summary>
    public sealed record SupplySplits(string SearchId, string Digest, Splits Splits) : IWireMessage;

    /// <summary>
    /// Train one trial on the splits named <paramref name="Digest"/>; its reports go to <paramref name="Coordinator"/>.
    /// <paramref name="ClassWeights"/> (non-buyer, buyer) weight its loss for a search balanced <c>weighted</c>; empty otherwise.
    /// <paramref name="PopulationRate"/> is the buyer share of the customer file, for the calibrated loss the search ranks on.
    /// </summary>
    public sealed record StartTrial(
        string SearchId,
        TrialSpec Trial,
        string Digest,
        DeviceChoice Device,
        ImmutableArray<int> HoldAfter,
        int Threads,
        IActorRef Coordinator,
        ImmutableArray<double> ClassWeights,
        double? PopulationRate) : IWireMessage;

    /// <summary>What a coordinator may ask of a running trial.</summary>
    public enum TrialOrder
    {
        /// <summary>Go on after a rung.</summary>
        Continue,

        /// <summary>Stop between epochs.</summary>
        Stop,

        /// <summary>Stop the trial's actor now: it did not stop within the cancel's grace.</summary>
        Kill,
    }

    public sealed record TrialCommand(string SearchId, int Trial, TrialOrder Order) : IWireMessage;
}

/// <summary>Between a worker and the coordinating host.</summary>
public static class ClusterProtocol
{
    /// <summary>A worker's trial node offers <paramref name="Slots"/> trial slots; <paramref name="Name"/> is its cluster address.</summary>
    public sealed record RegisterTrainer(string Name, int Slots, IActorRef Node) : IWireMessage;

    /// <summary>One log line of a node, as its log file would hold it.</summary>
    public sealed record WireLogLine(DateTimeOffset Timestamp, string Level, string Source, string Message, string? RunId = null, string? Stage = null, int? Trial = null);

    /// <summary>Log lines of runs and searches on a worker, sent to the host so its logs show every node's trials.</summary>
    public sealed record LogLines(string Node, ImmutableArray<WireLogLine> Lines) : IWireMessage;

    /// <summary>Coordinators subscribe to the nodes offering slots: they get a <see cref="NodeAvailable"/> for each, now and later.</summary>
    public sealed record SubscribeNodes(IActorRef Subscriber);

    public sealed record NodeAvailable(string Name, int Slots, IActorRef Node);

    public sealed record NodeGone(string Name);

    /// <summary>A coordinator's live trials by node, for <c>GET /cluster</c>.</summary>
    public sealed record Placements(string SearchId, ImmutableDictionary<int, string> Trials);

    /// <summary>Ask for the cluster as the host sees it; the answer is a <see cref="ClusterView"/>.</summary>
    public sealed record GetCluster(IActorRef ReplyTo);

    /// <summary>A cluster member: address, roles and status (up, leaving, unreachable, ...).</summary>
    public sealed record MemberView(string Address, ImmutableArray<string> Roles, string Status, bool Reachable);

    /// <summary>A node offering trial slots: how many, how many hold a running or paused trial, and which.</summary>
    public sealed record NodeView(string Name, int Slots, int Used, ImmutableArray<string> Trials);

    public sealed record ClusterView(string Self, ImmutableArray<MemberView> Members, ImmutableArray<NodeView> Nodes);
}
