using System.Collections.Immutable;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Tests.Data;

namespace Churn.Tests.Evaluation;

public class CalibrationTests
{
    [Theory]
    [InlineData(0.5, 0.5, 0.16, 0.16)]
    [InlineData(0.5, 0.9, 0.16, 0.16 * 0.9 / 0.5 / ((0.16 * 0.9 / 0.5) + (0.84 * 0.1 / 0.5)))]
    [InlineData(0.3, 0.3, 0.1, 0.1)]
    public void The_prior_shift_is_bayes_rule_from_the_training_mix_to_the_population(double trained, double raw, double population, double expected)
    {
        var calibration = Calibration.Prior(trained, population);
        Assert.Equal(CalibrationMethod.Prior, calibration.Method);
        Assert.Equal(expected, calibration.Apply(raw), 10);
    }

    [Fact]
    public void A_model_trained_on_its_population_mix_is_left_as_it_is()
    {
        var calibration = Calibration.Prior(0.16, 0.16);
        Assert.Equal(CalibrationMethod.None, calibration.Method);
        Assert.Equal(0.37, calibration.Apply(0.37), 12);
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.05)]
    public void A_base_rate_moves_a_score_at_the_population_rate_to_that_rate(double rate)
    {
        var calibration = Calibration.Prior(0.5, 0.16);
        Assert.Equal(rate, calibration.Apply(0.5, rate), 10);
        // The ranking never changes.
        Assert.True(calibration.Apply(0.7, rate) > calibration.Apply(0.6, rate));
    }

    [Fact]
    public void Platt_recovers_the_slope_and_intercept_that_made_the_outcomes()
    {
        var (raw, targets) = Synthetic(20_000, slope: 0.7, intercept: -1.2, seed: 3);
        var population = targets.Average();
        var fitted = Calibration.Fit(CalibrationMethod.Platt, raw, targets, 0.5, population);
        Assert.Equal(CalibrationMethod.Platt, fitted.Method);
        Assert.Equal(0.7, fitted.Slope, 1);
        Assert.Equal(-1.2, fitted.Intercept, 1);
    }

    [Fact]
    public void Platt_fitted_on_a_balanced_sample_weighted_to_the_population_matches_the_fit_on_the_population()
    {
        var (raw, targets) = Synthetic(40_000, slope: 0.8, intercept: -2.0, seed: 5);
        var rate = targets.Average();
        var onPopulation = Calibration.Fit(CalibrationMethod.Platt, raw, targets, 0.5, rate);
        var buyers = Enumerable.Range(0, raw.Length).Where(i => targets[i] == 1).ToArray();
        var nonBuyers = Enumerable.Range(0, raw.Length).Where(i => targets[i] == 0).Take(buyers.Length).ToArray();
        int[] balanced = [.. buyers, .. nonBuyers];
        var onBalanced = Calibration.Fit(CalibrationMethod.Platt, [.. balanced.Select(i => raw[i])], [.. balanced.Select(i => targets[i])], 0.5, rate);
        Assert.Equal(onPopulation.Slope, onBalanced.Slope, 1);
        Assert.Equal(onPopulation.Intercept, onBalanced.Intercept, 1);
    }

    [Fact]
    public void Platt_without_both_classes_or_a_known_population_falls_back_to_the_prior_shift()
    {
        ImmutableArray<double> raw = [0.2, 0.4, 0.9];
        Assert.Equal(Calibration.Prior(0.5, 0.2), Calibration.Fit(CalibrationMethod.Platt, raw, [1, 1, 1], 0.5, 0.2));
        Assert.Equal(Calibration.Prior(0.5, null), Calibration.Fit(CalibrationMethod.Platt, raw, [0, 1, 1], 0.5, null));
    }

    [Fact]
    public void A_model_of_an_unknown_population_needs_a_base_rate()
    {
        var unknown = Calibration.Prior(0.4, null);
        Assert.Contains("--base-rate", unknown.Check(null)!.Reason);
        Assert.Null(unknown.Check(0.2));
        // Shifted from the training mix it learned on.
        Assert.Equal(0.2, unknown.Apply(0.4, 0.2), 10);
        Assert.NotNull(Calibration.Prior(0.5, 0.16).Check(1.0));
        Assert.NotNull(Calibration.Prior(0.5, 0.16).Check(0));
    }

    [Fact]
    public void Class_weights_give_the_sample_the_population_mix_with_mean_one()
    {
        ImmutableArray<int> targets = [1, 1, 0, 0, 0, 1, 0, 1];
        var weights = Population.ClassWeights(targets, 0.2);
        Assert.Equal(1.0, weights.Average(), 12);
        Assert.Equal(0.2, targets.Select((t, i) => t * weights[i]).Sum() / weights.Sum(), 12);
        Assert.True(Population.ClassWeights([0, 0], 0.2).IsDefault);
    }

    [Fact]
    public void Quality_and_reliability_are_the_weighted_textbook_figures()
    {
        ImmutableArray<double> p = [0.05, 0.15, 0.15, 0.95];
        ImmutableArray<int> y = [0, 0, 1, 1];
        ImmutableArray<double> w = [1, 1, 1, 1];
        var q = Population.Quality(p, y, w);
        Assert.Equal(0.325, q.MeanProbability, 12);
        Assert.Equal(((0.05 * 0.05) + (0.15 * 0.15) + (0.85 * 0.85) + (0.05 * 0.05)) / 4, q.Brier, 12);
        var bins = Population.Reliability(p, y, w);
        Assert.Equal([0.0, 0.1, 0.9], bins.Select(b => b.From));
        Assert.Equal([0.25, 0.5, 0.25], bins.Select(b => b.Share));
        Assert.Equal([0.0, 0.5, 1.0], bins.Select(b => b.Observed));
        Assert.Equal((0.25 * 0.05) + (0.5 * 0.35) + (0.25 * 0.05), q.CalibrationError, 12);
    }

    [Fact]
    public void Equal_count_reliability_bins_hold_as_many_customers_each_where_equal_width_bins_leave_a_handful()
    {
        // 95 customers crowd below 0.2 and 5 sit near 1: equal-width bins give the top a bin of 5, equal-count bins do not.
        ImmutableArray<double> p = [.. Enumerable.Range(0, 95).Select(i => 0.01 + (i * 0.002)), 0.91, 0.93, 0.95, 0.97, 0.99];
        ImmutableArray<int> y = [.. Enumerable.Range(0, 100).Select(i => i % 7 == 0 || i >= 95 ? 1 : 0)];
        ImmutableArray<double> w = [.. Enumerable.Repeat(1.0, 100)];

        var bins = Population.EqualCountReliability(p, y, w);

        Assert.Equal(Population.ReliabilityBins, bins.Length);
        Assert.All(bins, b => Assert.Equal(0.1, b.Share, 12));
        Assert.Equal(bins.Select(b => b.From).Order(), bins.Select(b => b.From));
        Assert.All(bins, b => Assert.InRange(b.MeanPredicted, b.From, b.To));
        // The top bin: the 5 near-certain customers and the 5 highest of the crowd, 5 + 1 of them buyers.
        Assert.Equal(0.6, bins[^1].Observed, 12);
        Assert.Equal(0.05, Population.Reliability(p, y, w)[^1].Share, 12);
    }

    [Fact]
    public void Average_precision_counts_each_buyer_at_the_precision_of_its_rank()
    {
        ImmutableArray<double> w = [1, 1, 1, 1];
        Assert.Equal((1.0 + (2.0 / 3)) / 2, Population.AveragePrecision([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0], w), 12);
        // Tied scores are one threshold.
        Assert.Equal(0.5, Population.AveragePrecision([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0], w), 12);
    }

    [Fact]
    public void The_population_campaign_contacts_where_expected_value_pays_and_never_beats_the_best_cut_off()
    {
        var (raw, targets) = Synthetic(5_000, slope: 1, intercept: -1.5, seed: 8);
        var weights = Population.ClassWeights(targets, targets.Average());
        var p = Calibration.Prior(0.5, 0.5).Apply(raw);
        var economics = new CampaignEconomics(2, 10);
        var c = Population.Campaign(p, targets, weights, economics);
        var contacted = Enumerable.Range(0, p.Length).Where(i => p[i] * 10 > 2).ToArray();
        Assert.Equal((double)contacted.Length / p.Length, c.ContactedShare, 12);
        var profit = contacted.Sum(i => (targets[i] * 10.0) - 2) * 1000 / p.Length;
        Assert.Equal(profit, c.ProfitPer1000, 9);
        Assert.True(c.BestCutoffProfitPer1000 >= c.ProfitPer1000);
        Assert.Equal(((targets.Sum() * 10.0) - (2.0 * p.Length)) * 1000 / p.Length, c.EveryoneProfitPer1000, 9);
    }

    [Fact]
    public void Balancing_none_and_weighted_keep_every_customer_and_weighted_asks_for_equal_class_weight()
    {
        var data = Rows.Numbered([1, 0, 0, 0, 1, 0, 0, 0]);
        foreach (var strategy in new[] { BalanceStrategy.None, BalanceStrategy.Weighted })
        {
            var balanced = Balancer.Balance(data, strategy, 3).Unwrap();
            Assert.Equal(data.Ids, balanced.Data.Ids);
            Assert.Empty(balanced.LeftOut);
            Assert.Equal(0.25, balanced.Mix.Population!.Value, 12);
        }
        Assert.Equal(0.25, Balancer.Balance(data, BalanceStrategy.None, 3).Unwrap().Mix.Training, 12);
        Assert.Equal(0.5, Balancer.Balance(data, BalanceStrategy.Weighted, 3).Unwrap().Mix.Training, 12);
        Assert.Equal(0.5, Balancer.Balance(data, BalanceStrategy.Random, 3).Unwrap().Mix.Training, 12);
        // n / (2 n_class): 8 / (2 * 6) for non-buyers, 8 / (2 * 2) for buyers.
        Assert.Equal([8.0 / 12, 2.0], Balancer.LossWeights(BalanceStrategy.Weighted, data));
        Assert.Empty(Balancer.LossWeights(BalanceStrategy.None, data));
    }

    [Fact]
    public void The_search_criterion_is_the_same_for_a_model_trained_balanced_and_one_trained_on_the_natural_mix()
    {
        // The same ranking, once as a network trained on the population would score it and once shifted as a 50/50 network
        // would: after calibration in the population's mix both are the same probabilities, so the criterion is equal,
        // while the uncalibrated log loss tells them apart.
        var (natural, targets) = Synthetic(6_000, slope: 0.9, intercept: -1.8, seed: 11);
        var rate = targets.Average();
        var shift = Calibration.Logit(0.5) - Calibration.Logit(rate);
        ImmutableArray<double> balanced = [.. natural.Select(p => Calibration.Sigmoid(Calibration.Logit(p) + shift))];

        var onNatural = Calibration.CrossFittedLogLoss(natural, targets, rate, rate);
        var onBalanced = Calibration.CrossFittedLogLoss(balanced, targets, 0.5, rate);

        Assert.Equal(onNatural, onBalanced, 6);
        Assert.True(RawLogLoss(balanced, targets) > onBalanced + 0.05);
    }

    [Fact]
    public void The_search_criterion_of_a_balanced_validation_split_weighted_to_the_population_estimates_the_population_figure()
    {
        var (raw, targets) = Synthetic(60_000, slope: 0.8, intercept: -2.0, seed: 13);
        var rate = targets.Average();
        var onPopulation = Calibration.CrossFittedLogLoss(raw, targets, 0.5, rate);
        var buyers = Enumerable.Range(0, raw.Length).Where(i => targets[i] == 1).ToArray();
        var nonBuyers = Enumerable.Range(0, raw.Length).Where(i => targets[i] == 0).Take(buyers.Length).ToArray();
        int[] balanced = [.. buyers, .. nonBuyers];
        var onBalanced = Calibration.CrossFittedLogLoss([.. balanced.Select(i => raw[i])], [.. balanced.Select(i => targets[i])], 0.5, rate);

        Assert.Equal(onPopulation, onBalanced, 2);
        // Unweighted, the balanced sample's log loss is that of a population half buyers: far from the real one.
        Assert.True(Math.Abs(RawLogLoss([.. balanced.Select(i => raw[i])], [.. balanced.Select(i => targets[i])]) - onPopulation) > 0.1);
    }

    [Fact]
    public void Cross_fitting_does_not_let_the_calibration_flatter_the_rows_it_was_fitted_on()
    {
        var (raw, targets) = Synthetic(300, slope: 1.1, intercept: -1.0, seed: 17);
        var rate = targets.Average();
        var weights = Population.ClassWeights(targets, rate);
        var inSample = Calibration.Fit(CalibrationMethod.Platt, raw, targets, 0.5, rate).Apply(raw);
        var inSampleLoss = Enumerable.Range(0, raw.Length).Sum(i => -weights[i] * Math.Log(targets[i] == 1 ? inSample[i] : 1 - inSample[i])) / weights.Sum();

        var crossFitted = Calibration.CrossFittedLogLoss(raw, targets, 0.5, rate);

        // Platt's fit minimises exactly this weighted loss on its own rows: nothing scored out of fold can do better.
        Assert.True(crossFitted > inSampleLoss, $"{crossFitted} vs {inSampleLoss}");
        Assert.True(crossFitted < inSampleLoss + 0.05);
    }

    [Fact]
    public void The_search_criterion_is_unknown_without_both_classes_or_a_population()
    {
        Assert.True(double.IsNaN(Calibration.CrossFittedLogLoss([0.2, 0.7], [1, 1], 0.5, 0.16)));
        Assert.True(double.IsNaN(Calibration.CrossFittedLogLoss([0.2, 0.7], [0, 1], 0.5, null)));
        Assert.True(double.IsNaN(Calibration.CrossFittedLogLoss([], [], 0.5, 0.16)));
    }

    private static double RawLogLoss(ImmutableArray<double> p, ImmutableArray<int> targets) =>
        Enumerable.Range(0, p.Length).Average(i => -Math.Log(targets[i] == 1 ? p[i] : 1 - p[i]));

    /// <summary>Raw scores whose logits are standard normal, and outcomes drawn with P = sigmoid(slope · logit + intercept).</summary>
    internal static (ImmutableArray<double> Raw, ImmutableArray<int> Targets) Synthetic(int n, double slope, double intercept, int seed)
    {
        var random = new Random(seed);
        var raw = new double[n];
        var targets = new int[n];
        for (var i = 0; i < n; i++)
        {
            var z = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()) * 2;
            raw[i] = Calibration.Sigmoid(z);
            targets[i] = random.NextDouble() < Calibration.Sigmoid((slope * z) + intercept) ? 1 : 0;
        }
        return ([.. raw], [.. targets]);
    }
}
