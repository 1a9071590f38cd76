using Churn.Numerics.Model;

namespace Churn.Tests.Model;

/// <summary>The search varies dropout and weight decay: both must reach the network, and both must be off by default.</summary>
[Collection(TorchCollection.Name)]
public class RegularizationTests
{
    private static readonly Churn.Numerics.Data.Dataset Train = SyntheticData.Customers(600, seed: 1);
    private static readonly Churn.Numerics.Data.Dataset Validation = SyntheticData.Customers(200, seed: 2);
    private static readonly ModelConfig Small = ModelConfig.Default with { Depth = 2, Width = 32, BatchSize = 50 };

    private static TrainedModel Train3(ModelConfig config)
    {
        using var session = TrainingSession.Create(config, Train, Validation, 5, Devices.Cpu, 1).Unwrap();
        for (var epoch = 1; epoch <= 3; epoch++)
        {
            session.RunEpoch(epoch).Unwrap();
        }
        return session.Finish();
    }

    private static double WeightNorm(TrainedModel model) =>
        Math.Sqrt(model.Layers.Sum(l => l.Weight.Sum(w => (double)w * w)));

    [Fact]
    public void Dropout_and_weight_decay_are_off_by_default()
    {
        Assert.Equal(0, ModelConfig.Default.Dropout);
        Assert.Equal(0, ModelConfig.Default.WeightDecay);
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.5)]
    public void Dropout_changes_how_the_network_trains(double dropout)
    {
        var plain = Train3(Small);
        var dropped = Train3(Small with { Dropout = dropout });
        Assert.NotEqual(plain.History[0].TrainLoss, dropped.History[0].TrainLoss);
        Assert.NotEqual(plain.Layers[0].Weight, dropped.Layers[0].Weight);
    }

    [Fact]
    public void Weight_decay_shrinks_the_weights()
    {
        Assert.True(WeightNorm(Train3(Small with { WeightDecay = 0.1 })) < WeightNorm(Train3(Small)));
    }
}
