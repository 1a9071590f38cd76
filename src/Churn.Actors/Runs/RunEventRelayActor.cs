using Akka.Actor;
using Churn.Actors.Messages;

namespace Churn.Actors.Runs;

/// <summary>Hands a run's events to code outside the actor system (a console, an HTTP stream) through a callback.</summary>
public sealed class RunEventRelayActor : ReceiveActor
{
    public RunEventRelayActor(Action<IRunEvent> relay) => Receive<IRunEvent>(relay);

    public static Props Props(Action<IRunEvent> relay) => Akka.Actor.Props.Create(() => new RunEventRelayActor(relay));
}
