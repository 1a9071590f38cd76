using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Explanation;

namespace Churn.Actors.Pipeline;

/// <summary>Explains a trained model on the customers it was judged on: which behaviours bring customers back, and which way.</summary>
public sealed class ExplainerActor : StageActor
{
    public ExplainerActor() =>
        Stage<ExplainModel>(
            Messages.Stage.Explain,
            c => Result.Ok<object>(new ModelExplained(
                c.RunId,
                RunExplanation.ForRun(c.Model, c.Calibration, c.Scaler, c.FeatureNames, c.Test, c.LeftOut is { } s ? Preparation.LeftOut(s.Loaded, s.Balanced, s.Scaler) : null, c.Rate, c.Background, c.Seed))),
            e => Describe(((ModelExplained)e).Explained.Summary));

    /// <summary>The stage's detail: how much was explained and the top behaviours with their direction.</summary>
    public static string Describe(RunExplanations e) =>
        $"{e.Customers} customers against {e.BackgroundRows} background rows; most telling: "
        + string.Join(", ", e.Behaviours.Take(3).Select(b => $"{b.Feature} (probability {DirectionSentence.ShapeWords(b.Trend.Shape)})"));

    public static Props Props() => Akka.Actor.Props.Create(() => new ExplainerActor());
}
