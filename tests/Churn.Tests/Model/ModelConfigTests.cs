using Churn.Numerics;
using Churn.Numerics.Model;

namespace Churn.Tests.Model;

public class ModelConfigTests
{
    [Fact]
    public void Default_config_is_valid_and_is_the_original_recipe()
    {
        var config = Assert.IsType<Result<ModelConfig>.Ok>(ModelConfig.Default.Validate()).Value;
        Assert.Equal(new ModelConfig(3, 50, Activation.Relu, 1e-3, 100, 100, 2, 1e-4, 0, 0), config);
    }

    [Theory]
    [InlineData(1, 1, 1e-9, 1, 1, 1, 0.0, 0.0, 0.0)]
    [InlineData(10, 4096, 1.0, 100_000, 10_000, 50, 0.5, 0.999, 1.0)]
    public void Config_at_the_edges_of_every_range_is_valid(
        int depth, int width, double learningRate, int batchSize, int maxEpochs, int patience, double minDelta, double dropout, double weightDecay)
    {
        var config = new ModelConfig(depth, width, Activation.Tanh, learningRate, batchSize, maxEpochs, patience, minDelta, dropout, weightDecay);
        Assert.True(config.Validate().IsOk);
    }

    public static TheoryData<ModelConfig, string> OutOfRange => new()
    {
        { ModelConfig.Default with { Depth = 0 }, "depth" },
        { ModelConfig.Default with { Depth = 11 }, "depth" },
        { ModelConfig.Default with { Width = 0 }, "width" },
        { ModelConfig.Default with { Width = 4097 }, "width" },
        { ModelConfig.Default with { Activation = (Activation)7 }, "activation" },
        { ModelConfig.Default with { LearningRate = 0 }, "learningRate" },
        { ModelConfig.Default with { LearningRate = -1e-3 }, "learningRate" },
        { ModelConfig.Default with { LearningRate = 1.5 }, "learningRate" },
        { ModelConfig.Default with { LearningRate = double.NaN }, "learningRate" },
        { ModelConfig.Default with { BatchSize = 0 }, "batchSize" },
        { ModelConfig.Default with { MaxEpochs = 0 }, "maxEpochs" },
        { ModelConfig.Default with { MaxEpochs = 10_001 }, "maxEpochs" },
        { ModelConfig.Default with { Patience = 0 }, "patience" },
        { ModelConfig.Default with { MinDelta = -1e-4 }, "minDelta" },
        { ModelConfig.Default with { MinDelta = double.NaN }, "minDelta" },
        { ModelConfig.Default with { Dropout = -0.1 }, "dropout" },
        { ModelConfig.Default with { Dropout = 1 }, "dropout" },
        { ModelConfig.Default with { WeightDecay = -1 }, "weightDecay" },
        { ModelConfig.Default with { WeightDecay = double.PositiveInfinity }, "weightDecay" },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Config_out_of_range_names_the_field_in_camel_case(ModelConfig config, string column)
    {
        var problem = Assert.IsType<Result<ModelConfig>.Error>(config.Validate()).Problem;
        Assert.Equal(column, problem.Column);
        Assert.Contains("must", problem.Reason, StringComparison.Ordinal);
    }
}
