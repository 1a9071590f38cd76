using Akka.Actor;
using Akka.Hosting;
using Churn.Actors.Cluster;
using Churn.Actors.Messages;
using Churn.Actors.Runs;
using Churn.Actors.Training;
using Churn.Numerics.Search;

namespace Churn.Actors.Search;

/// <summary>
/// A coordinating host's part in the cluster: <paramref name="OwnSlots"/> trial slots of its own (0: only workers
/// train), and where the workers' log lines go.
/// </summary>
public sealed record ClusterSearch(int OwnSlots, IClusterLogSink Logs);

/// <summary>Registers the searches actor with Akka.Hosting; the host and the tests share this wiring.</summary>
public static class SearchSetup
{
    /// <summary>
    /// Call after <see cref="ChurnActorsSetup.WithChurnPipeline"/>: a search trains its winner through the runs actor.
    /// <paramref name="trialFactory"/> lets tests put a scripted or failing trial in place of the real one. With
    /// <paramref name="cluster"/>, searches place their trials on the cluster's trial nodes (see
    /// <see cref="ClusterNodesActor"/>) instead of in a node of their own.
    /// </summary>
    public static AkkaConfigurationBuilder WithChurnSearch(
        this AkkaConfigurationBuilder builder,
        ISearchJournal journal,
        Func<IUntypedActorContext, RunTrial, IActorRef>? trialFactory = null,
        ClusterSearch? cluster = null) =>
        builder.WithTrainingDispatcher().WithWireSerializer().WithActors((system, registry, _) =>
        {
            var runs = registry.TryGet<RunsActor>(out var found) ? found : null;
            var trials = trialFactory ?? DefaultTrial;
            IActorRef? nodes = null;
            if (cluster is not null)
            {
                var name = ClusterNodesActor.NodeName(Akka.Cluster.Cluster.Get(system).SelfAddress);
                var own = cluster.OwnSlots > 0 ? system.ActorOf(TrialNodeActor.Props(name, trialFactory ?? ClusterSetup.ClusterTrial), "trial-node") : null;
                nodes = system.ActorOf(ClusterNodesActor.Props(own, cluster.OwnSlots, cluster.Logs), WorkerAgentActor.NodesActorName);
                registry.Register<ClusterNodesActor>(nodes);
            }
            var searches = system.ActorOf(
                SearchesActor.Props((context, start) =>
                    context.ActorOf(SearchCoordinatorActor.Props(start, journal, trials, runs, nodes), $"search-{start.Request.SearchId}")),
                "searches");
            registry.Register<SearchesActor>(searches);
        });

    /// <summary>A trial actor with its own trainer (and so its own model actor and network).</summary>
    public static IActorRef DefaultTrial(IUntypedActorContext context, RunTrial run) =>
        context.ActorOf(TrialActor.Props(run, c => c.ActorOf(TrainerActor.Props(), "trainer")), $"trial-{Numbering.Number(run.Trial.Index)}");
}
