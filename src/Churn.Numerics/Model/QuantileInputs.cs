using System.Collections.Immutable;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Model;

/// <summary>
/// A fitted quantile map to the normal distribution, one per input column: <see cref="Knots"/> are the column's
/// values at evenly spaced training quantiles (ascending, ties kept), <see cref="Scores"/> the standard normal
/// quantiles of those levels, shared by every column (the two ends clipped at ±5.2, the quantiles of 10⁻⁷ and
/// 1 − 10⁻⁷).
/// </summary>
public sealed record QuantileMap(ImmutableArray<ImmutableArray<double>> Knots, ImmutableArray<double> Scores);

/// <summary>
/// Inputs mapped to normal scores by their rank among the training rows (scikit-learn's
/// <c>QuantileTransformer(output_distribution="normal")</c>, interpolated on the normal scores of the quantiles): every
/// behaviour then has the same bell-shaped spread whatever its tail, which the network fits more easily than a
/// standardized long tail. The map is monotone per column, so it depends only on the order of a column's values and
/// reads the same on inputs standardized first.
/// </summary>
public static class QuantileInputs
{
    /// <summary>Quantile levels fitted per column (fewer with fewer training rows), as scikit-learn's default.</summary>
    public const int DefaultLevels = 1000;

    // scikit-learn's BOUNDS_THRESHOLD: the lowest and highest levels map to the normal quantiles of these, not ±infinity.
    private const double Bound = 1e-7;

    private const int RowsPerTask = 16_384;

    /// <summary>The map fitted on <paramref name="inputs"/> (the training rows): <c>min(levels, rows)</c> levels per column.</summary>
    /// <exception cref="ArgumentException">No rows, fewer than 2 levels, or a value that is not finite (bugs: training checks its rows first).</exception>
    public static QuantileMap Fit(Matrix<double> inputs, int levels = DefaultLevels)
    {
        var rows = inputs.RowCount;
        if (rows == 0 || levels < 2)
        {
            throw new ArgumentException($"a quantile map needs rows and at least 2 levels, got {rows} rows and {levels} levels", nameof(inputs));
        }
        var count = Math.Max(2, Math.Min(levels, rows));
        var knots = ImmutableArray.CreateBuilder<ImmutableArray<double>>(inputs.ColumnCount);
        for (var c = 0; c < inputs.ColumnCount; c++)
        {
            var sorted = inputs.Column(c).ToArray();
            if (sorted.Any(v => !double.IsFinite(v)))
            {
                throw new ArgumentException($"column {c} has a value that is not finite", nameof(inputs));
            }
            Array.Sort(sorted);
            var column = new double[count];
            for (var k = 0; k < count; k++)
            {
                // numpy's percentile with linear interpolation between the order statistics.
                var position = (double)k / (count - 1) * (rows - 1);
                var below = (int)Math.Floor(position);
                var above = Math.Min(below + 1, rows - 1);
                column[k] = sorted[below] + ((sorted[above] - sorted[below]) * (position - below));
            }
            knots.Add([.. column]);
        }
        return new QuantileMap(knots.MoveToImmutable(), Scores(count));
    }

    /// <summary>The standard normal quantiles of <paramref name="count"/> evenly spaced levels from 0 to 1, the ends clipped.</summary>
    public static ImmutableArray<double> Scores(int count) =>
        [.. Enumerable.Range(0, count).Select(k => Normal.InvCDF(0, 1, Math.Clamp((double)k / (count - 1), Bound, 1 - Bound)))];

