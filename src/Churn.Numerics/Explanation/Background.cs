using System.Collections.Immutable;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Explanation;

/// <summary>
/// The customers an explanation is measured against, in the network's input space (scaled as the model scales), with
/// a weight each (summing to 1). Equal rows are merged into one row carrying their summed weight: they would give the
/// same hybrid rows, so merging them changes no contribution and saves their evaluations.
/// </summary>
public sealed record Background
{
    private Background(Matrix<double> rows, ImmutableArray<double> weights, int total)
    {
        Rows = rows;
        Weights = weights;
        Total = total;
    }

    /// <summary>The distinct background rows, in order of first appearance; only read.</summary>
    public Matrix<double> Rows { get; }

    /// <summary>Each row's share of the background (its count over the total).</summary>
    public ImmutableArray<double> Weights { get; }

    /// <summary>How many distinct rows.</summary>
    public int Count => Rows.RowCount;

    /// <summary>How many rows before equal ones were merged.</summary>
    public int Total { get; }

    /// <summary>Every row of <paramref name="rows"/> with equal weight, equal rows merged.</summary>
    /// <exception cref="ArgumentException">No rows (a bug: callers check counts first).</exception>
    public static Background Of(Matrix<double> rows)
    {
        if (rows.RowCount == 0)
        {
            throw new ArgumentException("a background needs at least one row", nameof(rows));
        }
        var values = rows.ToRowArrays();
        var first = new Dictionary<double[], int>(RowComparer.Instance);
        var distinct = new List<double[]>();
        var counts = new List<int>();
        foreach (var row in values)
        {
            if (first.TryGetValue(row, out var at))
            {
                counts[at]++;
            }
            else
            {
                first[row] = distinct.Count;
                distinct.Add(row);
                counts.Add(1);
            }
        }
        var total = (double)values.Length;
        return new Background(Matrix<double>.Build.DenseOfRowArrays(distinct), [.. counts.Select(c => c / total)], values.Length);
    }

    /// <summary>Equality of rows by value, for merging repeats and customers.</summary>
    internal sealed class RowComparer : IEqualityComparer<double[]>
    {
        public static readonly RowComparer Instance = new();

        public bool Equals(double[]? x, double[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(double[] row)
        {
            var hash = default(HashCode);
            foreach (var v in row)
            {
                hash.Add(v);
            }
            return hash.ToHashCode();
        }
    }
}
