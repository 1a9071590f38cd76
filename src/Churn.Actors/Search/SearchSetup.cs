using Akka.Actor;
using Akka.Hosting;
using Churn.Actors.Messages;
using Churn.Actors.Runs;
using Churn.Actors.Training;

namespace Churn.Actors.Search;

/// <summary>Registers the searches actor with Akka.Hosting; the host and the tests share this wiring.</summary>
public static class SearchSetup
{
    /// <summary>
    /// Call after <see cref="ChurnActorsSetup.WithChurnPipeline"/>: a search trains its winner through the runs actor.
    /// <paramref name="trialFactory"/> lets tests put a scripted or failing trial in place of the real one.
    /// </summary>
    public static AkkaConfigurationBuilder WithChurnSearch(
        this AkkaConfigurationBuilder builder,
        ISearchJournal journal,
        Func<IUntypedActorContext, RunTrial, IActorRef>? trialFactory = null) =>
        builder.WithTrainingDispatcher().WithActors((system, registry, _) =>
        {
            var runs = registry.TryGet<RunsActor>(out var found) ? found : null;
            var trials = trialFactory ?? DefaultTrial;
            var searches = system.ActorOf(
                SearchesActor.Props((context, start) =>
                    context.ActorOf(SearchCoordinatorActor.Props(start, journal, trials, runs), $"search-{start.Request.SearchId}")),
                "searches");
            registry.Register<SearchesActor>(searches);
        });

    /// <summary>A trial actor with its own trainer (and so its own model actor and network).</summary>
    public static IActorRef DefaultTrial(IUntypedActorContext context, RunTrial run) =>
        context.ActorOf(TrialActor.Props(run, c => c.ActorOf(TrainerActor.Props(), "trainer")), $"trial-{run.Trial.Index + 1}");
}