    /// <summary>Why <paramref name="map"/> cannot map <paramref name="columns"/> inputs, or null when it can.</summary>
    public static Problem? Check(QuantileMap map, int columns)
    {
        if (map.Knots.IsDefault || map.Scores.IsDefault || map.Knots.Length != columns)
        {
            return new Problem($"the quantile map has {(map.Knots.IsDefault ? 0 : map.Knots.Length)} columns for {columns} inputs", Column: "inputQuantiles");
        }
        var count = map.Scores.Length;
        if (count < 2 || !map.Scores.SequenceEqual(Scores(count)))
        {
            return new Problem("the quantile map's normal scores are not those of its levels", Column: "inputQuantiles.scores");
        }
        for (var c = 0; c < columns; c++)
        {
            var knots = map.Knots[c];
            if (knots.IsDefault || knots.Length != count || knots.Any(k => !double.IsFinite(k)) || Enumerable.Range(1, count - 1).Any(k => knots[k] < knots[k - 1]))
            {
                return new Problem($"column {c} of the quantile map needs {count} finite ascending values", Column: "inputQuantiles.knots");
            }
        }
        return null;
    }

    /// <summary>
    /// A new matrix of normal scores; <paramref name="inputs"/> is left as it was. A value between two knots is
    /// interpolated linearly between their scores; a value equal to several knots (ties) gets the mean of the scores of
    /// the first and the last of them, as scikit-learn averages its upward and downward interpolations; values beyond
    /// the fitted range get the end scores. Each value is mapped on its own, so a row maps the same whatever else is
    /// mapped with it.
    /// </summary>
    /// <exception cref="ArgumentException">The map was fitted on a different number of columns (a bug).</exception>
    public static Matrix<double> Apply(QuantileMap map, Matrix<double> inputs)
    {
        if (map.Knots.Length != inputs.ColumnCount)
        {
            throw new ArgumentException($"the quantile map has {map.Knots.Length} columns for {inputs.ColumnCount}", nameof(map));
        }
        var rows = inputs.RowCount;
        var source = Data.DatasetRows.ReadColumnMajor(inputs);
        var values = new double[source.Length];
        var scores = map.Scores.AsSpan().ToArray();
        var tasks = (rows + RowsPerTask - 1) / RowsPerTask;
        Parallel.For(0, inputs.ColumnCount * Math.Max(1, tasks), new ParallelOptions { MaxDegreeOfParallelism = tasks > 1 ? -1 : 1 }, job =>
        {
            var c = job % inputs.ColumnCount;
            var start = job / inputs.ColumnCount * RowsPerTask;
            var end = Math.Min(rows, start + RowsPerTask);
            var knots = map.Knots[c].AsSpan();
            for (var i = start; i < end; i++)
            {
                values[(c * rows) + i] = Score(knots, scores, source[(c * rows) + i]);
            }
        });
        return Matrix<double>.Build.Dense(rows, inputs.ColumnCount, values);
    }

    private static double Score(ReadOnlySpan<double> knots, double[] scores, double x)
    {
        var last = knots.Length - 1;
        if (x <= knots[0])
        {
            return x < knots[0] ? scores[0] : (scores[0] + scores[LastAtMost(knots, x)]) / 2;
        }
        if (x >= knots[last])
        {
            return x > knots[last] ? scores[last] : (scores[FirstAtLeast(knots, x)] + scores[last]) / 2;
        }
        var upper = LastAtMost(knots, x);
        if (knots[upper] == x)
        {
            return (scores[FirstAtLeast(knots, x)] + scores[upper]) / 2;
        }
        // knots[upper] < x < knots[upper + 1]: an ordinary interpolation.
        var t = (x - knots[upper]) / (knots[upper + 1] - knots[upper]);
        return scores[upper] + ((scores[upper + 1] - scores[upper]) * t);
    }

    // The last index whose knot is at most x (x >= knots[0]).
    private static int LastAtMost(ReadOnlySpan<double> knots, double x)
    {
        int low = 0, high = knots.Length - 1;
        while (low < high)
        {
            var middle = (low + high + 1) / 2;
            if (knots[middle] <= x)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }
        return low;
    }

    // The first index whose knot is at least x (x <= knots[^1]).
    private static int FirstAtLeast(ReadOnlySpan<double> knots, double x)
    {
        int low = 0, high = knots.Length - 1;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (knots[middle] >= x)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }
        return low;
    }
}
