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
