using Churn.Numerics.Model;
using Churn.Numerics.Search;

namespace Churn.Tests.Search;

/// <summary>Early stopping replayed from the columns a search's store keeps, without the store.</summary>
public class EpochSummaryColumnsTests
{
    private static readonly ModelConfig Config = ModelConfig.Default with { Patience = 2, MinDelta = 0.01 };

    private static EpochMetrics Epoch(int epoch, double loss, double calibrated = 0.3) => new(epoch, 0.5, 0.7, loss, 0.8 + (epoch / 100.0), calibrated);

    public static TheoryData<double[]> Losses => new()
    {
        Array.Empty<double>(),
        new[] { 0.6, 0.5, 0.4 },
        new[] { 0.6, 0.61, 0.605, 0.5 },
        new[] { double.NaN, double.NaN },
        new[] { 0.6, double.NaN, 0.7, 0.65 },
        new[] { 0.5, 0.495, 0.49, 0.3 },
    };

    [Theory]
    [MemberData(nameof(Losses))]
    public void Replaying_the_stored_columns_gives_back_the_summary_folded_from_the_epochs(double[] losses)
    {
        var summary = EpochSummary.Of(losses.Select((loss, i) => Epoch(i + 1, loss)), Config);

        var replayed = EpochSummaryColumns.Of(summary).Replay(Config);

        Assert.Equal(summary, replayed);
    }

    [Fact]
    public void A_replayed_summary_folds_the_next_epoch_as_the_original_does()
    {
        var summary = EpochSummary.Of([Epoch(1, 0.6), Epoch(2, 0.5), Epoch(3, 0.55)], Config);
        var replayed = EpochSummaryColumns.Of(summary).Replay(Config);

        Assert.Equal(summary.Add(Epoch(4, 0.56)), replayed.Add(Epoch(4, 0.56)));
        Assert.Equal(summary.Add(Epoch(4, 0.4)), replayed.Add(Epoch(4, 0.4)));
    }

    [Fact]
    public void Before_any_epoch_improved_the_columns_keep_no_reference_loss_and_the_replay_has_no_best_epoch()
    {
        var columns = EpochSummaryColumns.Of(EpochSummary.Of([Epoch(1, double.NaN), Epoch(2, double.NaN)], Config));

        Assert.Null(columns.StopLoss);
        Assert.Equal(2, columns.StopSince);
        Assert.Equal(0, columns.Replay(Config).Stopping.BestEpoch);
        Assert.True(double.IsPositiveInfinity(columns.Replay(Config).Stopping.BestLoss));
    }

    [Fact]
    public void A_calibrated_loss_that_is_not_finite_is_stored_as_unknown()
    {
        var columns = EpochSummaryColumns.Of(EpochSummary.Of([Epoch(1, 0.5, double.PositiveInfinity)], Config));

        Assert.Null(columns.KeptCalibratedLoss);
        Assert.True(double.IsNaN(columns.Replay(Config).KeptCalibratedLoss));
    }
}
