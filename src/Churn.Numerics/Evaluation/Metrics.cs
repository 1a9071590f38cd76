using System.Collections.Immutable;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Numerics.Evaluation;

/// <summary>Counts at threshold 0.5; "positive" is a buyer.</summary>
public sealed record ConfusionMatrix(int TruePositives, int FalsePositives, int TrueNegatives, int FalseNegatives);

public sealed record ClassificationMetrics(
    int Rows,
    double Accuracy,
    double Precision,
    double Recall,
    double F1,
    double RocAuc,
    double LogLoss,
    ConfusionMatrix Confusion);

/// <summary>How much worse the model gets on the test split when one feature's values are shuffled.</summary>
public sealed record FeatureImportance(string Feature, int Rank, double AccuracyDrop, double AucDrop);

/// <summary>Contacting the top <see cref="ContactedShare"/> of customers by score reaches <see cref="BuyersReachedShare"/> of buyers.</summary>
public sealed record GainsRow(double ContactedShare, int Contacted, int BuyersReached, double BuyersReachedShare, double Lift);

/// <summary>A point of the ROC curve.</summary>
public sealed record RocPoint(double FalsePositiveRate, double TruePositiveRate);

/// <summary>Everything the test split says about a model.</summary>
public sealed record TestReport(
    ClassificationMetrics Test,
    ImmutableArray<FeatureImportance> Importance,
    ImmutableArray<GainsRow> Gains,
    ImmutableArray<RocPoint> Roc);

public static class Metrics
{
    public static ClassificationMetrics Classification(ImmutableArray<double> probabilities, ImmutableArray<int> targets, double threshold = 0.5) =>
        throw new NotImplementedException();

    public static ImmutableArray<GainsRow> Gains(ImmutableArray<double> probabilities, ImmutableArray<int> targets, int bins = 10) =>
        throw new NotImplementedException();

    public static ImmutableArray<RocPoint> Roc(ImmutableArray<double> probabilities, ImmutableArray<int> targets) =>
        throw new NotImplementedException();

    /// <summary>Permutation importance, ranked (1 = matters most), with a seeded shuffle per feature.</summary>
    public static ImmutableArray<FeatureImportance> PermutationImportance(TrainedModel model, Dataset test, ImmutableArray<string> featureNames, ulong seed, int repeats = 5) =>
        throw new NotImplementedException();

    /// <summary>The full test report of <paramref name="model"/> on <paramref name="test"/>.</summary>
    public static TestReport Evaluate(TrainedModel model, Dataset test, ImmutableArray<string> featureNames, ulong seed) =>
        throw new NotImplementedException();
}
