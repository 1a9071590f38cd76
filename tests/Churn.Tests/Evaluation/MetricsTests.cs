using System.Collections.Immutable;
using Churn.Numerics.Evaluation;

namespace Churn.Tests.Evaluation;

public class MetricsTests
{
    private const double Tolerance = 1e-12;

    [Fact]
    public void Classification_counts_and_ratios_match_a_hand_computed_example()
    {
        // Predicted buyer at p >= 0.5: rows 0, 1, 3. TP = row 0, FP = rows 1 and 3, FN = row 2, TN = row 4.
        var metrics = Metrics.Classification([0.9, 0.8, 0.3, 0.6, 0.2], [1, 0, 1, 0, 0]);
        Assert.Equal(new ConfusionMatrix(TruePositives: 1, FalsePositives: 2, TrueNegatives: 1, FalseNegatives: 1), metrics.Confusion);
        Assert.Equal(5, metrics.Rows);
        Assert.Equal(2.0 / 5, metrics.Accuracy, Tolerance);
        Assert.Equal(1.0 / 3, metrics.Precision, Tolerance);
        Assert.Equal(1.0 / 2, metrics.Recall, Tolerance);
        Assert.Equal(0.4, metrics.F1, Tolerance);
        // Buyers score 0.9 and 0.3; 0.9 beats all three non-buyers, 0.3 beats one: 4 of 6 pairs.
        Assert.Equal(4.0 / 6, metrics.RocAuc, Tolerance);
        var logLoss = -(Math.Log(0.9) + Math.Log(1 - 0.8) + Math.Log(0.3) + Math.Log(1 - 0.6) + Math.Log(1 - 0.2)) / 5;
        Assert.Equal(logLoss, metrics.LogLoss, Tolerance);
    }

    [Fact]
    public void Threshold_decides_which_rows_are_predicted_buyers()
    {
        var metrics = Metrics.Classification([0.9, 0.8, 0.3, 0.6, 0.2], [1, 0, 1, 0, 0], threshold: 0.25);
        Assert.Equal(new ConfusionMatrix(2, 2, 1, 0), metrics.Confusion);
    }

    [Theory]
    [InlineData(new[] { 0.1, 0.4, 0.35, 0.8 }, new[] { 0, 0, 1, 1 }, 0.75)]
    [InlineData(new[] { 0.9, 0.8, 0.2, 0.1 }, new[] { 1, 1, 0, 0 }, 1.0)]
    [InlineData(new[] { 0.1, 0.2, 0.8, 0.9 }, new[] { 1, 1, 0, 0 }, 0.0)]
    [InlineData(new[] { 0.5, 0.5, 0.5, 0.5 }, new[] { 1, 0, 1, 0 }, 0.5)]
    [InlineData(new[] { 0.7, 0.7, 0.2 }, new[] { 1, 0, 0 }, 0.75)]
    public void Roc_auc_ranks_buyers_above_non_buyers_with_ties_counting_half(double[] probabilities, int[] targets, double expected)
    {
        Assert.Equal(expected, Metrics.Classification([.. probabilities], [.. targets]).RocAuc, Tolerance);
    }

    [Fact]
    public void Roc_auc_is_undefined_with_one_class()
    {
        Assert.True(double.IsNaN(Metrics.Classification([0.2, 0.9], [1, 1]).RocAuc));
    }

    [Fact]
    public void Precision_recall_and_f1_are_zero_when_undefined()
    {
        var metrics = Metrics.Classification([0.1, 0.2], [0, 0]);
        Assert.Equal((0.0, 0.0, 0.0), (metrics.Precision, metrics.Recall, metrics.F1));
        Assert.Equal(1.0, metrics.Accuracy);
    }

    [Fact]
    public void Log_loss_clips_certain_mistakes_to_a_finite_loss()
    {
        var metrics = Metrics.Classification([1.0, 0.0], [0, 1]);
        Assert.Equal(-Math.Log(1e-15), metrics.LogLoss, 0.01);
        Assert.True(double.IsFinite(metrics.LogLoss));
    }

    [Fact]
    public void Mismatched_lengths_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Metrics.Classification([0.5], [1, 0]));
    }

    [Fact]
    public void Gains_of_a_tiny_list_match_a_hand_computed_table()
    {
        // Highest score first: buyers at positions 1, 2, 4 and 7 of 10.
        ImmutableArray<double> probabilities = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05];
        ImmutableArray<int> targets = [1, 1, 0, 1, 0, 0, 1, 0, 0, 0];
        var gains = Metrics.Gains(probabilities, targets);
        Assert.Equal([1, 2, 2, 3, 3, 3, 4, 4, 4, 4], gains.Select(g => g.BuyersReached));
        Assert.Equal(Enumerable.Range(1, 10), gains.Select(g => g.Contacted));
        Assert.Equal([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], gains.Select(g => g.ContactedShare), (a, b) => Math.Abs(a - b) < Tolerance);
        Assert.Equal([0.25, 0.5, 0.5, 0.75, 0.75, 0.75, 1, 1, 1, 1], gains.Select(g => g.BuyersReachedShare));
        Assert.Equal([2.5, 2.5, 0.5 / 0.3, 1.875, 1.5, 1.25, 1 / 0.7, 1.25, 1 / 0.9, 1], gains.Select(g => g.Lift), (a, b) => Math.Abs(a - b) < Tolerance);
    }

    [Fact]
    public void Gains_sort_by_probability_and_round_contacted_customers_half_up()
    {
        // The same ten customers as above in another order, in quarters: 2.5 -> 3, 5, 7.5 -> 8, 10 contacted.
        ImmutableArray<double> probabilities = [0.05, 0.6, 0.9, 0.1, 0.3, 0.8, 0.2, 0.5, 0.7, 0.4];
        ImmutableArray<int> targets = [0, 1, 1, 0, 1, 1, 0, 0, 0, 0];
        var gains = Metrics.Gains(probabilities, targets, bins: 4);
        Assert.Equal([3, 5, 8, 10], gains.Select(g => g.Contacted));
        Assert.Equal([2, 3, 4, 4], gains.Select(g => g.BuyersReached));
        Assert.Equal(0.5 / 0.3, gains[0].Lift, Tolerance);
    }

    [Fact]
    public void Gains_without_buyers_have_zero_share_and_lift()
    {
        var gains = Metrics.Gains([0.3, 0.2], [0, 0], bins: 2);
        Assert.NotEmpty(gains);
        Assert.All(gains, g => Assert.Equal((0.0, 0.0), (g.BuyersReachedShare, g.Lift)));
    }

    [Fact]
    public void Roc_curve_steps_through_each_distinct_score_from_origin_to_one_one()
    {
        var curve = Metrics.Roc([0.6, 0.9, 0.7, 0.8], [0, 1, 1, 0]);
        Assert.Equal([new RocPoint(0, 0), new RocPoint(0, 0.5), new RocPoint(0.5, 0.5), new RocPoint(0.5, 1), new RocPoint(1, 1)], curve);
    }

    [Fact]
    public void Roc_curve_takes_tied_scores_in_one_diagonal_step()
    {
        Assert.Equal([new RocPoint(0, 0), new RocPoint(0.5, 0.5), new RocPoint(1, 1)], Metrics.Roc([0.5, 0.5, 0.1, 0.1], [1, 0, 1, 0]));
    }

    [Fact]
    public void Roc_curve_with_one_class_is_the_diagonal()
    {
        Assert.Equal([new RocPoint(0, 0), new RocPoint(1, 1)], Metrics.Roc([0.5, 0.7], [1, 1]));
    }
}
