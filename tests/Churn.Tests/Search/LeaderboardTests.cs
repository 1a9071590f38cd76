using System.Collections.Immutable;
using Churn.Numerics.Model;
using Churn.Numerics.Search;

namespace Churn.Tests.Search;

public class LeaderboardTests
{
    /// <summary>
    /// Trials for configurations given as "status:loss,loss,..." per configuration, e.g. "c:0.4,0.5" (complete),
    /// "p:0.6,0.6" (pruned), "f:0.5,x" (a seed failed), "r:0.4,-" (a seed not finished).
    /// </summary>
    private static ImmutableArray<TrialRecord> Trials(params string[] configurations)
    {
        var trials = ImmutableArray.CreateBuilder<TrialRecord>();
        for (var c = 0; c < configurations.Length; c++)
        {
            var (kind, losses) = (configurations[c][0], configurations[c][2..].Split(','));
            for (var r = 0; r < losses.Length; r++)
            {
                var spec = new TrialSpec(trials.Count, c, r, r, ModelConfig.Default with { Width = 10 + c });
                var record = losses[r] switch
                {
                    "x" => new TrialRecord(spec, TrialStatus.Failed, [], "loss became NaN at epoch 3"),
                    "-" => new TrialRecord(spec, TrialStatus.Running, []),
                    var l => new TrialRecord(
                        spec,
                        kind == 'p' ? TrialStatus.Pruned : TrialStatus.Completed,
                        [new EpochMetrics(1, 1, 0.5, double.Parse(l, System.Globalization.CultureInfo.InvariantCulture) + 0.1, 0.7),
                         new EpochMetrics(2, 1, 0.5, double.Parse(l, System.Globalization.CultureInfo.InvariantCulture), 0.8)],
                        kind == 'p' ? "stopped by the scheduler at epoch 2" : null),
                };
                trials.Add(record);
            }
        }
        return trials.ToImmutable();
    }

    [Theory]
    // By mean validation loss.
    [InlineData(new[] { "c:0.5,0.5", "c:0.4,0.4", "c:0.6,0.6" }, new[] { 1, 0, 2 })]
    // Equal means: the smaller spread first.
    [InlineData(new[] { "c:0.25,0.75", "c:0.5,0.5" }, new[] { 1, 0 })]
    // Equal means and spreads: the earlier configuration first.
    [InlineData(new[] { "c:0.25,0.75", "c:0.75,0.25", "c:0.5,0.5" }, new[] { 2, 0, 1 })]
    [InlineData(new[] { "c:0.4,0.4", "c:0.4,0.4", "c:0.4,0.4" }, new[] { 0, 1, 2 })]
    // Complete beats pruned beats unfinished beats failed, whatever the losses.
    [InlineData(new[] { "f:0.1,x", "r:0.1,-", "p:0.1,0.1", "c:0.9,0.9" }, new[] { 3, 2, 1, 0 })]
    public void Configurations_rank_by_mean_validation_loss_with_ties_broken_the_same_way_every_time(string[] configurations, int[] expected)
    {
        var rows = Leaderboard.Rank(Trials(configurations), 2);
        Assert.Equal(expected, rows.Select(r => r.Configuration));
        Assert.Equal(Enumerable.Range(1, rows.Length), rows.Select(r => r.Rank));
        Assert.Equal(rows, Leaderboard.Rank([.. Trials(configurations).Reverse()], 2));
    }

    [Fact]
    public void A_row_shows_the_spread_over_seeds()
    {
        var row = Leaderboard.Rank(Trials("c:0.3,0.5,0.4"), 3).Single();
        Assert.Equal(0.4, row.MeanValidationLoss, 12);
        Assert.Equal(0.1, row.StdValidationLoss, 12);
        Assert.Equal((0.3, 0.5), (row.MinValidationLoss, row.MaxValidationLoss));
        Assert.Equal(0.8, row.MeanValidationAccuracy, 12);
        Assert.Equal(2, row.MeanEpochs);
        Assert.Equal(3, row.SeedsDone);
    }

    [Fact]
    public void A_failed_configuration_keeps_the_reason_and_cannot_win()
    {
        var rows = Leaderboard.Rank(Trials("f:0.1,x", "c:0.5,0.5"), 2);
        Assert.Equal(1, Leaderboard.Best(rows)!.Configuration);
        Assert.Equal("seed 2: loss became NaN at epoch 3", rows[1].Reason);
        Assert.True(double.IsNaN(rows[1].MeanValidationLoss));
    }

    [Fact]
    public void Csv_has_a_header_and_one_line_per_configuration_in_rank_order()
    {
        var csv = Leaderboard.ToCsv(Leaderboard.Rank(Trials("c:0.5,0.5", "c:0.25,0.25"), 2)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Leaderboard.CsvHeader, csv[0]);
        Assert.Equal(3, csv.Length);
        Assert.StartsWith("1,2,complete,3,11,relu,0.001,100,2,0,0,false,2,2,0.25,0,0.25,0.25,0.8,2,", csv[1]);
    }
}
