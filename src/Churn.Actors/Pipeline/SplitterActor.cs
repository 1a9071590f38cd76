using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics.Data;

namespace Churn.Actors.Pipeline;

/// <summary>Shuffles with the run's seed and splits into train, validation and test.</summary>
public sealed class SplitterActor : StageActor
{
    public SplitterActor() =>
        Stage<SplitData>(
            Messages.Stage.Split,
            c => Splitter.Split(c.Scaled, c.Ratios, c.Seed, c.Stratify).Map(object (s) => new DataSplit(c.RunId, s)),
            e => Describe(((DataSplit)e).Splits));

    internal static string Describe(Splits s) => $"{s.Train.Rows}/{s.Validation.Rows}/{s.Test.Rows} rows";

    public static Props Props() => Akka.Actor.Props.Create(() => new SplitterActor());
}
