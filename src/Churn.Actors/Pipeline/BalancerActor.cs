using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics.Data;

namespace Churn.Actors.Pipeline;

/// <summary>Keeps every buyer and undersamples non-buyers to the same count.</summary>
public sealed class BalancerActor : StageActor
{
    public BalancerActor() =>
        Stage<BalanceData>(
            Messages.Stage.Balance,
            c => Balancer.Balance(c.Loaded.Data, c.Strategy, c.Seed).Map(object (b) => new DataBalanced(c.RunId, b)),
            e => Describe(((DataBalanced)e).Balanced));

    private static string Describe(Balanced b) => $"{b.After.Buyers} buyers + {b.After.NonBuyers} non-buyers ({b.Strategy})";

    public static Props Props() => Akka.Actor.Props.Create(() => new BalancerActor());
}
