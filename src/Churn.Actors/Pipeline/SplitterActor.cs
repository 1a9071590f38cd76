using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics.Data;
using Churn.Numerics.Pipeline;

namespace Churn.Actors.Pipeline;

/// <summary>Shuffles with the run's seed and splits into train, validation and test.</summary>
public sealed class SplitterActor : StageActor
{
    public SplitterActor() =>
        Stage<SplitData>(
            Messages.Stage.Split,
            c => PrepareSteps.Split(c.Scaled, c.Options).Map(object (s) => new DataSplit(c.RunId, s)),
            e => StageDetail.Split(((DataSplit)e).Splits));

    public static Props Props() => Akka.Actor.Props.Create(() => new SplitterActor());
}
