using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Explanation;

/// <summary>
/// How well approximate contributions give a customer the reasons the exact ones give, over <see cref="Customers"/>
/// customers, a customer's reasons being its <see cref="Count"/> largest contributions by size (as
/// <see cref="Explained.Reasons"/> orders them).
/// </summary>
/// <param name="Customers">How many customers were compared.</param>
/// <param name="Count">How many reasons a customer gets.</param>
/// <param name="FirstReason">Share of customers whose first reason is the exact first reason.</param>
/// <param name="SameReasons">Share whose <see cref="Count"/> reasons are the exact ones as a set (in any order).</param>
/// <param name="SameOrder">Share whose reasons are the exact ones in the same order.</param>
/// <param name="Overlap">Mean share of a customer's reasons that are among its exact ones.</param>
/// <param name="SameSign">Share of the reasons given whose direction (raises or lowers the odds) is the exact value's.</param>
/// <param name="MeanAbsError">Mean |approximate − exact| over every customer and behaviour, in log-odds.</param>
/// <param name="MeanAbsContribution">Mean |exact contribution|, the scale of that error.</param>
public sealed record ReasonFidelity(
    int Customers, int Count, double FirstReason, double SameReasons, double SameOrder, double Overlap, double SameSign, double MeanAbsError, double MeanAbsContribution)
{
    /// <summary>Compares <paramref name="approximate"/> with <paramref name="exact"/>, customer by customer (rows), for <paramref name="count"/> reasons.</summary>
    /// <exception cref="ArgumentException">Matrices of different shapes, no customers, or a count outside 1 to the features (bugs).</exception>
    public static ReasonFidelity Measure(Matrix<double> exact, Matrix<double> approximate, int count)
    {
        if (exact.RowCount != approximate.RowCount || exact.ColumnCount != approximate.ColumnCount || exact.RowCount == 0)
        {
            throw new ArgumentException($"{exact.RowCount} x {exact.ColumnCount} exact values against {approximate.RowCount} x {approximate.ColumnCount}", nameof(approximate));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, exact.ColumnCount);
        int first = 0, set = 0, order = 0, signs = 0, overlap = 0;
        for (var i = 0; i < exact.RowCount; i++)
        {
            var want = Explained.Strongest(exact, i, count);
            var got = Explained.Strongest(approximate, i, count);
            first += want[0] == got[0] ? 1 : 0;
            set += want.Order().SequenceEqual(got.Order()) ? 1 : 0;
            order += want.SequenceEqual(got) ? 1 : 0;
            overlap += got.Count(want.Contains);
            signs += got.Count(j => Math.Sign(approximate[i, j]) == Math.Sign(exact[i, j]));
        }
        double n = exact.RowCount;
        var cells = n * exact.ColumnCount;
        return new ReasonFidelity(
            exact.RowCount, count, first / n, set / n, order / n, overlap / (n * count), signs / (n * count),
            (approximate - exact).Enumerate().Sum(Math.Abs) / cells, exact.Enumerate().Sum(Math.Abs) / cells);
    }
}
