using System.Collections.Immutable;
using System.Globalization;
using Churn.Numerics.Data;
using Churn.Numerics.Drift;

namespace Churn.Numerics.Evaluation;

/// <summary>One model's probabilities judged on labelled customers: ROC AUC, Brier score, calibration error and the campaign's realized profit per 1,000 customers.</summary>
public sealed record ModelFigures(double RocAuc, double Brier, double CalibrationError, double ProfitPer1000);

/// <summary>
/// B's figure minus A's on one metric, with the paired bootstrap's percentile interval of that difference.
/// <see cref="Distinguishable"/> when the interval leaves out 0; <see cref="Better"/> names the better model then.
/// </summary>
public sealed record MetricDifference(string Metric, double Difference, double Low, double High, bool HigherIsBetter)
{
    public bool Distinguishable => Low > 0 || High < 0;

    /// <summary>"A" or "B" when the interval leaves out 0, else null.</summary>
    public string? Better => !Distinguishable ? null : (Difference > 0) == HigherIsBetter ? "B" : "A";
}

/// <summary>Champion A against challenger B on the same labelled customers: each one's figures, the differences and a verdict in words.</summary>
public sealed record ModelComparison(int Rows, int Resamples, double Confidence, ModelFigures A, ModelFigures B, ImmutableArray<MetricDifference> Differences, string Verdict);

/// <summary>
/// Compares two models' probabilities for the same labelled customers with a paired bootstrap: each resample draws
/// customers with replacement once and judges both models on that same draw, so the interval of a difference reflects
/// how much it depends on which customers happened to be labelled, with what the two models share cancelled out.
/// </summary>
public static class ChampionChallenger
{
    public const int DefaultResamples = 1000;

    /// <summary>
    /// The comparison of <paramref name="a"/> and <paramref name="b"/> (calibrated probabilities of the same customers,
    /// in one order) against <paramref name="targets"/>; <paramref name="resamples"/> bootstrap draws from
    /// <paramref name="seed"/>, a <paramref name="confidence"/> percentile interval.
    /// </summary>
    public static ModelComparison Compare(
        ImmutableArray<double> a, ImmutableArray<double> b, ImmutableArray<int> targets, CampaignEconomics economics, ulong seed,
        int resamples = DefaultResamples, double confidence = 0.95)
    {
        if (a.Length != targets.Length || b.Length != targets.Length)
        {
            throw new ArgumentException($"{a.Length} and {b.Length} probabilities for {targets.Length} customers");
        }
        var orderA = Ascending(a);
        var orderB = Ascending(b);
        var ones = ImmutableArray.CreateRange(Enumerable.Repeat(1.0, targets.Length));
        var figuresA = Figures(a, orderA, targets, ones, economics);
        var figuresB = Figures(b, orderB, targets, ones, economics);
        var draws = new double[4][];
        for (var m = 0; m < draws.Length; m++)
        {
            draws[m] = new double[resamples];
        }
        var stream = SeededRandom.Derive(seed, SeededRandom.BootstrapStream);
        for (var r = 0; r < resamples; r++)
        {
            var weights = ImmutableArray.Create(SeededRandom.ResampleCounts(targets.Length, SeededRandom.Derive(stream, (ulong)r)));
            var fa = Figures(a, orderA, targets, weights, economics);
            var fb = Figures(b, orderB, targets, weights, economics);
            draws[0][r] = fb.RocAuc - fa.RocAuc;
            draws[1][r] = fb.Brier - fa.Brier;
            draws[2][r] = fb.CalibrationError - fa.CalibrationError;
            draws[3][r] = fb.ProfitPer1000 - fa.ProfitPer1000;
        }
        var tail = (1 - confidence) / 2;
        MetricDifference Difference(int m, string name, double delta, bool higherIsBetter)
        {
            Array.Sort(draws[m]);
            // A difference that is exactly 0 in every draw (a model against itself) has the interval [0, 0], not a rounding's.
            return new MetricDifference(name, delta, DriftProfile.Quantile(draws[m], tail), DriftProfile.Quantile(draws[m], 1 - tail), higherIsBetter);
        }
        ImmutableArray<MetricDifference> differences =
        [
            Difference(0, "ROC AUC", figuresB.RocAuc - figuresA.RocAuc, higherIsBetter: true),
            Difference(1, "Brier", figuresB.Brier - figuresA.Brier, higherIsBetter: false),
            Difference(2, "calibration error", figuresB.CalibrationError - figuresA.CalibrationError, higherIsBetter: false),
            Difference(3, "profit per 1,000", figuresB.ProfitPer1000 - figuresA.ProfitPer1000, higherIsBetter: true),
        ];
        return new ModelComparison(targets.Length, resamples, confidence, figuresA, figuresB, differences, Verdict(differences));
    }

