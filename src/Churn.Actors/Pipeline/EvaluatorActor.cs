using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Pipeline;

namespace Churn.Actors.Pipeline;

/// <summary>Evaluates a trained model on the test split: metrics, feature importance, gains.</summary>
public sealed class EvaluatorActor : StageActor
{
    public EvaluatorActor() =>
        Stage<EvaluateModel>(
            Messages.Stage.Evaluate,
            c => Result.Ok<object>(new ModelEvaluated(c.RunId, Metrics.Evaluate(c.Model, c.Test, c.FeatureNames, c.Seed, c.LeftOut, c.Population))),
            e => StageDetail.Evaluated(((ModelEvaluated)e).Report));

    public static Props Props() => Akka.Actor.Props.Create(() => new EvaluatorActor());
}
