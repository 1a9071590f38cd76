using System.Collections.Immutable;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;

namespace Churn.Tests.Evaluation;

/// <summary>Champion against challenger: paired bootstrap intervals of metric differences, and the verdict.</summary>
public class ChampionChallengerTests
{
    private static (ImmutableArray<double> Good, ImmutableArray<double> Noisy, ImmutableArray<int> Targets) Customers(int n, ulong seed)
    {
        // Buyers with probability p; the good model knows p, the noisy one sees it through heavy noise.
        var uniform = SeededRandom.ResampleCounts(n, seed);
        var order = SeededRandom.Permutation(n, seed + 1);
        var good = new double[n];
        var noisy = new double[n];
        var targets = new int[n];
        for (var i = 0; i < n; i++)
        {
            var p = (order[i] + 0.5) / n;
            good[i] = p;
            targets[i] = ((order[(i * 7) % n] + 0.5) / n) < p ? 1 : 0;
            noisy[i] = Math.Clamp(p + ((uniform[i] - 1) * 0.35), 0.001, 0.999);
        }
        return ([.. good], [.. noisy], [.. targets]);
    }

    [Fact]
    public void A_model_against_itself_differs_by_exactly_0_on_every_metric_and_nothing_is_distinguishable()
    {
        var (good, _, targets) = Customers(2000, 5);
        var c = ChampionChallenger.Compare(good, good, targets, CampaignEconomics.Default, seed: 1, resamples: 200);

        Assert.All(c.Differences, d => Assert.Equal((0.0, 0.0, 0.0), (d.Difference, d.Low, d.High)));
        Assert.All(c.Differences, d => Assert.Null(d.Better));
        Assert.Equal(
            "ROC AUC difference not distinguishable from noise; Brier difference not distinguishable from noise; calibration error difference not distinguishable from noise; profit per 1,000 difference not distinguishable from noise",
            c.Verdict);
        Assert.Equal(c.A, c.B);
    }

    [Fact]
    public void A_noisier_challenger_loses_on_brier_and_auc_with_intervals_that_leave_out_0()
    {
        var (good, noisy, targets) = Customers(4000, 9);
        var c = ChampionChallenger.Compare(good, noisy, targets, CampaignEconomics.Default, seed: 3, resamples: 300);
        var auc = c.Differences.Single(d => d.Metric == "ROC AUC");
        var brier = c.Differences.Single(d => d.Metric == "Brier");

        Assert.True(c.B.Brier > c.A.Brier);
        Assert.True(brier.Low > 0, $"{brier}");
        Assert.Equal("A", brier.Better);
        Assert.True(auc.High < 0, $"{auc}");
        Assert.Equal("A", auc.Better);
        Assert.True(auc.Low <= auc.Difference && auc.Difference <= auc.High);
        Assert.Matches(@"A is better on Brier by 0\.[0-9]+, interval 0\.[0-9]+ to 0\.[0-9]+", c.Verdict);
        // The same seed draws the same resamples.
        Assert.Equal(c, ChampionChallenger.Compare(good, noisy, targets, CampaignEconomics.Default, seed: 3, resamples: 300) with { Differences = c.Differences });
        Assert.Equal(c.Differences.Select(d => (d.Low, d.High)), ChampionChallenger.Compare(good, noisy, targets, CampaignEconomics.Default, seed: 3, resamples: 300).Differences.Select(d => (d.Low, d.High)));
    }

    [Fact]
    public void Weighted_auc_with_unit_weights_is_the_plain_auc_and_with_counts_the_auc_of_the_repeated_rows()
    {
        ImmutableArray<double> p = [0.1, 0.4, 0.4, 0.8, 0.3, 0.9];
        ImmutableArray<int> t = [0, 1, 0, 1, 0, 1];
        var ascending = Enumerable.Range(0, p.Length).OrderBy(i => p[i]).ToArray();

        Assert.Equal(Metrics.RocAuc(p, t), ChampionChallenger.WeightedRocAuc(p, ascending, t, [1, 1, 1, 1, 1, 1]), 12);
        ImmutableArray<double> repeated = [0.1, 0.1, 0.4, 0.8, 0.8, 0.8, 0.3, 0.9];
        ImmutableArray<int> repeatedTargets = [0, 0, 1, 1, 1, 1, 0, 1];
        Assert.Equal(Metrics.RocAuc(repeated, repeatedTargets), ChampionChallenger.WeightedRocAuc(p, ascending, t, [2, 1, 0, 3, 1, 1]), 12);
    }

    [Fact]
    public void Verdict_states_the_better_models_gain_and_its_interval_in_its_favour()
    {
        var verdict = ChampionChallenger.Verdict(
        [
            new MetricDifference("Brier", -0.003, -0.005, -0.001, HigherIsBetter: false),
            new MetricDifference("ROC AUC", 0.001, -0.002, 0.004, HigherIsBetter: true),
        ]);

        Assert.Equal("B is better on Brier by 0.003, interval 0.001 to 0.005; ROC AUC difference not distinguishable from noise", verdict);
    }
}
