using System.Collections.Immutable;
using Churn.Numerics.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Explanation;

/// <summary>
/// How much a behaviour moves customers' log-odds on average (mean |contribution|), with a bootstrap interval over
/// the customers explained: <see cref="Low"/> and <see cref="High"/> bound the middle <see cref="ImportanceRanking.Level"/>
/// of the resampled means.
/// </summary>
public sealed record BehaviourImportance(string Feature, int Rank, double MeanAbsContribution, double Low, double High);

/// <summary>The ranking of behaviours by mean absolute contribution, the field's usual global summary of per-customer contributions.</summary>
public static class ImportanceRanking
{
    /// <summary>Bootstrap resamples of the customers.</summary>
    public const int Resamples = 200;

    /// <summary>The share of resampled means the interval holds (a percentile interval).</summary>
    public const double Level = 0.95;

    /// <summary>
    /// Ranks the columns of <paramref name="contributions"/> (customers × behaviours, in log-odds) by their mean
    /// absolute value, largest first (ties: column order). Each of <paramref name="resamples"/> rounds draws as many
    /// customers with replacement from a generator seeded by <paramref name="seed"/>, so one seed gives one interval.
    /// A behaviour that contributes nothing to anyone gets 0 and an interval of [0, 0].
    /// </summary>
    public static ImmutableArray<BehaviourImportance> Rank(ImmutableArray<string> features, Matrix<double> contributions, ulong seed, int resamples = Resamples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 1);
        if (features.Length != contributions.ColumnCount)
        {
            throw new ArgumentException($"{features.Length} behaviours for {contributions.ColumnCount} columns of contributions", nameof(features));
        }
        var n = contributions.RowCount;
        var k = features.Length;
        var values = DatasetRows.ReadColumnMajor(contributions);
        var means = new double[k];
        for (var c = 0; c < k; c++)
        {
            means[c] = n == 0 ? 0 : Sum(values.AsSpan(c * n, n)) / n;
        }
        var resampled = new double[k][];
        for (var c = 0; c < k; c++)
        {
            resampled[c] = new double[resamples];
        }
        if (n > 0)
        {
            var generator = new Xoshiro256(SeededRandom.Derive(seed, SeededRandom.ExplainStream));
            var draw = new int[n];
            for (var r = 0; r < resamples; r++)
            {
                for (var i = 0; i < n; i++)
                {
                    draw[i] = generator.NextBelow(n);
                }
                for (var c = 0; c < k; c++)
                {
                    var column = values.AsSpan(c * n, n);
                    var sum = 0.0;
                    foreach (var i in draw)
                    {
                        sum += Math.Abs(column[i]);
                    }
                    resampled[c][r] = sum / n;
                }
            }
        }
        var tail = (1 - Level) / 2;
        return
        [
            .. Enumerable.Range(0, k)
                .OrderByDescending(c => means[c])
                .ThenBy(c => c)
                .Select((c, rank) =>
                {
                    var sorted = resampled[c].Order().ToArray();
                    return new BehaviourImportance(features[c], rank + 1, means[c], Quantile(sorted, tail), Quantile(sorted, 1 - tail));
                }),
        ];
    }

    private static double Sum(ReadOnlySpan<double> column)
    {
        var sum = 0.0;
        foreach (var v in column)
        {
            sum += Math.Abs(v);
        }
        return sum;
    }

    /// <summary>Linear interpolation between order statistics (numpy's default).</summary>
    internal static double Quantile(double[] sorted, double level)
    {
        var position = level * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }
}