    /// <summary>
    /// "B is better on Brier by 0.003, interval 0.001 to 0.005; ROC AUC difference not distinguishable from noise": the
    /// improvement and its interval as the better model's gain, per metric.
    /// </summary>
    public static string Verdict(ImmutableArray<MetricDifference> differences) => string.Join("; ", differences.Select(d =>
    {
        if (d.Better is not { } better)
        {
            return $"{d.Metric} difference not distinguishable from noise";
        }
        // As the better model's gain: B's gain is the difference (or its negative for a lower-is-better metric), A's the opposite.
        var sign = (better == "B") == d.HigherIsBetter ? 1 : -1;
        var (from, to) = sign > 0 ? (d.Low, d.High) : (-d.High, -d.Low);
        return string.Create(CultureInfo.InvariantCulture, $"{better} is better on {d.Metric} by {Number(sign * d.Difference)}, interval {Number(from)} to {Number(to)}");
    }));

    /// <summary>ROC AUC with weights (the Mann–Whitney statistic over weighted pairs, ties counting half), from a precomputed ascending order.</summary>
    public static double WeightedRocAuc(ImmutableArray<double> p, int[] ascending, ImmutableArray<int> targets, ImmutableArray<double> weights)
    {
        double pairs = 0, negativesBelow = 0, positives = 0;
        for (var start = 0; start < ascending.Length;)
        {
            var end = start;
            while (end + 1 < ascending.Length && p[ascending[end + 1]] == p[ascending[start]])
            {
                end++;
            }
            double groupPositives = 0, groupNegatives = 0;
            for (var k = start; k <= end; k++)
            {
                var i = ascending[k];
                if (targets[i] == 1)
                {
                    groupPositives += weights[i];
                }
                else
                {
                    groupNegatives += weights[i];
                }
            }
            pairs += groupPositives * (negativesBelow + (groupNegatives / 2));
            negativesBelow += groupNegatives;
            positives += groupPositives;
            start = end + 1;
        }
        return positives == 0 || negativesBelow == 0 ? double.NaN : pairs / (positives * negativesBelow);
    }

    private static ModelFigures Figures(ImmutableArray<double> p, int[] ascending, ImmutableArray<int> targets, ImmutableArray<double> weights, CampaignEconomics economics)
    {
        var quality = Population.Quality(p, targets, weights);
        return new ModelFigures(WeightedRocAuc(p, ascending, targets, weights), quality.Brier, quality.CalibrationError, Population.Campaign(p, targets, weights, economics).ProfitPer1000);
    }

    private static int[] Ascending(ImmutableArray<double> p)
    {
        var order = Enumerable.Range(0, p.Length).ToArray();
        var keys = p.ToArray();
        Array.Sort(keys, order);
        return order;
    }

    private static string Number(double x) => Math.Abs(x) >= 10 ? x.ToString("N1", CultureInfo.InvariantCulture) : x.ToString("0.####", CultureInfo.InvariantCulture);
}
