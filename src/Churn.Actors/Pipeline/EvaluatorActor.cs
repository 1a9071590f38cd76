using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;

namespace Churn.Actors.Pipeline;

/// <summary>Evaluates a trained model on the test split: metrics, feature importance, gains.</summary>
public sealed class EvaluatorActor : StageActor
{
    public EvaluatorActor() =>
        Stage<EvaluateModel>(
            Messages.Stage.Evaluate,
            c =>
            {
                var leftOut = c.LeftOut is { } s ? Preparation.LeftOut(s.Loaded, s.Balanced, s.Scaler) : null;
                return Result.Ok<object>(new ModelEvaluated(c.RunId, Metrics.Evaluate(c.Model, c.Test, c.FeatureNames, c.Seed, leftOut, c.Population)));
            },
            e => Describe(((ModelEvaluated)e).Report));

    /// <summary>The stage's detail, in words the dashboard shows as they are: the figures on unseen customers in their natural mix first (what holds for the customers scored), then the test split's.</summary>
    public static string Describe(TestReport r) =>
        (r.Population is { } p
            ? $"{p.Rows} customers the model never saw, weighted to the natural mix of {p.BuyingRate:P1} buyers: ROC AUC {p.RocAuc:F4}, Brier {p.Brier:F4}, calibration error {p.CalibrationError:F4} (probabilities corrected by {p.Calibration.Method.ToString().ToLowerInvariant()}), mean probability {p.MeanProbability:F4}, campaign profit {p.Campaign.ProfitPer1000:F0} per 1,000 customers; the test split: "
            : "")
        + $"test accuracy {r.Test.Accuracy:F4}, ROC AUC {r.Test.RocAuc:F4}"
        + (r.LeftOut is { } l ? $"; {l.CalledNonBuyers:P1} of {l.Rows} left-out non-buyers called non-buyers, ROC AUC with them {l.RocAucWithTest:F4}" : "");

    public static Props Props() => Akka.Actor.Props.Create(() => new EvaluatorActor());
}
