using System.Collections.Immutable;
using Churn.Numerics.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Explanation;

/// <summary>
/// A behaviour's partial dependence: at each <see cref="Grid"/> value, the probability every customer of the sample
/// would have with that value and their own others (<see cref="Ice"/> for a few of them, one line each), and
/// <see cref="Average"/> their mean over the whole sample.
/// </summary>
public sealed record PartialDependenceCurve(ImmutableArray<double> Grid, ImmutableArray<double> Average, ImmutableArray<ImmutableArray<double>> Ice);

/// <summary>Partial dependence and individual conditional expectation (scikit-learn's <c>inspection</c>, its "brute" method).</summary>
public static class PartialDependence
{
    /// <summary>Grid points at most; a behaviour with fewer distinct values gets each of them.</summary>
    public const int GridPoints = 16;

    /// <summary>The grid spans these quantiles, scikit-learn's default <c>percentiles=(0.05, 0.95)</c>: where customers actually are, not a lone extreme.</summary>
    public const double LowQuantile = 0.05;

    /// <inheritdoc cref="LowQuantile"/>
    public const double HighQuantile = 0.95;

    /// <summary>
    /// The values a behaviour is set to: its distinct <paramref name="values"/> when there are at most
    /// <paramref name="points"/> (as scikit-learn does), else its quantiles at <paramref name="points"/> evenly spaced
    /// levels from <see cref="LowQuantile"/> to <see cref="HighQuantile"/>, without repeats. Quantiles are taken
    /// without interpolation (the smallest value with at least that share at or below it), so every grid value is one
    /// a customer has: a count stays whole, a flag stays 0 or 1.
    /// </summary>
    public static ImmutableArray<double> Grid(IEnumerable<double> values, int points = GridPoints)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 2);
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return [];
        }
        var distinct = sorted.Distinct().ToArray();
        if (distinct.Length <= points)
        {
            return [.. distinct];
        }
        var grid = new List<double>(points);
        for (var k = 0; k < points; k++)
        {
            var level = LowQuantile + ((HighQuantile - LowQuantile) * k / (points - 1));
            var index = Math.Clamp((int)Math.Ceiling((level * sorted.Length) - 1e-9) - 1, 0, sorted.Length - 1);
            if (grid.Count == 0 || grid[^1] != sorted[index])
            {
                grid.Add(sorted[index]);
            }
        }
        return [.. grid];
    }

    /// <summary>
    /// The curve of behaviour <paramref name="feature"/> over <paramref name="grid"/>: every row of
    /// <paramref name="customers"/> is scored by <paramref name="probability"/> once per grid value with that column
    /// set to it (one batch of rows × grid points; <paramref name="customers"/> is not changed). The ICE lines are
    /// those of rows <paramref name="iceRows"/>.
    /// </summary>
    public static PartialDependenceCurve Compute(
        Func<Matrix<double>, ImmutableArray<double>> probability, Matrix<double> customers, int feature, ImmutableArray<double> grid, ImmutableArray<int> iceRows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(feature);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(feature, customers.ColumnCount);
        var n = customers.RowCount;
        var columns = customers.ColumnCount;
        var g = grid.Length;
        if (n == 0 || g == 0)
        {
            return new PartialDependenceCurve(grid, [.. Enumerable.Repeat(double.NaN, g)], [.. iceRows.Select(_ => ImmutableArray.Create(new double[g]))]);
        }
        var source = DatasetRows.ReadColumnMajor(customers);
        var total = n * g;
        // Row (k · n + i) is customer i with the behaviour set to grid[k]; a fresh array only this matrix sees.
        var values = new double[total * columns];
        for (var c = 0; c < columns; c++)
        {
            var column = values.AsSpan(c * total, total);
            for (var k = 0; k < g; k++)
            {
                if (c == feature)
                {
                    column.Slice(k * n, n).Fill(grid[k]);
                }
                else
                {
                    source.AsSpan(c * n, n).CopyTo(column.Slice(k * n, n));
                }
            }
        }
        var p = probability(Matrix<double>.Build.Dense(total, columns, values));
        var average = new double[g];
        for (var k = 0; k < g; k++)
        {
            var sum = 0.0;
            for (var i = 0; i < n; i++)
            {
                sum += p[(k * n) + i];
            }
            average[k] = sum / n;
        }
        return new PartialDependenceCurve(
            grid,
            [.. average],
            [.. iceRows.Select(i => ImmutableArray.CreateRange(Enumerable.Range(0, g).Select(k => p[(k * n) + i])))]);
    }
}
