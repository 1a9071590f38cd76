using System.Collections.Immutable;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Model;
using Churn.Tests.Model;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Evaluation;

[Collection(TorchCollection.Name)]
public class ModelMetricsTests
{
    private static readonly ImmutableArray<string> Features = ["signal", "noise_a", "noise_b"];

    [Fact]
    public void Permutation_importance_ranks_the_only_feature_the_model_uses_first()
    {
        var test = SignalData(400, seed: 4);
        var before = test.Inputs.Clone();
        var importance = Metrics.PermutationImportance(HandModels.SigmoidOfFirstInput(), test, Features, seed: 9);
        Assert.Equal(["signal", "noise_a", "noise_b"], importance.Select(i => i.Feature));
        Assert.Equal([1, 2, 3], importance.Select(i => i.Rank));
        Assert.True(importance[0].AucDrop > 0.3 && importance[0].AccuracyDrop > 0.3, importance[0].ToString());
        Assert.All(importance.Skip(1), i => Assert.Equal((0.0, 0.0), (i.AccuracyDrop, i.AucDrop)));
        Assert.Equal(before, test.Inputs);
    }

    [Fact]
    public void Permutation_importance_reports_its_repeats_and_the_spread_of_the_auc_drop_between_them()
    {
        var test = SignalData(400, seed: 4);
        var model = HandModels.SigmoidOfFirstInput();
        var importance = Metrics.PermutationImportance(model, test, Features, seed: 9, repeats: 7);
        Assert.All(importance, i => Assert.Equal(7, i.Repeats));
        Assert.True(importance[0].AucDropSpread > 0 && importance[0].AucDropSpread < importance[0].AucDrop / 3, importance[0].ToString());
        Assert.All(importance.Skip(1), i => Assert.Equal(0.0, i.AucDropSpread));
        // Weighting whole classes to a population's mix leaves ROC AUC as it is; only the accuracy drop is weighted.
        var weighted = Metrics.PermutationImportance(model, test, Features, 9, 7, Population.ClassWeights(test.Targets, 0.2));
        Assert.Equal(importance.Select(i => i.AucDrop), weighted.Select(i => i.AucDrop));
    }

    [Fact]
    public void Permutation_importance_is_the_same_for_the_same_seed()
    {
        var test = SignalData(200, seed: 5);
        var model = HandModels.SigmoidOfFirstInput();
        Assert.Equal(Metrics.PermutationImportance(model, test, Features, 3), Metrics.PermutationImportance(model, test, Features, 3));
        Assert.NotEqual(Metrics.PermutationImportance(model, test, Features, 3)[0], Metrics.PermutationImportance(model, test, Features, 4)[0]);
    }

    [Fact]
    public void Evaluate_composes_the_metrics_on_the_test_split()
    {
        var test = SignalData(300, seed: 6);
        var model = HandModels.SigmoidOfFirstInput();
        var report = Metrics.Evaluate(model, test, Features, seed: 1);
        var probabilities = Scoring.Probabilities(model, test.Inputs);
        Assert.Equal(Metrics.Classification(probabilities, test.Targets), report.Test);
        Assert.Equal(Metrics.Gains(probabilities, test.Targets), report.Gains);
        Assert.Equal(Metrics.Roc(probabilities, test.Targets), report.Roc);
        Assert.Equal(Metrics.PermutationImportance(model, test, Features, 1), report.Importance);
        Assert.Equal(1.0, report.Test.Accuracy);
    }

    [Fact]
    public void The_left_out_check_scores_the_left_out_non_buyers_beside_the_test_split()
    {
        var test = SignalData(300, seed: 6);
        var model = HandModels.SigmoidOfFirstInput();
        // Non-buyers as the dropped ones are: a few the model gets wrong (first input above 0), most it gets right.
        var random = new Random(8);
        var inputs = Matrix<double>.Build.Dense(200, 3, (r, c) => c > 0 ? random.NextDouble() : r < 50 ? 0.01 + random.NextDouble() : -0.01 - random.NextDouble());
        var leftOut = new Dataset([], inputs, [.. Enumerable.Repeat(0, 200)]);

        var report = Metrics.Evaluate(model, test, Features, seed: 1, leftOut);

        var check = Assert.IsType<LeftOutCheck>(report.LeftOut);
        Assert.Equal(200, check.Rows);
        Assert.Equal(150 / 200.0, check.CalledNonBuyers);
        var all = Scoring.Probabilities(model, test.Inputs).AddRange(Scoring.Probabilities(model, inputs));
        var expectedAuc = Metrics.Classification(all, test.Targets.AddRange(leftOut.Targets)).RocAuc;
        Assert.Equal(expectedAuc, check.RocAucWithTest, 12);
        Assert.True(check.RocAucWithTest < report.Test.RocAuc, "wrongly scored non-buyers must lower the AUC");
        Assert.Null(Metrics.Evaluate(model, test, Features, seed: 1).LeftOut);
    }

    /// <summary>Buyers exactly where the first input is positive; the other two inputs are noise.</summary>
    private static Dataset SignalData(int rows, int seed)
    {
        var random = new Random(seed);
        var inputs = Matrix<double>.Build.Dense(rows, 3, (_, _) => (random.NextDouble() * 4) - 2);
        return new Dataset([], inputs, [.. Enumerable.Range(0, rows).Select(r => inputs[r, 0] > 0 ? 1 : 0)]);
    }
}
