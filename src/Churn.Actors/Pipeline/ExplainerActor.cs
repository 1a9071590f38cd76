using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics;
using Churn.Numerics.Explanation;
using Churn.Numerics.Pipeline;

namespace Churn.Actors.Pipeline;

/// <summary>Explains a trained model on the customers it was judged on: which behaviours bring customers back, and which way.</summary>
public sealed class ExplainerActor : StageActor
{
    public ExplainerActor() =>
        Stage<ExplainModel>(
            Messages.Stage.Explain,
            c => Result.Ok<object>(new ModelExplained(
                c.RunId,
                RunExplanation.ForRun(c.Model, c.Calibration, c.Scaler, c.FeatureNames, c.Test, c.LeftOut, c.Rate, c.Background, c.Seed))),
            e => StageDetail.Explained(((ModelExplained)e).Explained.Summary));

    public static Props Props() => Akka.Actor.Props.Create(() => new ExplainerActor());
}
