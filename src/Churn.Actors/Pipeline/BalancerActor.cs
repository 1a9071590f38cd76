using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics.Data;
using Churn.Numerics.Pipeline;

namespace Churn.Actors.Pipeline;

/// <summary>Keeps every buyer and undersamples non-buyers to the same count.</summary>
public sealed class BalancerActor : StageActor
{
    public BalancerActor() =>
        Stage<BalanceData>(
            Messages.Stage.Balance,
            c => PrepareSteps.Balance(c.Loaded, c.Options).Map(object (b) => new DataBalanced(c.RunId, b)),
            e => StageDetail.Balanced(((DataBalanced)e).Balanced));

    public static Props Props() => Akka.Actor.Props.Create(() => new BalancerActor());
}
