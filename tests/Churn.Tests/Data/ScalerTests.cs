using System.Collections.Immutable;
using System.Text.Json;
using Churn.Numerics;
using Churn.Numerics.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Data;

public class ScalerTests
{
    [Fact]
    public void Scaler_gives_mean_0_and_population_std_1_per_feature()
    {
        var data = CustomerCsv.Load(TestFiles.BundledCsv).Unwrap().Data;
        var (scaled, parameters) = Scaler.FitApply(data);
        Assert.Equal(Schema.FeatureNames, parameters.FeatureNames);
        for (var c = 0; c < Schema.FeatureCount; c++)
        {
            var column = scaled.Inputs.Column(c).ToArray();
            var mean = column.Average();
            var std = Math.Sqrt(column.Select(v => (v - mean) * (v - mean)).Average());
            Assert.Equal(0, mean, 1e-9);
            Assert.Equal(1, std, 1e-9);
        }
        Assert.Equal(data.Ids, scaled.Ids);
        Assert.Equal(data.Targets, scaled.Targets);
    }

    [Fact]
    public void Scaler_uses_the_population_std_like_numpy()
    {
        var inputs = Matrix<double>.Build.Dense(4, Schema.FeatureCount, (i, j) => j == 0 ? new[] { 1.0, 2, 3, 4 }[i] : i);
        var parameters = Scaler.Fit(inputs);
        Assert.Equal(2.5, parameters.Means[0]);
        Assert.Equal(Math.Sqrt(1.25), parameters.Stds[0], 1e-15);
        var scaled = Scaler.Apply(parameters, inputs);
        Assert.Equal((1 - 2.5) / Math.Sqrt(1.25), scaled[0, 0], 1e-15);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    [InlineData(8.91)]
    [InlineData(-3e300)]
    public void Scaler_maps_a_constant_column_to_exactly_0_with_divisor_1(double value)
    {
        var inputs = Matrix<double>.Build.Dense(7, Schema.FeatureCount, (i, j) => j == 3 ? value : i * j);
        var parameters = Scaler.Fit(inputs);
        Assert.Equal(1, parameters.Stds[3]);
        Assert.Equal(value, parameters.Means[3]);
        Assert.All(Scaler.Apply(parameters, inputs).Column(3), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void Scaler_apply_uses_the_given_parameters_not_the_new_data()
    {
        var train = Matrix<double>.Build.Dense(3, Schema.FeatureCount, (i, j) => i + j);
        var other = Matrix<double>.Build.Dense(2, Schema.FeatureCount, (i, j) => 10 + i);
        var parameters = Scaler.Fit(train);
        var scaled = Scaler.Apply(parameters, other);
        Assert.Equal((10 - parameters.Means[4]) / parameters.Stds[4], scaled[0, 4], 1e-12);
    }
}

public class LogFeatureTests
{
    private static readonly Dataset Bundled = CustomerCsv.Load(TestFiles.BundledCsv).Unwrap().Data;

    [Fact]
    public void Named_features_are_standardized_as_ln_1_plus_x_and_the_others_as_before()
    {
        var before = Bundled.Inputs.ToColumnMajorArray();
        var logged = ImmutableArray.Create("price_avg", "last_visit_days");

        var (scaled, parameters) = Scaler.FitApply(Bundled, logged);
        var (plain, _) = Scaler.FitApply(Bundled);

        Assert.Equal(logged, parameters.LogFeatures);
        Assert.Equal(before, Bundled.Inputs.ToColumnMajorArray());
        foreach (var name in logged)
        {
            var c = Schema.FeatureNames.IndexOf(name);
            var expected = Bundled.Inputs.Column(c).Select(v => Math.Log(1 + v)).ToArray();
            var mean = expected.Average();
            var std = Math.Sqrt(expected.Select(v => (v - mean) * (v - mean)).Average());
            Assert.Equal(mean, parameters.Means[c], 1e-12);
            Assert.Equal(std, parameters.Stds[c], 1e-12);
            for (var i = 0; i < Bundled.Rows; i += 997)
            {
                Assert.Equal((expected[i] - mean) / std, scaled.Inputs[i, c], 1e-12);
            }
        }
        var untouched = Schema.FeatureNames.IndexOf("completion");
        Assert.Equal(plain.Inputs.Column(untouched).ToArray(), scaled.Inputs.Column(untouched).ToArray());
    }

    [Fact]
    public void Saved_parameters_applied_to_raw_rows_reproduce_the_prepared_splits()
    {
        var loaded = CustomerCsv.Load(TestFiles.BundledCsv).Unwrap();
        var options = PrepareOptions.Default with { Seed = 7, LogFeatures = FeatureTransform.Skewed };
        var prepared = Preparation.Prepare(loaded, options).Unwrap();

        // What scoring does: raw rows of the test customers, through the parameters as they were saved and read back.
        var json = JsonSerializer.Serialize(prepared.Scaler, JsonFormat.Options);
        var saved = JsonSerializer.Deserialize<ScalerParameters>(json, JsonFormat.Options)!;
        var index = loaded.Data.Ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
        var raw = DatasetRows.Select(loaded.Data, [.. prepared.Splits.Test.Ids.Select(id => index[id])]);

        Assert.Equal(FeatureTransform.Skewed, saved.LogFeatures);
        Assert.Equal(prepared.Splits.Test.Inputs.ToColumnMajorArray(), Scaler.Apply(saved, raw.Inputs).ToColumnMajorArray());
    }

    [Fact]
    public void Parameters_saved_before_log_features_existed_read_as_none()
    {
        var json = """{ "featureNames": ["a"], "means": [1.5], "stds": [2] }""";
        var parameters = JsonSerializer.Deserialize<ScalerParameters>(json, JsonFormat.Options)!;
        Assert.Empty(parameters.LogFeatures);
        Assert.Equal(-0.25, Scaler.Apply(parameters, Matrix<double>.Build.Dense(1, 1, [1.0]))[0, 0]);
    }

    [Theory]
    [InlineData("none", new string[0])]
    [InlineData(" ", new string[0])]
    [InlineData("Skewed", new[] { "book_length_avg_min", "book_length_total_min", "price_avg", "price_total", "minutes_listened", "support_requests", "last_visit_days" })]
    [InlineData("review_score,price_avg", new[] { "price_avg", "review_score" })]
    public void The_option_parses_to_schema_ordered_names(string text, string[] expected) =>
        Assert.Equal(expected, FeatureTransform.Parse(text).Unwrap());

    [Fact]
    public void An_unknown_feature_is_refused_with_the_known_names()
    {
        var problem = Rows.ProblemOf(FeatureTransform.Parse("price_avg,minutes"));
        Assert.Equal("logFeatures", problem.Column);
        Assert.Contains("'minutes' is not a feature", problem.Reason);
        Assert.Contains("minutes_listened", problem.Reason);
    }
}
