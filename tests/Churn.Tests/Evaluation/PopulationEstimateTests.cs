using System.Collections.Immutable;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Model;
using Churn.Tests.Model;

namespace Churn.Tests.Evaluation;

/// <summary>
/// The population section estimates, from the test split and the customers balancing left out, how the model does on
/// customers it never saw in the file's natural mix. These tests hold out a true stratified fifth of the bundled
/// customers before anything else, run the recipe on the rest, and compare the estimate with the truth.
/// </summary>
[Collection(TorchCollection.Name)]
public class PopulationEstimateTests
{
    [Theory]
    [InlineData(BalanceStrategy.Random, 1)]
    [InlineData(BalanceStrategy.Random, 2)]
    [InlineData(BalanceStrategy.None, 3)]
    public void The_population_estimate_agrees_with_a_true_hold_out_within_its_noise(BalanceStrategy balance, int seed)
    {
        var (rest, holdout) = HoldOut(CustomerCsv.Load(TestPaths.BundledData).Unwrap(), seed);
        var prepared = Preparation.Prepare(rest, PrepareOptions.Default with { Balance = balance, Seed = (ulong)seed }).Unwrap();
        var splits = prepared.Splits;
        var model = Train(splits, seed);
        var report = Metrics.Evaluate(
            model, splits.Test, Schema.FeatureNames, (ulong)seed, PrepareSteps.LeftOut(rest, prepared.Balanced, prepared.Scaler),
            new PopulationContext(splits.Validation, prepared.Balanced.Mix, CampaignEconomics.Default));
        var estimate = report.Population!;

        var raw = Scoring.Probabilities(model, Scaler.Apply(prepared.Scaler, holdout.Inputs));
        var p = report.Calibration!.Apply(raw);
        var ones = Enumerable.Repeat(1.0, p.Length).ToImmutableArray();
        var truth = Population.Quality(p, holdout.Targets, ones);
        var campaign = Population.Campaign(p, holdout.Targets, ones, CampaignEconomics.Default);

        // Bounds of about three standard errors for samples of these sizes (224 test buyers; 448 hold-out buyers).
        Assert.InRange(estimate.RocAuc - Metrics.RocAuc(p, holdout.Targets), -0.035, 0.035);
        Assert.InRange(estimate.Brier - truth.Brier, -0.015, 0.015);
        Assert.InRange(estimate.MeanProbability - truth.MeanProbability, -0.025, 0.025);
        Assert.InRange(estimate.Campaign.ProfitPer1000 - (campaign.ProfitPer1000), -120, 120);
        // Calibrated on both sides; the raw score of a balanced model is far off in the natural mix.
        Assert.InRange(truth.CalibrationError, 0, 0.05);
        Assert.InRange(estimate.CalibrationError, 0, 0.05);
        Assert.Equal(rest.Data.Counts().Buyers / (double)rest.Data.Rows, estimate.BuyingRate, 12);
        if (balance == BalanceStrategy.Random)
        {
            Assert.True(Population.Quality(raw, holdout.Targets, ones).CalibrationError > 0.1);
        }
    }

    /// <summary>A stratified fifth of the customers, drawn with <paramref name="seed"/>, and the rest.</summary>
    private static (LoadedData Kept, Dataset Holdout) HoldOut(LoadedData loaded, int seed)
    {
        var data = loaded.Data;
        var random = new Random(seed);
        var held = new HashSet<int>();
        foreach (var target in new[] { 0, 1 })
        {
            var rows = Enumerable.Range(0, data.Rows).Where(i => data.Targets[i] == target).ToArray();
            random.Shuffle(rows);
            held.UnionWith(rows.Take(rows.Length / 5));
        }
        var keep = Enumerable.Range(0, data.Rows).Where(i => !held.Contains(i)).ToArray();
        return (loaded with { Data = DatasetRows.Select(data, keep) }, DatasetRows.Select(data, [.. held.Order()]));
    }

    private static TrainedModel Train(Splits splits, int seed)
    {
        using var session = TrainingSession.Create(ModelConfig.Default, splits.Train, splits.Validation, seed, Devices.Cpu, 1).Unwrap();
        var stopping = EarlyStopping.Start(ModelConfig.Default.Patience, ModelConfig.Default.MinDelta);
        for (var epoch = 1; epoch <= ModelConfig.Default.MaxEpochs; epoch++)
        {
            var (next, decision) = stopping.Observe(epoch, session.RunEpoch(epoch).Unwrap().ValidationLoss);
            stopping = next;
            if (decision == StopDecision.Improved)
            {
                session.KeepBest();
            }
            else if (decision == StopDecision.Stop)
            {
                break;
            }
        }
        return session.Finish();
    }
}
