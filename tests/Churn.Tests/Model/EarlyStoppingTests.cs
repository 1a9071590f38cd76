using Churn.Numerics.Model;

namespace Churn.Tests.Model;

public class EarlyStoppingTests
{
    [Theory]
    [InlineData(0.70, 0.69, 1e-4, StopDecision.Improved)]
    [InlineData(0.70, 0.6999, 1e-4, StopDecision.Continue)]
    [InlineData(0.70, 0.70, 0.0, StopDecision.Continue)]
    [InlineData(0.70, 0.71, 0.0, StopDecision.Continue)]
    [InlineData(0.70, double.NaN, 0.0, StopDecision.Continue)]
    public void Only_a_loss_below_best_minus_min_delta_is_an_improvement(double best, double loss, double minDelta, StopDecision expected)
    {
        var state = new EarlyStopping(Patience: 3, minDelta, best, BestEpoch: 1, EpochsWithoutImprovement: 0);
        var (_, decision) = state.Observe(2, loss);
        Assert.Equal(expected, decision);
    }

    [Fact]
    public void First_epoch_always_improves_on_the_start()
    {
        var (next, decision) = EarlyStopping.Start(2, 1e-4).Observe(1, 0.69);
        Assert.Equal(StopDecision.Improved, decision);
        Assert.Equal(new EarlyStopping(2, 1e-4, 0.69, 1, 0), next);
    }

    [Theory]
    [InlineData(1, new[] { 0.5, 0.6 }, new[] { StopDecision.Improved, StopDecision.Stop })]
    [InlineData(2, new[] { 0.5, 0.6, 0.7 }, new[] { StopDecision.Improved, StopDecision.Continue, StopDecision.Stop })]
    [InlineData(2, new[] { 0.5, 0.6, 0.4, 0.45, 0.41 }, new[] { StopDecision.Improved, StopDecision.Continue, StopDecision.Improved, StopDecision.Continue, StopDecision.Stop })]
    [InlineData(3, new[] { 0.5, 0.5, 0.5, 0.5 }, new[] { StopDecision.Improved, StopDecision.Continue, StopDecision.Continue, StopDecision.Stop })]
    public void Early_stopping_stops_after_patience_epochs_without_improvement(int patience, double[] losses, StopDecision[] expected)
    {
        var state = EarlyStopping.Start(patience, 1e-4);
        var decisions = new List<StopDecision>();
        for (var i = 0; i < losses.Length; i++)
        {
            (state, var decision) = state.Observe(i + 1, losses[i]);
            decisions.Add(decision);
        }
        Assert.Equal(expected, decisions);
    }

    [Fact]
    public void Improvement_resets_the_counter_and_remembers_the_best_epoch()
    {
        var state = new EarlyStopping(2, 0, 0.5, BestEpoch: 3, EpochsWithoutImprovement: 1);
        var (next, _) = state.Observe(5, 0.4);
        Assert.Equal(new EarlyStopping(2, 0, 0.4, 5, 0), next);
    }
}
