using Akka.Actor;
using Churn.Actors.Cluster;
using Churn.Actors.Messages;
using Churn.Actors.Runs;
using Churn.Actors.Search;

namespace Churn.Actors;

/// <summary>
/// The runs actor and the stage actors it sends work to. <paramref name="TrainerFactory"/> lets tests put a probe or a
/// failing trainer in place; <paramref name="Journal"/> records every run (the host's run store; nothing for one-shot
/// commands without a store).
/// </summary>
public sealed record PipelinePart(
    int MaxConcurrentRuns = 1,
    Func<IUntypedActorContext, IActorRef>? TrainerFactory = null,
    IRunJournal? Journal = null,
    TimeProvider? Clock = null,
    int MaxQueuedRuns = int.MaxValue);

/// <summary>
/// The searches actor. <paramref name="TrialFactory"/> lets tests put a scripted or failing trial in place of the real
/// one. With a <see cref="PipelinePart"/> beside it a search trains its winner through the runs actor; without one it
/// keeps to its trials.
/// </summary>
public sealed record SearchPart(ISearchJournal Journal, Func<IUntypedActorContext, RunTrial, IActorRef>? TrialFactory = null);

/// <summary>
/// A coordinating host's part in a cluster: searches place their trials on the cluster's trial nodes, of which the host
/// offers <paramref name="OwnSlots"/> of its own (0: only workers train); workers' log lines go to <paramref name="Logs"/>.
/// </summary>
public sealed record ClusterHostPart(int OwnSlots, IClusterLogSink Logs);

/// <summary>A worker: a trial node with <paramref name="Slots"/> slots and the agent that offers them to the host.</summary>
public sealed record WorkerPart(int Slots);

/// <summary>
/// Which parts of the product one actor system runs, for <see cref="ChurnActorsSetup.WithChurn"/>: a local
/// <c>churn run</c> only the <see cref="Pipeline"/>; <c>churn search</c> the pipeline and a <see cref="Search"/>;
/// <c>churn host</c> both, and with a cluster port a <see cref="Node"/> and the <see cref="ClusterHost"/>; a
/// <c>churn worker</c> a <see cref="Node"/> and the <see cref="Worker"/>. Nothing a part does not name is started.
/// </summary>
public sealed record ChurnParts
{
    public PipelinePart? Pipeline { get; init; }

    public SearchPart? Search { get; init; }

    /// <summary>Remoting and cluster membership (<see cref="ClusterSetup"/>); the host and the workers need it.</summary>
    public ClusterNode? Node { get; init; }

    public ClusterHostPart? ClusterHost { get; init; }

    public WorkerPart? Worker { get; init; }

    /// <summary>
    /// Parts that need one another: a cluster host or a worker needs a cluster node, a cluster host needs searches to
    /// place, and a node is a host or a worker. A combination outside these is a bug in the caller, so it throws.
    /// </summary>
    public ChurnParts Checked()
    {
        string? wrong =
            Pipeline is null && Search is null && Worker is null ? "no part to run: name the pipeline, searches or a worker"
            : ClusterHost is not null && Node is null ? "a cluster host needs a cluster node (Node)"
            : ClusterHost is not null && Search is null ? "a cluster host needs searches to place trials for (Search)"
            : Worker is not null && Node is null ? "a worker needs a cluster node (Node)"
            : Worker is not null && ClusterHost is not null ? "a node is a cluster host or a worker, not both"
            : Node is not null && Worker is null && ClusterHost is null ? "a cluster node must be a cluster host or a worker"
            : null;
        return wrong is null ? this : throw new InvalidOperationException($"churn wiring: {wrong}");
    }
}
