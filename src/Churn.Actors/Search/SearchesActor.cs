using Akka.Actor;
using Akka.Event;
using Churn.Actors.Messages;

namespace Churn.Actors.Search;

/// <summary>
/// Spawns one coordinator per search and routes cancels and status questions to it. A coordinator that breaks ends its
/// own search (its listener hears a <see cref="SearchFailed"/>); the others go on.
/// </summary>
public sealed class SearchesActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Func<IUntypedActorContext, StartSearch, IActorRef> _coordinators;
    private SearchesState<IActorRef> _state = SearchesState<IActorRef>.Empty;

    public SearchesActor(Func<IUntypedActorContext, StartSearch, IActorRef> coordinators)
    {
        _coordinators = coordinators;
        Receive<StartSearch>(start =>
        {
            var id = start.Request.SearchId;
            if (_state.Runs(id))
            {
                start.ReplyTo.Tell(new SearchFailed(id, "this search is already running in this process"));
                return;
            }
            var coordinator = _coordinators(Context, start);
            Context.Watch(coordinator);
            _state = _state.Started(id, coordinator, start.ReplyTo);
        });
        Receive<CancelSearch>(cancel =>
        {
            if (_state.CoordinatorOf(cancel.SearchId) is (true, var coordinator))
            {
                coordinator.Forward(cancel);
            }
        });
        Receive<GetSearch>(get =>
        {
            if (_state.CoordinatorOf(get.SearchId) is (true, var coordinator))
            {
                coordinator.Forward(get);
            }
            else
            {
                get.ReplyTo.Tell(new SearchNotActive(get.SearchId));
            }
        });
        Receive<FollowSearch>(follow =>
        {
            if (_state.CoordinatorOf(follow.SearchId) is (true, var coordinator))
            {
                coordinator.Forward(follow);
            }
            else
            {
                Sender.Tell(new SearchNotActive(follow.SearchId));
            }
        });
        Receive<SearchCompleted>(m => _state = _state.Ended(m.SearchId));
        Receive<SearchCancelled>(m => _state = _state.Ended(m.SearchId));
        Receive<SearchFailed>(m => _state = _state.Ended(m.SearchId));
        Receive<Terminated>(t =>
        {
            (_state, var id, var unended) = _state.Stopped(t.ActorRef);
            if (id is not null && unended is not null)
            {
                _log.Error(RunLog.Line(id, "search", "the search's coordinator stopped without an outcome"));
                unended.Listener.Tell(new SearchFailed(id, "the search's coordinator stopped unexpectedly"));
            }
        });
    }

    public static Props Props(Func<IUntypedActorContext, StartSearch, IActorRef> coordinators) =>
        Akka.Actor.Props.Create(() => new SearchesActor(coordinators));

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop, false);
}
