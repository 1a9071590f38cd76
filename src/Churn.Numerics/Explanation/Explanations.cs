using System.Collections.Immutable;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Explanation;

/// <summary>
/// How much a run explains: <see cref="Customers"/> customers drawn from those the model is judged on, against the
/// first <see cref="Background"/> rows of the background saved with the model, <see cref="IceLines"/> of them drawn
/// as ICE lines, and a sentence for each of the top <see cref="Sentences"/> behaviours. Bounded so a run stays fast.
/// </summary>
public sealed record ExplainSettings(int Customers = 200, int Background = 16, int IceLines = 12, int Sentences = 5)
{
    public static readonly ExplainSettings Default = new();
}

/// <summary>
/// Contribution against a behaviour's value, summarized per grid interval (customers whose value is at least
/// <see cref="Value"/> and below the next one): how many, their mean contribution and the 10th and 90th percentiles,
/// in log-odds. Intervals no customer falls in are left out.
/// </summary>
public sealed record DependenceCurve(ImmutableArray<double> Value, ImmutableArray<int> Customers, ImmutableArray<double> Mean, ImmutableArray<double> Low, ImmutableArray<double> High);

/// <summary>
/// One behaviour's global effect: its place in the ranking by mean |contribution| (with the bootstrap interval), its
/// partial dependence with ICE lines and its dependence curve (values in the customers' own units), and what they say.
/// </summary>
public sealed record BehaviourEffect(
    string Feature,
    int Rank,
    double MeanAbsContribution,
    double Low,
    double High,
    BehaviourTrend Trend,
    PartialDependenceCurve PartialDependence,
    DependenceCurve Dependence);

/// <summary>
/// Which behaviours bring customers back, measured on a run's population sample: <c>metrics.json</c>'s
/// <c>explanations</c>. Contributions are exact interventional Shapley values of the calibrated log-odds against the
/// background; <see cref="BaseProbability"/> is the logistic of <see cref="BaseLogOdds"/>, the background's mean log-odds.
/// </summary>
public sealed record RunExplanations(
    string Sample,
    int Customers,
    int BackgroundRows,
    string Measure,
    double BaseLogOdds,
    double BaseProbability,
    ImmutableArray<string> Sentences,
    ImmutableArray<BehaviourEffect> Behaviours)
{
    /// <summary>What the ranking measures, as the console and the charts name it.</summary>
    public const string RankingMeasure = "mean |contribution| to the log-odds";
}

/// <summary>The summary, and the explained customers' values (their own units) and contributions that <c>explain.png</c> draws, columns in <see cref="Features"/> order.</summary>
public sealed record ExplainedRun(RunExplanations Summary, ImmutableArray<string> Features, Matrix<double> Values, Matrix<double> Contributions);
