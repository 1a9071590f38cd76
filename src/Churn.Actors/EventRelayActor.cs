using Akka.Actor;

namespace Churn.Actors;

/// <summary>
/// Hands a run's or a search's events to code outside the actor system (a console, an HTTP stream) through a callback,
/// so that code needs no actor of its own to be told what happens.
/// </summary>
public sealed class EventRelayActor<TEvent> : ReceiveActor
{
    public EventRelayActor(Action<TEvent> relay) => Receive(relay);

    public static Props Props(Action<TEvent> relay) => Akka.Actor.Props.Create(() => new EventRelayActor<TEvent>(relay));
}
