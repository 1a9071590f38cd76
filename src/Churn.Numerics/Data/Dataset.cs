using System.Collections.Immutable;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Data;

/// <summary>The customer file's columns, in file order.</summary>
public static class Schema
{
    public const string IdColumn = "customer_id";
    public const string TargetColumn = "target";

    /// <summary>The ten behaviour features the network sees (the customer ID is never one of them).</summary>
    public static readonly ImmutableArray<string> FeatureNames =
    [
        "book_length_avg_min",
        "book_length_total_min",
        "price_avg",
        "price_total",
        "review",
        "review_score",
        "completion",
        "minutes_listened",
        "support_requests",
        "last_visit_days",
    ];

    public static int FeatureCount => FeatureNames.Length;
}

/// <summary>
/// Customers as the stages pass them on. <see cref="Inputs"/> is built once and only read afterwards;
/// <see cref="Ids"/> is empty when the source had none (an <c>.npz</c> file), and <see cref="Targets"/>
/// is empty when the source had no target column (customers to score).
/// </summary>
public sealed record Dataset(ImmutableArray<long> Ids, Matrix<double> Inputs, ImmutableArray<int> Targets)
{
    public int Rows => Inputs.RowCount;

    public bool HasTargets => !Targets.IsDefaultOrEmpty;

    public ClassCounts Counts()
    {
        var buyers = 0;
        foreach (var t in Targets)
        {
            buyers += t;
        }
        return new ClassCounts(buyers, Targets.Length - buyers);
    }
}

/// <summary>How many buyers (target 1) and non-buyers (target 0).</summary>
public sealed record ClassCounts(int Buyers, int NonBuyers)
{
    public int Total => Buyers + NonBuyers;
}

/// <summary>A customer file as read: where it came from, its SHA-256 and its rows.</summary>
public sealed record LoadedData(string Source, string Sha256, Dataset Data);

/// <summary>Whether a customer file must carry the target column (training) or may omit it (scoring).</summary>
public enum TargetPolicy
{
    Required,
    Optional,
}

/// <summary>How the classes are balanced before training.</summary>
public enum BalanceStrategy
{
    /// <summary>The first N non-buyers in file order, as the original notebook does.</summary>
    First,

    /// <summary>N non-buyers drawn at random with the run's seed.</summary>
    Random,

    /// <summary>Every customer, in the file's natural mix.</summary>
    None,

    /// <summary>Every customer, with a class-weighted loss that counts both classes equally (as Keras' <c>class_weight</c>).</summary>
    Weighted,
}

/// <summary>
/// The buyers' share that a model's loss effectively saw (<see cref="Training"/>) and the buyers' share of the
/// customer file before balancing (<see cref="Population"/>, null when unknown): what turns the model's scores into
/// probabilities for the population.
/// </summary>
public sealed record ClassMix(double Training, double? Population)
{
    /// <summary>The mix of a balancing: a class-weighted loss sees both classes equally; the others see the rows they kept.</summary>
    public static ClassMix Of(BalanceStrategy strategy, ClassCounts before, ClassCounts after) =>
        new(strategy == BalanceStrategy.Weighted ? 0.5 : Share(after), Share(before));

    /// <summary>Splits of unknown origin (numpy's files): the training split's own mix, the population unknown.</summary>
    public static ClassMix OfTraining(Dataset train) => new(Share(train.Counts()), null);

    private static double Share(ClassCounts counts) => counts.Total == 0 ? 0.5 : (double)counts.Buyers / counts.Total;
}

/// <summary>
/// The balanced rows (in file order) and the class counts before and after. <see cref="LeftOut"/> holds the row
/// numbers (in the data that was balanced, in file order) of the non-buyers balancing dropped: the evaluation scores
/// them to show how the model does on customers outside the balanced sample.
/// </summary>
public sealed record Balanced(Dataset Data, ClassCounts Before, ClassCounts After, BalanceStrategy Strategy, ImmutableArray<int> LeftOut = default)
{
    public ImmutableArray<int> LeftOut { get; init; } = LeftOut.IsDefault ? [] : LeftOut;

    public ClassMix Mix => ClassMix.Of(Strategy, Before, After);
}

/// <summary>
/// Per-feature standardization fitted on the balanced data. <see cref="Stds"/> holds the divisor actually used:
/// a constant column gets 1 so it maps to 0 instead of dividing by zero. The features named in
/// <see cref="LogFeatures"/> are standardized as <c>ln(1 + x)</c> (their means and stds are of the logged values), so
/// scoring applies the same transform from these parameters alone; files written before the option existed read as none.
/// </summary>
public sealed record ScalerParameters(
    ImmutableArray<string> FeatureNames,
    ImmutableArray<double> Means,
    ImmutableArray<double> Stds,
    ImmutableArray<string> LogFeatures = default)
{
    public ImmutableArray<string> LogFeatures { get; init; } = LogFeatures.IsDefault ? [] : LogFeatures;
}

/// <summary>Train/validation/test shares; they must be positive (validation and test may be 0) and sum to 1.</summary>
public sealed record SplitRatios(double Train, double Validation, double Test)
{
    public static readonly SplitRatios Default = new(0.8, 0.1, 0.1);
}

/// <summary>The three splits after the seeded shuffle.</summary>
public sealed record Splits(Dataset Train, Dataset Validation, Dataset Test);

/// <summary>
/// Everything the preparation needs besides the data. <see cref="LogFeatures"/> names the features standardized as
/// <c>ln(1 + x)</c> (see <see cref="FeatureTransform"/>); none by default, which is the original recipe.
/// </summary>
public sealed record PrepareOptions(BalanceStrategy Balance, ulong Seed, SplitRatios Ratios, bool Stratify, ImmutableArray<string> LogFeatures = default)
{
    public static readonly PrepareOptions Default = new(BalanceStrategy.Random, 0, SplitRatios.Default, false);

    public ImmutableArray<string> LogFeatures { get; init; } = LogFeatures.IsDefault ? [] : LogFeatures;
}
