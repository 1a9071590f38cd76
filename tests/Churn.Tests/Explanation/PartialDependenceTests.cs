using System.Collections.Immutable;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Explanation;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Explanation;

public class PartialDependenceTests
{
    /// <summary>P = logistic(2·x0 − x1): rises in x0, falls in x1, ignores x2.</summary>
    private static ImmutableArray<double> Model(Matrix<double> rows) =>
        [.. Enumerable.Range(0, rows.RowCount).Select(i => Calibration.Sigmoid((2 * rows[i, 0]) - rows[i, 1]))];

    private static Matrix<double> Customers(int n, ulong seed)
    {
        var order = SeededRandom.Permutation(3 * n, seed);
        return Matrix<double>.Build.Dense(n, 3, (i, c) => (order[(c * n) + i] % 41 / 10.0) - 2);
    }

    [Fact]
    public void Partial_dependence_of_a_model_rising_in_a_behaviour_rises_and_each_ice_line_rises_too()
    {
        var customers = Customers(120, 1);
        var before = customers.Clone();
        var grid = PartialDependence.Grid(customers.Column(0));
        var curve = PartialDependence.Compute(Model, customers, 0, grid, [0, 5, 17]);

        Assert.True(grid.Length > 5, $"{grid.Length} grid points");
        Assert.All(Enumerable.Range(1, grid.Length - 1), k => Assert.True(curve.Average[k] > curve.Average[k - 1], $"average at {k}"));
        Assert.Equal(3, curve.Ice.Length);
        Assert.All(curve.Ice, line => Assert.All(Enumerable.Range(1, grid.Length - 1), k => Assert.True(line[k] > line[k - 1])));
        Assert.Equal(before, customers);
    }

    [Fact]
    public void Partial_dependence_falls_in_a_behaviour_that_lowers_the_score_and_is_flat_in_one_the_model_ignores()
    {
        var customers = Customers(80, 2);
        var falling = PartialDependence.Compute(Model, customers, 1, PartialDependence.Grid(customers.Column(1)), []);
        var ignored = PartialDependence.Compute(Model, customers, 2, PartialDependence.Grid(customers.Column(2)), []);

        Assert.All(Enumerable.Range(1, falling.Grid.Length - 1), k => Assert.True(falling.Average[k] < falling.Average[k - 1]));
        Assert.All(ignored.Average, p => Assert.Equal(ignored.Average[0], p, 12));
    }

    [Fact]
    public void Partial_dependence_is_the_mean_of_every_customers_ice_line()
    {
        var customers = Customers(30, 3);
        var grid = PartialDependence.Grid(customers.Column(0));
        var curve = PartialDependence.Compute(Model, customers, 0, grid, [.. Enumerable.Range(0, 30)]);
        for (var k = 0; k < grid.Length; k++)
        {
            Assert.Equal(curve.Ice.Average(line => line[k]), curve.Average[k], 12);
            // An ICE point is the model on the customer with only this behaviour changed.
            var row = customers.Row(7).ToArray();
            row[0] = grid[k];
            Assert.Equal(Model(Matrix<double>.Build.DenseOfRowArrays(row))[0], curve.Ice[7][k], 12);
        }
    }

    [Theory]
    [InlineData(new double[] { 1, 0, 1, 1, 0 }, new double[] { 0, 1 })]
    [InlineData(new double[] { 3, 3, 3 }, new double[] { 3 })]
    public void A_behaviour_with_few_values_gets_each_of_them_as_its_grid(double[] values, double[] grid) =>
        Assert.Equal(grid, PartialDependence.Grid(values));

    [Fact]
    public void A_behaviour_with_many_values_gets_observed_quantiles_from_the_5th_to_the_95th_percentile()
    {
        var values = Enumerable.Range(1, 1000).Select(v => (double)v).ToArray();
        var grid = PartialDependence.Grid(values, 5);
        Assert.Equal([50, 275, 500, 725, 950], grid);

        // Mostly zeros: the quantiles repeat and are kept once, each a value some customer has.
        var skewed = Enumerable.Repeat(0.0, 900).Concat(Enumerable.Range(1, 100).Select(v => v / 3.0)).ToArray();
        var skewedGrid = PartialDependence.Grid(skewed);
        Assert.Equal(0, skewedGrid[0]);
        Assert.Equal(skewedGrid.Distinct().Count(), skewedGrid.Length);
        Assert.All(skewedGrid, g => Assert.Contains(g, skewed));
    }

    [Fact]
    public void Inverting_the_scaler_gives_the_customers_values_back()
    {
        var raw = Matrix<double>.Build.DenseOfArray(new double[,] { { 0, 0.5, 1200 }, { 3, 0.25, 0 }, { 10, 1, 35.5 } });
        var scaler = Scaler.Fit(raw, ["feature_0", "feature_2"]);
        var back = Scaler.Invert(scaler, Scaler.Apply(scaler, raw));
        for (var i = 0; i < 3; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                Assert.Equal(raw[i, c], back[i, c], 9);
                Assert.Equal(raw[i, c], Scaler.Invert(scaler, c, Scaler.Apply(scaler, raw)[i, c]), 9);
            }
        }
    }
}
