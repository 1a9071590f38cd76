using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics;
using Churn.Numerics.Data;

namespace Churn.Actors.Pipeline;

/// <summary>Standardizes every feature (the named ones as ln(1 + x)) and hands on the fitted parameters with the data.</summary>
public sealed class ScalerActor : StageActor
{
    public ScalerActor() =>
        Stage<ScaleData>(
            Messages.Stage.Scale,
            c =>
            {
                var (scaled, parameters) = Scaler.FitApply(c.Balanced.Data, c.LogFeatures);
                return Result.Ok<object>(new DataScaled(c.RunId, scaled, parameters));
            },
            e => Describe(((DataScaled)e).Scaler));

    public static string Describe(ScalerParameters scaler) =>
        $"{scaler.Means.Length} features standardized" + (scaler.LogFeatures.IsEmpty ? "" : $" ({string.Join(", ", scaler.LogFeatures)} as ln(1 + x))");

    public static Props Props() => Akka.Actor.Props.Create(() => new ScalerActor());
}
