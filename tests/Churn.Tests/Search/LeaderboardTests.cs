using System.Collections.Immutable;
using Churn.Numerics.Data;
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
        var rows = Leaderboard.Rank(Trials(configurations), 2, SearchCriterion.ValidationLoss);
        Assert.Equal(expected, rows.Select(r => r.Configuration));
        Assert.Equal(Enumerable.Range(1, rows.Length), rows.Select(r => r.Rank));
        Assert.Equal(rows, Leaderboard.Rank([.. Trials(configurations).Reverse()], 2, SearchCriterion.ValidationLoss));
    }

    [Fact]
    public void A_row_shows_the_spread_over_seeds()
    {
        var row = Leaderboard.Rank(Trials("c:0.3,0.5,0.4"), 3, SearchCriterion.ValidationLoss).Single();
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
        var rows = Leaderboard.Rank(Trials("f:0.1,x", "c:0.5,0.5"), 2, SearchCriterion.ValidationLoss);
        Assert.Equal(1, Leaderboard.Best(rows)!.Configuration);
        Assert.Equal("seed 2: loss became NaN at epoch 3", rows[1].Reason);
        Assert.True(double.IsNaN(rows[1].MeanValidationLoss));
    }

    [Fact]
    public void Csv_has_a_header_and_one_line_per_configuration_in_rank_order()
    {
        var csv = Leaderboard.ToCsv(Leaderboard.Rank(Trials("c:0.5,0.5", "c:0.25,0.25"), 2, SearchCriterion.ValidationLoss)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Leaderboard.CsvHeader, csv[0]);
        Assert.Equal(3, csv.Length);
        Assert.StartsWith("1,2,complete,,,3,11,relu,0.001,100,2,0,0,false,2,2,,,0.25,0,0.25,0.25,0.8,2,", csv[1]);
    }

    [Fact]
    public void A_search_ranked_on_calibrated_loss_ignores_how_low_each_balancing_makes_the_validation_loss()
    {
        // Configuration 1 (say, trained on the natural mix) has a far lower validation loss because its validation split
        // is 84 % non-buyers; configuration 2 (trained 50/50) gives the population better probabilities once calibrated.
        TrialRecord Trial(int index, int configuration, double validation, double calibrated) => new(
            new TrialSpec(index, configuration, index % 2, index, ModelConfig.Default with { Width = 10 + configuration }),
            TrialStatus.Completed,
            [new EpochMetrics(1, 1, 0.5, validation + 0.1, 0.7, calibrated - 0.01), new EpochMetrics(2, 1, 0.5, validation, 0.8, calibrated)]);
        ImmutableArray<TrialRecord> trials = [Trial(0, 0, 0.30, 0.25), Trial(1, 0, 0.30, 0.25), Trial(2, 1, 0.45, 0.22), Trial(3, 1, 0.45, 0.24)];

        var byValidation = Leaderboard.Rank(trials, 2, SearchCriterion.ValidationLoss);
        var byCalibrated = Leaderboard.Rank(trials, 2, SearchCriterion.CalibratedLoss);

        Assert.Equal([0, 1], byValidation.Select(r => r.Configuration));
        Assert.Equal([1, 0], byCalibrated.Select(r => r.Configuration));
        Assert.Equal(0.23, byCalibrated[0].MeanCalibratedLoss, 12);
        Assert.Equal(0.23, byCalibrated[0].Score, 12);
        Assert.Equal(Math.Sqrt(0.0002), byCalibrated[0].StdCalibratedLoss, 12);
        Assert.Equal(0.45, byCalibrated[0].MeanValidationLoss, 12);
        Assert.StartsWith("1,2,complete,,,3,11,relu,0.001,100,2,0,0,false,2,2,0.23,0.014142,0.45,", Leaderboard.ToCsv(byCalibrated).Split('\n')[1]);
    }

    [Theory]
    // Calibrated loss taken at the epoch early stopping keeps, not at its own minimum: the kept weights are what is served.
    // Patience 2, min-delta 0: validation losses 0.5, 0.4, 0.45, 0.42 keep epoch 2.
    [InlineData(0.0, 4, 2, 0.30)]
    // Min-delta 0.2: no epoch improves on the first by more than that, so epoch 1 is kept.
    [InlineData(0.2, 4, 1, 0.35)]
    // Up to epoch 1 only: epoch 1.
    [InlineData(0.0, 1, 1, 0.35)]
    public void A_trial_is_scored_at_the_epoch_training_keeps(double minDelta, int upTo, int kept, double score)
    {
        var spec = new TrialSpec(0, 0, 0, 1, ModelConfig.Default with { Patience = 2, MinDelta = minDelta, MaxEpochs = 10 });
        var record = new TrialRecord(spec, TrialStatus.Completed,
        [
            new EpochMetrics(1, 1, 0.5, 0.50, 0.7, 0.35), new EpochMetrics(2, 1, 0.5, 0.40, 0.7, 0.30),
            new EpochMetrics(3, 1, 0.5, 0.45, 0.7, 0.20), new EpochMetrics(4, 1, 0.5, 0.42, 0.7, 0.25),
        ]);
        Assert.Equal(kept, record.KeptEpochUpTo(upTo));
        Assert.Equal(score, record.ScoreUpTo(SearchCriterion.CalibratedLoss, upTo));
        // The validation-loss criterion stays what it always was: the lowest so far.
        Assert.Equal(upTo == 1 ? 0.5 : 0.4, record.ScoreUpTo(SearchCriterion.ValidationLoss, upTo));
    }

    [Fact]
    public void With_no_epoch_improving_the_last_is_kept_and_of_tied_losses_the_first()
    {
        var config = ModelConfig.Default with { Patience = 5, MinDelta = 0 };
        // An infinite validation loss is no improvement, not even on the first epoch: until one improves, the last is kept.
        var none = EpochSummary.Of([new EpochMetrics(1, 1, 0.5, double.PositiveInfinity, 0.7, 0.3), new EpochMetrics(2, 1, 0.5, double.PositiveInfinity, 0.6, 0.2)], config);
        Assert.Equal((false, 2, 0.2, 2), (none.Stopping.Improved, none.KeptEpoch, none.KeptCalibratedLoss, none.Stopping.EpochsWithoutImprovement));
        var then = none.Add(new EpochMetrics(3, 1, 0.5, 0.6, 0.65, 0.25)).Add(new EpochMetrics(4, 1, 0.5, 0.7, 0.66, 0.22));
        Assert.Equal((true, 3, 0.25, 4, 0.6, 0.65), (then.Stopping.Improved, then.KeptEpoch, then.KeptCalibratedLoss, then.LastEpoch, then.BestValidationLoss, then.BestValidationAccuracy));
        // A tie is no improvement: the first of two equal losses is both the best and the kept epoch.
        var tied = EpochSummary.Of([new EpochMetrics(1, 1, 0.5, 0.5, 0.7, 0.3), new EpochMetrics(2, 1, 0.5, 0.4, 0.71, 0.25), new EpochMetrics(3, 1, 0.5, 0.4, 0.72, 0.2)], config);
        Assert.Equal((2, 0.25, 0.4, 0.71, 0.4, 3), (tied.KeptEpoch, tied.KeptCalibratedLoss, tied.BestValidationLoss, tied.BestValidationAccuracy, tied.LastValidationLoss, tied.LastEpoch));
        var record = new TrialRecord(new TrialSpec(0, 0, 0, 1, config), TrialStatus.Completed, [new EpochMetrics(1, 1, 0.5, 0.5, 0.7, 0.3), new EpochMetrics(2, 1, 0.5, 0.4, 0.71, 0.25), new EpochMetrics(3, 1, 0.5, 0.4, 0.72, 0.2)]);
        Assert.Equal((record.BestValidationLoss, record.BestValidationAccuracy, record.KeptEpochUpTo(3)), (tied.BestValidationLoss, tied.BestValidationAccuracy, tied.KeptEpoch));
    }

    [Fact]
    public void A_trial_without_a_calibrated_loss_is_ranked_by_its_validation_loss()
    {
        var spec = new TrialSpec(0, 0, 0, 1, ModelConfig.Default);
        var record = new TrialRecord(spec, TrialStatus.Completed, [new EpochMetrics(1, 1, 0.5, 0.5, 0.7), new EpochMetrics(2, 1, 0.5, 0.4, 0.7)]);
        Assert.Equal(0.4, record.Score(SearchCriterion.CalibratedLoss));
        Assert.True(double.IsNaN(Leaderboard.Rank([record], 1, SearchCriterion.CalibratedLoss)[0].MeanCalibratedLoss));
    }

    [Fact]
    public void A_configuration_the_search_gave_its_own_data_shows_that_choice()
    {
        var data = new DataChoice(BalanceStrategy.Weighted, ["price_avg", "last_visit_days"]);
        var spec = new TrialSpec(0, 0, 0, 1, ModelConfig.Default, data);
        var row = Leaderboard.Rank([new TrialRecord(spec, TrialStatus.Completed, [new EpochMetrics(1, 1, 0.5, 0.5, 0.7, 0.3)])], 1, SearchCriterion.CalibratedLoss).Single();
        Assert.Equal(data, row.Data);
        Assert.StartsWith("1,1,complete,weighted,\"price_avg,last_visit_days\",3,50,", Leaderboard.ToCsv([row]).Split('\n')[1]);
        Assert.EndsWith("balance weighted, log price_avg,last_visit_days", Leaderboard.Describe(row));
    }

    [Fact]
    public void The_effect_charts_cover_the_data_choices_a_search_varies_and_plot_what_it_ranks_on()
    {
        DataChoice[] data = [new(BalanceStrategy.None, FeatureTransform.Skewed), new(BalanceStrategy.Weighted, [])];
        var trials = Enumerable.Range(0, 4).Select(c => new TrialRecord(
            new TrialSpec(c, c, 0, c, ModelConfig.Default with { Width = c < 2 ? 16 : 32 }, data[c % 2]),
            TrialStatus.Completed,
            [new EpochMetrics(1, 0.5, 0.7, 0.4 + (0.01 * c), 0.7, 0.5 - (0.01 * c))])).ToImmutableArray();

        Assert.Equal(["balance", "logFeatures", "width"], Churn.Host.Dashboard.DashboardCharts.Varied(trials.Select(t => t.Spec)));
        var rows = Leaderboard.Rank(trials, 1, SearchCriterion.CalibratedLoss);
        var balance = Texts(Churn.Host.Dashboard.DashboardCharts.Effect(rows, "balance", SearchCriterion.CalibratedLoss)!);
        Assert.Contains("mean calibrated loss", balance);
        Assert.Contains("none", balance);
        Assert.Contains("weighted", balance);
        Assert.Contains("skewed", Texts(Churn.Host.Dashboard.DashboardCharts.Effect(rows, "logFeatures", SearchCriterion.CalibratedLoss)!));
        var old = Leaderboard.Rank(trials, 1, SearchCriterion.ValidationLoss);
        Assert.Contains("mean validation loss", Texts(Churn.Host.Dashboard.DashboardCharts.Effect(old, "width", SearchCriterion.ValidationLoss)!));
        Assert.Null(Churn.Host.Dashboard.DashboardCharts.Effect(rows, "colour", SearchCriterion.CalibratedLoss));
    }

    /// <summary>The words an SVG chart writes (title, axis labels, ticks).</summary>
    private static List<string> Texts(string svg) =>
        [.. System.Text.RegularExpressions.Regex.Matches(svg, @"<text[^>]*>\s*([^<]*?)\s*</text>").Select(m => m.Groups[1].Value)];
}
