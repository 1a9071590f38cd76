using System.Collections.Immutable;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Explanation;
using Churn.Numerics.Model;

namespace Churn.Numerics.Pipeline;

/// <summary>
/// The one line each stage's result is described by, worded once: the stage actors' log lines, the run's
/// <c>StageCompleted</c> events (the console, <c>--timings</c>, the run store, the API and the dashboard) all show it.
/// </summary>
public static class StageDetail
{
    public static string Loaded(ClassCounts n) => $"{n.Total} rows: {n.Buyers} buyers, {n.NonBuyers} non-buyers";

    public static string Balanced(Balanced b) =>
        $"{b.After.Buyers} buyers + {b.After.NonBuyers} non-buyers kept ({b.Strategy.ToString().ToLowerInvariant()})";

    public static string Scaled(ScalerParameters scaler) =>
        $"{scaler.Means.Length} behaviours put on one scale" + (scaler.LogFeatures.IsEmpty ? "" : $" ({string.Join(", ", scaler.LogFeatures)} on a log scale first, as they are skewed)");

    public static string Split(Splits s) => $"{s.Train.Rows}/{s.Validation.Rows}/{s.Test.Rows} rows";

    public static string Written(ImmutableArray<string> files) => $"wrote {string.Join(", ", files)}";

    public static string Trained(TrainedModel m) => $"{m.EpochsRun} epochs on {m.Device}, best epoch {m.BestEpoch}";

    /// <summary>In words the dashboard shows as they are: the figures on unseen customers in their natural mix first (what holds for the customers scored), then the test split's.</summary>
    public static string Evaluated(TestReport r) =>
        (r.Population is { } p
            ? $"{p.Rows} customers the model never saw, weighted to the natural mix of {p.BuyingRate:P1} buyers: ROC AUC {p.RocAuc:F4}, Brier {p.Brier:F4}, calibration error {p.CalibrationError:F4} (probabilities {Corrected(p.Calibration.Method)}), mean probability {p.MeanProbability:F4}, campaign profit {p.Campaign.ProfitPer1000:F0} per 1,000 customers; the test split: "
            : "")
        + $"test accuracy {r.Test.Accuracy:F4}, ROC AUC {r.Test.RocAuc:F4}"
        + (r.LeftOut is { } l ? $"; {l.CalledNonBuyers:P1} of {l.Rows} left-out non-buyers called non-buyers, ROC AUC with them {l.RocAucWithTest:F4}" : "");

    /// <summary>How the probabilities were corrected to the natural mix, in words a marketer reads.</summary>
    public static string Corrected(CalibrationMethod method) => method switch
    {
        CalibrationMethod.Prior => "shifted to the real buying rate",
        CalibrationMethod.Platt => "refitted on held-back customers",
        _ => "as the model gives them",
    };

    /// <summary>How much was explained and the top behaviours with their direction.</summary>
    public static string Explained(RunExplanations e) =>
        $"{e.Customers} customers explained, each against {e.BackgroundRows} training customers; most telling: "
        + string.Join(", ", e.Behaviours.Take(3).Select(b => $"{b.Feature} (probability {DirectionSentence.ShapeWords(b.Trend.Shape)})"));
}
