using System.Collections.Immutable;
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
    private ImmutableDictionary<string, (IActorRef Coordinator, IActorRef Listener)> _active =
        ImmutableDictionary<string, (IActorRef, IActorRef)>.Empty;
    private ImmutableHashSet<string> _ended = [];

    public SearchesActor(Func<IUntypedActorContext, StartSearch, IActorRef> coordinators)
    {
        _coordinators = coordinators;
        Receive<StartSearch>(start =>
        {
            var id = start.Request.SearchId;
            if (_active.ContainsKey(id))
            {
                start.ReplyTo.Tell(new SearchFailed(id, "this search is already running in this process"));
                return;
            }
            var coordinator = _coordinators(Context, start);
            Context.Watch(coordinator);
            _active = _active.SetItem(id, (coordinator, start.ReplyTo));
        });
        Receive<CancelSearch>(cancel =>
        {
            if (_active.TryGetValue(cancel.SearchId, out var search))
            {
                search.Coordinator.Forward(cancel);
            }
        });
        Receive<GetSearch>(get =>
        {
            if (_active.TryGetValue(get.SearchId, out var search))
            {
                search.Coordinator.Forward(get);
            }
            else
            {
                get.ReplyTo.Tell(new SearchNotActive(get.SearchId));
            }
        });
        Receive<FollowSearch>(follow =>
        {
            if (_active.TryGetValue(follow.SearchId, out var search))
            {
                search.Coordinator.Forward(follow);
            }
            else
            {
                Sender.Tell(new SearchNotActive(follow.SearchId));
            }
        });
        Receive<SearchCompleted>(m => _ended = _ended.Add(m.SearchId));
        Receive<SearchCancelled>(m => _ended = _ended.Add(m.SearchId));
        Receive<SearchFailed>(m => _ended = _ended.Add(m.SearchId));
        Receive<Terminated>(t =>
        {
            var ended = _active.FirstOrDefault(a => a.Value.Coordinator.Equals(t.ActorRef));
            if (ended.Key is null)
            {
                return;
            }
            if (!_ended.Contains(ended.Key))
            {
                _log.Error(RunLog.Line(ended.Key, "search", "the search's coordinator stopped without an outcome"));
                ended.Value.Listener.Tell(new SearchFailed(ended.Key, "the search's coordinator stopped unexpectedly"));
            }
            _active = _active.Remove(ended.Key);
            _ended = _ended.Remove(ended.Key);
        });
    }

    public static Props Props(Func<IUntypedActorContext, StartSearch, IActorRef> coordinators) =>
        Akka.Actor.Props.Create(() => new SearchesActor(coordinators));

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop, false);
}
