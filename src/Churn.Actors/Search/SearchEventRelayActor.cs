using Akka.Actor;
using Churn.Actors.Messages;

namespace Churn.Actors.Search;

/// <summary>Hands a search's events to code outside the actor system (a console, an HTTP handler) through a callback.</summary>
public sealed class SearchEventRelayActor : ReceiveActor
{
    public SearchEventRelayActor(Action<ISearchEvent> relay) => Receive<ISearchEvent>(relay);

    public static Props Props(Action<ISearchEvent> relay) => Akka.Actor.Props.Create(() => new SearchEventRelayActor(relay));
}
