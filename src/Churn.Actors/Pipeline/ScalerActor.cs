using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Pipeline;

namespace Churn.Actors.Pipeline;

/// <summary>
/// Standardizes every feature (the named ones as ln(1 + x)) and hands on the fitted parameters with the data, and the
/// non-buyers balancing left out standardized the same way, built once for the run's evaluation and explanation.
/// </summary>
public sealed class ScalerActor : StageActor
{
    public ScalerActor() =>
        Stage<ScaleData>(
            Messages.Stage.Scale,
            c =>
            {
                var scaled = PrepareSteps.Scale(c.Balanced, c.Options);
                return Result.Ok<object>(new DataScaled(c.RunId, scaled, PrepareSteps.LeftOut(c.Loaded, c.Balanced, scaled.Scaler)));
            },
            e => StageDetail.Scaled(((DataScaled)e).Scaled.Scaler));

    public static Props Props() => Akka.Actor.Props.Create(() => new ScalerActor());
}
