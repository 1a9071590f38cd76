using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics;
using Churn.Numerics.Evaluation;

namespace Churn.Actors.Pipeline;

/// <summary>Evaluates a trained model on the test split: metrics, feature importance, gains.</summary>
public sealed class EvaluatorActor : StageActor
{
    public EvaluatorActor() =>
        Stage<EvaluateModel>(
            Messages.Stage.Evaluate,
            c => Result.Ok<object>(new ModelEvaluated(c.RunId, Metrics.Evaluate(c.Model, c.Test, c.FeatureNames, c.Seed))),
            e => Describe(((ModelEvaluated)e).Report.Test));

    private static string Describe(ClassificationMetrics t) => $"test accuracy {t.Accuracy:F4}, ROC AUC {t.RocAuc:F4}";

    public static Props Props() => Akka.Actor.Props.Create(() => new EvaluatorActor());
}
