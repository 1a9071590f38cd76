using System.Collections.Immutable;
using Churn.Numerics.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Model;

/// <summary>A learnable problem with the customer file's shape: ten standard-normal features, buyers where a fixed linear score is positive.</summary>
internal static class SyntheticData
{
    public static Dataset Customers(int rows, int seed, int features = 10)
    {
        var random = new Random(seed);
        var values = new double[rows, features];
        var targets = new int[rows];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < features; c++)
            {
                // Box–Muller: two uniforms to one standard normal.
                values[r, c] = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            }
            targets[r] = values[r, 0] + (0.5 * values[r, 1]) - values[r, 2] > 0 ? 1 : 0;
        }
        return new Dataset([.. Enumerable.Range(1, rows).Select(i => (long)i)], Matrix<double>.Build.DenseOfArray(values), [.. targets]);
    }

    /// <summary>The same rows with every input of row <paramref name="row"/> replaced by <paramref name="value"/>.</summary>
    public static Dataset WithRow(Dataset data, int row, double value) =>
        data with { Inputs = Matrix<double>.Build.Dense(data.Rows, data.Inputs.ColumnCount, (r, c) => r == row ? value : data.Inputs[r, c]) };

    public static ImmutableArray<int> Targets(params int[] targets) => [.. targets];
}
