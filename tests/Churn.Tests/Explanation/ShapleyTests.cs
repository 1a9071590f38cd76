using System.Collections.Immutable;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Explanation;
using Churn.Numerics.Model;
using Churn.Tests.Model;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Explanation;

[Collection(TorchCollection.Name)]
public class ShapleyTests
{
    private static readonly string ModelV1 = TestPaths.ModelV1;

    [Fact]
    public void Contributions_equal_the_full_enumeration_of_all_coalitions_for_a_small_network()
    {
        var model = SmallNetwork(inputs: 10, seed: 3);
        var customers = Rows(12, 10, seed: 1);
        var background = Rows(7, 10, seed: 2);
        var f = PlainLogOdds(model);

        var explained = Shapley.Exact(f, customers, Background.Of(background));

        var expected = BruteForce(f, customers, background);
        AssertClose(expected, explained.Contributions, 1e-9);
    }

    [Fact]
    public void Contributions_equal_the_full_enumeration_for_a_trained_model_on_bundled_customers()
    {
        var artifact = ModelArtifact.Load(ModelV1).Unwrap();
        var customers = Bundled(20, skip: 0);
        var background = Scaler.Apply(artifact.Scaler, Bundled(12, skip: 5000));
        var f = Shapley.CalibratedLogOdds(artifact);

        var explained = Shapley.Explain(artifact, customers, Background.Of(background)).Unwrap();

        AssertClose(BruteForce(f, Scaler.Apply(artifact.Scaler, customers), background), explained.Contributions, 1e-9);
    }

    [Fact]
    public void Base_plus_contributions_is_each_customers_log_odds_and_its_logistic_is_predicts_probability()
    {
        var artifact = ModelArtifact.Load(ModelV1).Unwrap();
        var customers = Bundled(300, skip: 100);
        var background = Scaler.Apply(artifact.Scaler, Bundled(50, skip: 9000));

        var explained = Shapley.Explain(artifact, customers, Background.Of(background)).Unwrap();

        var scored = artifact.Score(new Dataset([], customers, [])).Unwrap();
        for (var i = 0; i < customers.RowCount; i++)
        {
            var sum = explained.BaseLogOdds + explained.Contributions.Row(i).Sum();
            Assert.InRange(Math.Abs(sum - explained.LogOdds[i]), 0, 1e-9);
            Assert.InRange(Math.Abs((1 / (1 + Math.Exp(-explained.LogOdds[i]))) - scored.Probabilities[i]), 0, 1e-6);
        }
    }

    [Fact]
    public void Base_log_odds_is_the_backgrounds_mean_log_odds()
    {
        var model = SmallNetwork(inputs: 4, seed: 5);
        var background = Rows(9, 4, seed: 6);
        var f = PlainLogOdds(model);

        var explained = Shapley.Exact(f, Rows(3, 4, seed: 7), Background.Of(background));

        Assert.Equal(f(background).Average(), explained.BaseLogOdds, 12);
    }

    [Fact]
    public void A_feature_constant_across_customers_and_background_contributes_nothing()
    {
        var model = SmallNetwork(inputs: 5, seed: 8);
        var customers = Rows(10, 5, seed: 9).MapIndexed((_, c, v) => c == 2 ? 1.5 : v);
        var background = Rows(6, 5, seed: 10).MapIndexed((_, c, v) => c == 2 ? 1.5 : v);

        var explained = Shapley.Exact(PlainLogOdds(model), customers, Background.Of(background));

        Assert.All(explained.Contributions.Column(2), v => Assert.Equal(0, v));
        Assert.Contains(explained.Contributions.Column(0), v => v != 0);
    }

    [Fact]
    public void Equal_customers_get_equal_contributions()
    {
        var model = SmallNetwork(inputs: 6, seed: 11);
        var rows = Rows(8, 6, seed: 12);
        var customers = Matrix<double>.Build.Dense(10, 6, (r, c) => rows[r % 8, c]);

        var explained = Shapley.Exact(PlainLogOdds(model), customers, Background.Of(Rows(5, 6, seed: 13)));

        Assert.Equal(explained.Contributions.Row(1), explained.Contributions.Row(9));
        Assert.Equal(explained.LogOdds[0], explained.LogOdds[8]);
    }

