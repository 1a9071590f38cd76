using Akka;
using Akka.Actor;
using Akka.Hosting;
using Akka.Routing;
using Churn.Actors.Messages;
using Churn.Actors.Pipeline;
using Churn.Actors.Runs;
using Churn.Actors.Training;

namespace Churn.Actors;

/// <summary>Registers the pipeline's actors with Akka.Hosting; the host and the tests share this wiring.</summary>
public static class ChurnActorsSetup
{
    /// <summary>How long runs get to stop between epochs or stages when the host shuts down.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Stage actors first (a small pool each, so concurrent runs do not queue behind one another), then the runs
    /// actor that needs them. <paramref name="trainerFactory"/> lets tests put a probe or a failing trainer in place;
    /// <paramref name="journal"/> records every run (the host's run store; nothing for one-shot commands). When the
    /// actor system shuts down, every queued and running run is cancelled, and recorded so, before the actors stop.
    /// </summary>
    public static AkkaConfigurationBuilder WithChurnPipeline(
        this AkkaConfigurationBuilder builder,
        int maxConcurrentRuns = 1,
        Func<IUntypedActorContext, IActorRef>? trainerFactory = null,
        IRunJournal? journal = null,
        TimeProvider? clock = null,
        int maxQueuedRuns = int.MaxValue) =>
        builder.WithTrainingDispatcher().WithActors((system, registry, _) =>
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
            var trainers = trainerFactory ?? (context => context.ActorOf(TrainerActor.Props(), "trainer"));
            var runs = system.ActorOf(RunsActor.Props(stages, trainers, maxConcurrentRuns, journal ?? NoRunJournal.Instance, clock ?? TimeProvider.System, maxQueuedRuns), "runs");
            registry.Register<RunsActor>(runs);
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "stop-runs", async () =>
            {
                await runs.Ask<AllRunsStopped>(new StopAllRuns(StopGrace), StopGrace + TimeSpan.FromSeconds(1));
                return Done.Instance;
            });
        });

    /// <summary>The dispatcher model actors train on (<see cref="ModelActor.Dispatcher"/>); adding it twice is harmless.</summary>
    public static AkkaConfigurationBuilder WithTrainingDispatcher(this AkkaConfigurationBuilder builder) =>
        builder.AddHocon(ModelActor.DispatcherHocon, HoconAddMode.Prepend);
}
