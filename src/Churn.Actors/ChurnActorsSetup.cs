using Akka;
using Akka.Actor;
using Akka.Hosting;
using Akka.Routing;
using Churn.Actors.Cluster;
using Churn.Actors.Messages;
using Churn.Actors.Pipeline;
using Churn.Actors.Runs;
using Churn.Actors.Search;
using Churn.Actors.Training;
using Churn.Numerics.Search;

namespace Churn.Actors;

/// <summary>The one wiring of the product's actors with Akka.Hosting: the host, the commands and the tests share it.</summary>
public static class ChurnActorsSetup
{
    /// <summary>How long runs get to stop between epochs or stages when the host shuts down.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Registers the <paramref name="parts"/> named, each after what it needs: the training dispatcher, the wire
    /// serializer and cluster membership first; then the stage actors and the runs actor; then the cluster's trial
    /// nodes, the searches actor (which trains its winner through the runs actor when there is one) and a worker's
    /// agent. Actors one part takes from another are looked up with <see cref="ActorRegistry.Get{TKey}"/>, which throws
    /// at start-up when one is missing: a wiring bug shows at once, never as a silent null. When the actor system shuts
    /// down, every queued and running run is cancelled, and recorded so, before the actors stop.
    /// </summary>
    public static AkkaConfigurationBuilder WithChurn(this AkkaConfigurationBuilder builder, ChurnParts parts)
    {
        parts = parts.Checked();
        builder.WithTrainingDispatcher();
        if (parts.Search is not null || parts.Node is not null)
        {
            builder.WithWireSerializer();
        }
        if (parts.Node is { } node)
        {
            builder.WithClusterMembership(node);
        }
        return builder.WithActors((system, registry, _) =>
        {
            if (parts.Pipeline is { } pipeline)
            {
                StartPipeline(system, registry, pipeline);
            }
            if (parts.ClusterHost is { } clusterHost)
            {
                var name = ClusterNodesActor.NodeName(Akka.Cluster.Cluster.Get(system).SelfAddress);
                var trials = parts.Search?.TrialFactory ?? ClusterTrial;
                var own = clusterHost.OwnSlots > 0 ? system.ActorOf(TrialNodeActor.Props(name, trials), "trial-node") : null;
                registry.Register<ClusterNodesActor>(system.ActorOf(ClusterNodesActor.Props(own, clusterHost.OwnSlots, clusterHost.Logs), WorkerAgentActor.NodesActorName));
            }
            if (parts.Search is { } search)
            {
                var runs = parts.Pipeline is null ? null : registry.Get<RunsActor>();
                var nodes = parts.ClusterHost is null ? null : registry.Get<ClusterNodesActor>();
                var trials = search.TrialFactory ?? DefaultTrial;
                var searches = system.ActorOf(
                    SearchesActor.Props((context, start) =>
                        context.ActorOf(SearchCoordinatorActor.Props(start, search.Journal, trials, runs, nodes), $"search-{start.Request.SearchId}")),
                    "searches");
                registry.Register<SearchesActor>(searches);
            }
            if (parts.Worker is { } worker)
            {
                var name = ClusterNodesActor.NodeName(Akka.Cluster.Cluster.Get(system).SelfAddress);
                var trialNode = system.ActorOf(TrialNodeActor.Props(name, ClusterTrial), "trial-node");
                registry.Register<TrialNodeActor>(trialNode);
                system.ActorOf(WorkerAgentActor.Props(trialNode, worker.Slots), "agent");
            }
        });
    }

    /// <summary>Stage actors (a small pool each, so concurrent runs do not queue behind one another), then the runs actor that needs them.</summary>
    private static void StartPipeline(ActorSystem system, IActorRegistry registry, PipelinePart pipeline)
    {
        var poolSize = Math.Max(1, Environment.ProcessorCount);
        IActorRef Stage<T>(Props props, string name)
        {
            var actor = system.ActorOf(props.WithRouter(new RoundRobinPool(poolSize)), name);
            registry.Register<T>(actor);
            return actor;
        }

        var stages = new PipelineStages(
            Stage<LoaderActor>(LoaderActor.Props(), "loader"),
            Stage<BalancerActor>(BalancerActor.Props(), "balancer"),
            Stage<ScalerActor>(ScalerActor.Props(), "scaler"),
            Stage<SplitterActor>(SplitterActor.Props(), "splitter"),
            Stage<DatasetWriterActor>(DatasetWriterActor.Props(), "writer"),
            Stage<EvaluatorActor>(EvaluatorActor.Props(), "evaluator"),
            Stage<ExplainerActor>(ExplainerActor.Props(), "explainer"),
            Stage<ArtifactWriterActor>(ArtifactWriterActor.Props(), "saver"));
        var trainers = pipeline.TrainerFactory ?? (context => context.ActorOf(TrainerActor.Props(), "trainer"));
        var runs = system.ActorOf(
            RunsActor.Props(stages, trainers, pipeline.MaxConcurrentRuns, pipeline.Journal ?? NoRunJournal.Instance, pipeline.Clock ?? TimeProvider.System, pipeline.MaxQueuedRuns),
            "runs");
        registry.Register<RunsActor>(runs);
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "stop-runs", async () =>
        {
            await runs.Ask<AllRunsStopped>(new StopAllRuns(StopGrace), StopGrace + TimeSpan.FromSeconds(1));
            return Done.Instance;
        });
    }

    /// <summary>The dispatcher model actors train on (<see cref="ModelActor.Dispatcher"/>).</summary>
    private static AkkaConfigurationBuilder WithTrainingDispatcher(this AkkaConfigurationBuilder builder) =>
        builder.AddHocon(ModelActor.DispatcherHocon, HoconAddMode.Prepend);

    /// <summary>A search's trial in a node of its own: a trial actor with its own trainer (and so its own model actor and network).</summary>
    public static IActorRef DefaultTrial(IUntypedActorContext context, RunTrial run) =>
        context.ActorOf(TrialActor.Props(run, c => c.ActorOf(TrainerActor.Props(), "trainer")), $"trial-{Numbering.Number(run.Trial.Index)}");

    /// <summary>A trial on a node that may train several searches at once: its actor name carries the search.</summary>
    public static IActorRef ClusterTrial(IUntypedActorContext context, RunTrial run) =>
        context.ActorOf(TrialActor.Props(run, c => c.ActorOf(TrainerActor.Props(), "trainer")), $"{run.SearchId}-trial-{Numbering.Number(run.Trial.Index)}");
}
