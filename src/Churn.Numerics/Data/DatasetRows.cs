using System.Collections.Immutable;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Data;

/// <summary>Row selection that builds each new matrix once from a fresh array, never touching the source.</summary>
internal static class DatasetRows
{
    /// <summary>
    /// The matrix's column-major values for reading. A dense matrix hands out its own storage (no copy);
    /// callers only read it, which keeps the "built once, never mutated" rule.
    /// </summary>
    public static double[] ReadColumnMajor(Matrix<double> matrix) =>
        matrix.AsColumnMajorArray() ?? matrix.ToColumnMajorArray();

    /// <summary>A new dataset holding <paramref name="rows"/> of <paramref name="data"/>, in the given order.</summary>
    public static Dataset Select(Dataset data, ReadOnlySpan<int> rows)
    {
        var source = ReadColumnMajor(data.Inputs);
        var n = data.Rows;
        var columns = data.Inputs.ColumnCount;
        var values = new double[rows.Length * columns];
        for (var c = 0; c < columns; c++)
        {
            var from = c * n;
            var to = c * rows.Length;
            for (var i = 0; i < rows.Length; i++)
            {
                values[to + i] = source[from + rows[i]];
            }
        }
        var inputs = Matrix<double>.Build.Dense(rows.Length, columns, values);
        return new Dataset(Pick(data.Ids, rows), inputs, Pick(data.Targets, rows));
    }

    private static ImmutableArray<T> Pick<T>(ImmutableArray<T> items, ReadOnlySpan<int> rows)
    {
        if (items.IsDefaultOrEmpty)
        {
            return [];
        }
        var builder = ImmutableArray.CreateBuilder<T>(rows.Length);
        foreach (var row in rows)
        {
            builder.Add(items[row]);
        }
        return builder.MoveToImmutable();
    }
}
