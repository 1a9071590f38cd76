using System.Threading.Channels;
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

public static class EventRelay
{
    /// <summary>
    /// A relay whose events come out of a channel for one reader. The channel also ends when the actor system stops, so
    /// a command waiting for an outcome the stopped system can no longer send ends its wait instead of hanging.
    /// </summary>
    public static (IActorRef Relay, ChannelReader<TEvent> Events) Open<TEvent>(ActorSystem system, string? name = null)
    {
        var events = Channel.CreateUnbounded<TEvent>(new UnboundedChannelOptions { SingleReader = true });
        var relay = system.ActorOf(EventRelayActor<TEvent>.Props(e => events.Writer.TryWrite(e)), name);
        _ = system.WhenTerminated.ContinueWith(_ => events.Writer.TryComplete(), TaskScheduler.Default);
        return (relay, events.Reader);
    }
}
