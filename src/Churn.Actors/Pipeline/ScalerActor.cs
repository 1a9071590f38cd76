using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics;
using Churn.Numerics.Data;

namespace Churn.Actors.Pipeline;

/// <summary>Standardizes every feature and hands on the fitted parameters with the data.</summary>
public sealed class ScalerActor : StageActor
{
    public ScalerActor() =>
        Stage<ScaleData>(
            Messages.Stage.Scale,
            c =>
            {
                var (scaled, parameters) = Scaler.FitApply(c.Balanced.Data);
                return Result.Ok<object>(new DataScaled(c.RunId, scaled, parameters));
            },
            e => $"{((DataScaled)e).Scaler.Means.Length} features standardized");

    public static Props Props() => Akka.Actor.Props.Create(() => new ScalerActor());
}