    [Fact]
    public void Features_the_function_treats_alike_get_equal_contributions()
    {
        // f depends on x0 + x1 and x2 only: features 0 and 1 are symmetric where the customer and background agree on them pairwise.
        static ImmutableArray<double> F(Matrix<double> rows) =>
            [.. Enumerable.Range(0, rows.RowCount).Select(r => Math.Tanh(rows[r, 0] + rows[r, 1]) * (1 + rows[r, 2]))];
        var customers = Matrix<double>.Build.DenseOfArray(new double[,] { { 2, 2, 0.5 }, { -1, -1, 3 } });
        var background = Matrix<double>.Build.DenseOfArray(new double[,] { { 0, 0, 0 }, { 1, 1, -2 }, { -3, -3, 1 } });

        var explained = Shapley.Exact(F, customers, Background.Of(background));

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(explained.Contributions[i, 0], explained.Contributions[i, 1], 12);
        }
    }

    [Fact]
    public void Repeated_background_rows_weigh_as_often_as_they_appear()
    {
        var model = SmallNetwork(inputs: 4, seed: 14);
        var f = PlainLogOdds(model);
        var customers = Rows(5, 4, seed: 15);
        var distinct = Rows(3, 4, seed: 16);
        var repeated = Matrix<double>.Build.Dense(6, 4, (r, c) => distinct[r < 4 ? 0 : r - 3, c]);

        var merged = Background.Of(repeated);
        var explained = Shapley.Exact(f, customers, merged);

        Assert.Equal(3, merged.Count);
        Assert.Equal([4 / 6.0, 1 / 6.0, 1 / 6.0], merged.Weights);
        AssertClose(BruteForce(f, customers, repeated), explained.Contributions, 1e-9);
    }

    [Fact]
    public void Results_do_not_depend_on_which_other_customers_are_explained_with_them()
    {
        var artifact = ModelArtifact.Load(ModelV1).Unwrap();
        var customers = Bundled(40, skip: 2000);
        var background = Background.Of(Scaler.Apply(artifact.Scaler, Bundled(30, skip: 7000)));

        var all = Shapley.Explain(artifact, customers, background).Unwrap();
        var one = Shapley.Explain(artifact, customers.SubMatrix(17, 1, 0, 10), background).Unwrap();

        Assert.Equal(all.Contributions.Row(17), one.Contributions.Row(0));
        Assert.Equal(all.LogOdds[17], one.LogOdds[0]);
    }

    [Fact]
    public void No_customers_give_no_contributions_and_the_base()
    {
        var model = SmallNetwork(inputs: 3, seed: 18);
        var background = Rows(4, 3, seed: 19);

        var explained = Shapley.Exact(PlainLogOdds(model), Matrix<double>.Build.Dense(0, 3), Background.Of(background));

        Assert.Empty(explained.LogOdds);
        Assert.Equal(0, explained.Contributions.RowCount);
        Assert.Equal(PlainLogOdds(model)(background).Average(), explained.BaseLogOdds, 12);
    }

    [Fact]
    public void A_stored_background_sample_is_seeded_and_its_prefix_is_the_smaller_sample()
    {
        var rows = Rows(500, 3, seed: 17);

        var big = BackgroundSample.Draw(rows, seed: 4, size: 200);
        var small = BackgroundSample.Draw(rows, seed: 4, size: 100);

        Assert.Equal(200, big.Rows.Length);
        Assert.Equal(small.Take(100), big.Take(100));
        Assert.NotEqual(small.Take(100), BackgroundSample.Draw(rows, seed: 5, size: 100).Take(100));
        Assert.Equal(rows.RowCount, BackgroundSample.Draw(rows, seed: 4, size: 10_000).Rows.Length);
    }

    [Fact]
    public void A_background_sample_saved_with_a_model_loads_value_for_value_and_a_model_without_one_still_loads()
    {
        var legacy = ModelArtifact.Load(ModelV1).Unwrap();
        Assert.Null(legacy.Background);
        var sample = BackgroundSample.Draw(Scaler.Apply(legacy.Scaler, Bundled(300, skip: 0)), seed: 9, size: 40);
        var dir = Path.Combine(Path.GetTempPath(), "churn-background-" + Guid.NewGuid().ToString("N"));
        try
        {
            ModelArtifact.Save(dir, legacy with { Background = sample }).Unwrap();
            var loaded = ModelArtifact.Load(dir).Unwrap();
            Assert.Equal(sample.Seed, loaded.Background!.Seed);
            Assert.Equal(sample.Take(40), loaded.Background.Take(40));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// v(S) = mean over background rows of f(customer on S, background row elsewhere), for all 2^p coalitions, and
    /// φ_j = Σ_{S without j} |S|!(p−|S|−1)!/p! (v(S ∪ j) − v(S)): the definition, with no shortcut.
    /// </summary>
    private static Matrix<double> BruteForce(Func<Matrix<double>, ImmutableArray<double>> f, Matrix<double> customers, Matrix<double> background)
    {
        var p = customers.ColumnCount;
        var coalitions = 1 << p;
        var result = Matrix<double>.Build.Dense(customers.RowCount, p);
        for (var i = 0; i < customers.RowCount; i++)
        {
            var hybrids = Matrix<double>.Build.Dense(coalitions * background.RowCount, p, (r, c) =>
                ((r / background.RowCount) & (1 << c)) != 0 ? customers[i, c] : background[r % background.RowCount, c]);
            var values = f(hybrids);
            var v = new double[coalitions];
            for (var s = 0; s < coalitions; s++)
            {
                v[s] = Enumerable.Range(0, background.RowCount).Select(b => values[(s * background.RowCount) + b]).Average();
            }
            for (var j = 0; j < p; j++)
            {
                var phi = 0.0;
                for (var s = 0; s < coalitions; s++)
                {
                    if ((s & (1 << j)) == 0)
                    {
                        var size = System.Numerics.BitOperations.PopCount((uint)s);
                        phi += Factorial(size) * Factorial(p - size - 1) / Factorial(p) * (v[s | (1 << j)] - v[s]);
                    }
                }
                result[i, j] = phi;
            }
        }
        return result;

        static double Factorial(int n) => n <= 1 ? 1 : n * Factorial(n - 1);
    }

    /// <summary>The log-odds of the network's own probability, written out here rather than taken from the product.</summary>
    private static Func<Matrix<double>, ImmutableArray<double>> PlainLogOdds(TrainedModel model) =>
        rows => [.. Scoring.Probabilities(model, rows).Select(q => Math.Log(q / (1 - q)))];

    private static void AssertClose(Matrix<double> expected, Matrix<double> actual, double tolerance)
    {
        Assert.Equal(expected.RowCount, actual.RowCount);
        Assert.Equal(expected.ColumnCount, actual.ColumnCount);
        var worst = (expected - actual).Enumerate().Max(Math.Abs);
        Assert.InRange(worst, 0, tolerance);
    }

    /// <summary>Rows whose values come from a few levels, so customers and background rows often agree on a feature.</summary>
    private static Matrix<double> Rows(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        double[] levels = [0, 0, 1, -0.5, 2];
        return Matrix<double>.Build.Dense(rows, columns, (_, _) => random.Next(3) == 0 ? random.NextDouble() * 4 - 2 : levels[random.Next(levels.Length)]);
    }

    /// <summary>A network of two ReLU layers with weights from a seeded generator: interactions between all inputs.</summary>
    private static TrainedModel SmallNetwork(int inputs, int seed)
    {
        var random = new Random(seed);
        LayerWeights Layer(int from, int to) => new(
            from, to,
            [.. Enumerable.Range(0, from * to).Select(_ => (float)((random.NextDouble() * 2) - 1))],
            [.. Enumerable.Range(0, to).Select(_ => (float)((random.NextDouble() * 0.5) - 0.25))]);
        return new TrainedModel(
            ModelConfig.Default with { Depth = 2, Width = 6 },
            [Layer(inputs, 6), Layer(6, 6), Layer(6, 2)],
            EpochsRun: 1,
            BestEpoch: 1,
            History: [new EpochMetrics(1, 0.5, 0.8, 0.5, 0.8)],
            Device: Devices.Cpu);
    }

    private static Matrix<double> Bundled(int rows, int skip)
    {
        var loaded = CustomerCsv.Load(BundledData.CsvPath).Unwrap();
        return loaded.Data.Inputs.SubMatrix(skip, rows, 0, loaded.Data.Inputs.ColumnCount);
    }
}
