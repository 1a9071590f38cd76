using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Explanation;
using Churn.Numerics.Model;
using Churn.Tests.Model;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Explanation;

[Collection(TorchCollection.Name)]
public class ReasonTableTests(ITestOutputHelper output)
{
    private static readonly string ModelV1 = TestPaths.ModelV1;

    [Fact]
    public void Fast_reasons_agree_with_the_exact_ones_on_customers_the_table_was_not_fitted_on()
    {
        var (model, background, table) = Fitted.Value;
        var customers = Bundled(400, skip: 9000);

        var exact = Shapley.Explain(model, customers, background).Unwrap();
        var fast = table.Explain(Scaler.Apply(model.Scaler, customers), exact.LogOdds);

        var fidelity = ReasonFidelity.Measure(exact.Contributions, fast.Contributions, 3);
        output.WriteLine(fidelity.ToString());
        Assert.InRange(fidelity.FirstReason, 0.95, 1);
        Assert.InRange(fidelity.Overlap, 0.9, 1);
        Assert.InRange(fidelity.SameSign, 0.98, 1);
        Assert.InRange(fidelity.MeanAbsError, 0, fidelity.MeanAbsContribution / 3);
    }

    [Fact]
    public void Base_plus_fast_contributions_is_each_customers_log_odds()
    {
        var (model, _, table) = Fitted.Value;
        var customers = Bundled(50, skip: 12000);
        var logOdds = Shapley.CalibratedLogOdds(model)(Scaler.Apply(model.Scaler, customers));

        var fast = table.Explain(Scaler.Apply(model.Scaler, customers), logOdds);

        Assert.Equal(logOdds, fast.LogOdds);
        for (var i = 0; i < customers.RowCount; i++)
        {
            Assert.InRange(Math.Abs(table.BaseLogOdds + fast.Contributions.Row(i).Sum() - logOdds[i]), 0, 1e-9);
        }
    }

    [Fact]
    public void The_same_model_and_background_give_the_same_table()
    {
        var (model, background) = TrainedWithSample();

        var first = ReasonTable.ForModel(model, background).Unwrap();
        var second = ReasonTable.ForModel(model, background).Unwrap();

        Assert.Equal(first.BaseLogOdds, second.BaseLogOdds);
        Assert.Equal(BackgroundSample.StoredSize, first.Customers);
        for (var j = 0; j < first.Curves.Length; j++)
        {
            Assert.Equal(first.Curves[j].Knots, second.Curves[j].Knots);
            Assert.Equal(first.Curves[j].Values, second.Curves[j].Values);
        }
    }

    [Fact]
    public void A_model_saved_without_a_background_sample_gets_a_problem_not_a_table()
    {
        var legacy = ModelArtifact.Load(ModelV1).Unwrap();
        var background = Background.Of(Scaler.Apply(legacy.Scaler, Bundled(20, skip: 0)));

        var table = ReasonTable.ForModel(legacy, background);

        var problem = Assert.IsType<Result<ReasonTable>.Error>(table).Problem;
        Assert.Contains("without a background sample", problem.Reason);
    }

    [Fact]
    public void A_behaviour_with_few_values_gets_one_knot_per_value_at_its_mean_contribution()
    {
        // Feature 0 takes three values; feature 1 is constant.
        var customers = Matrix<double>.Build.DenseOfArray(new double[,] { { 0, 5 }, { 1, 5 }, { 0, 5 }, { 2, 5 }, { 1, 5 } });
        var contributions = Matrix<double>.Build.DenseOfArray(new double[,] { { 1, 0 }, { 4, 0 }, { 3, 0 }, { -6, 0 }, { 2, 0 } });
        var exact = new ShapleyValues(-1, [0, 0, 0, 0, 0], contributions);

        var table = ReasonTable.Fit(customers, exact);

        Assert.Equal([0.0, 1, 2], table.Curves[0].Knots);
        Assert.Equal([2.0, 3, -6], table.Curves[0].Values);
        Assert.Equal(2.5, table.Curves[0].At(0.5), 12);   // linear between knots
        Assert.Equal(-1.5, table.Curves[0].At(1.5), 12);
        Assert.Equal(2.0, table.Curves[0].At(-3), 12);     // constant beyond the ends
        Assert.Equal(-6.0, table.Curves[0].At(9), 12);
        Assert.Equal([5.0], table.Curves[1].Knots);
        Assert.Equal([0.0], table.Curves[1].Values);
    }

    [Fact]
    public void A_behaviour_with_many_values_is_cut_at_its_quantiles_into_at_most_the_levels()
    {
        var customers = Matrix<double>.Build.Dense(100, 1, (r, _) => r);
        var exact = new ShapleyValues(0, [.. Enumerable.Repeat(0.0, 100)], Matrix<double>.Build.Dense(100, 1, (r, _) => 2 * r));

        var curve = ReasonTable.Fit(customers, exact, levels: 4).Curves[0];

        // Intervals [0, 25), [25, 50), [50, 75), [75, 99]: knots at their mean values, values their mean contributions.
        Assert.Equal([12.0, 37, 62, 87], curve.Knots);
        Assert.Equal([24.0, 74, 124, 174], curve.Values);
    }

    [Fact]
    public void Fidelity_counts_agreeing_first_reasons_sets_and_signs()
    {
        var exact = Matrix<double>.Build.DenseOfArray(new double[,] { { 3, -2, 1, 0.5 }, { 1, 2, -3, 0.1 } });
        // Customer 0: the same reasons, order and signs. Customer 1: first reason swapped, third reason different, one sign wrong.
        var approximate = Matrix<double>.Build.DenseOfArray(new double[,] { { 2.9, -2.1, 1.2, 0.4 }, { 1, -4, -3, 2.5 } });

        var fidelity = ReasonFidelity.Measure(exact, approximate, 3);

        Assert.Equal(0.5, fidelity.FirstReason);
        Assert.Equal(0.5, fidelity.SameReasons);
        Assert.Equal(0.5, fidelity.SameOrder);
        Assert.Equal((3 + 2) / 6.0, fidelity.Overlap, 12);
        Assert.Equal((3 + 2) / 6.0, fidelity.SameSign, 12);
        var same = ReasonFidelity.Measure(exact, exact, 3);
        Assert.Equal((1.0, 1.0, 0.0), (same.FirstReason, same.SameSign, same.MeanAbsError));
    }

    // Fitting explains 400 customers exactly: done once for the tests that only read the table.
    private static readonly Lazy<(ModelArtifact Model, Background Background, ReasonTable Table)> Fitted = new(() =>
    {
        var (model, background) = TrainedWithSample();
        return (model, background, ReasonTable.ForModel(model, background).Unwrap());
    });

    /// <summary>The fixture's trained model with a sample of 400 bundled customers saved beside it, and the first 100 as the background.</summary>
    private static (ModelArtifact Model, Background Background) TrainedWithSample()
    {
        var legacy = ModelArtifact.Load(ModelV1).Unwrap();
        var sample = BackgroundSample.Draw(Scaler.Apply(legacy.Scaler, Bundled(8000, skip: 0)), seed: 9);
        return (legacy with { Background = sample }, Background.Of(sample.Take(BackgroundSample.DefaultSize)));
    }

    private static Matrix<double> Bundled(int rows, int skip)
    {
        var loaded = CustomerCsv.Load(BundledData.CsvPath).Unwrap();
        return loaded.Data.Inputs.SubMatrix(skip, rows, 0, loaded.Data.Inputs.ColumnCount);
    }
}
