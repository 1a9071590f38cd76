using Churn.Numerics.Model;

namespace Churn.Tests.Model;

/// <summary>Trained models written by hand, so their outputs can be computed on paper.</summary>
internal static class HandModels
{
    /// <summary>
    /// Three inputs, one hidden ReLU layer of two units (x0 and −x0), logits (relu(−x0), relu(x0)): the logit
    /// difference is x0, so P(buyer) = sigmoid(x0) and the other two inputs are ignored.
    /// </summary>
    public static TrainedModel SigmoidOfFirstInput() => new(
        ModelConfig.Default with { Depth = 1, Width = 2 },
        [
            new LayerWeights(3, 2, [1, 0, 0, -1, 0, 0], [0, 0]),
            new LayerWeights(2, 2, [0, 1, 1, 0], [0, 0]),
        ],
        EpochsRun: 1,
        BestEpoch: 1,
        History: [new EpochMetrics(1, 0.5, 0.8, 0.5, 0.8)],
        Device: Devices.Cpu);
}
