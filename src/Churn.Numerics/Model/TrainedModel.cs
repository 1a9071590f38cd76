using System.Collections.Immutable;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Model;

/// <summary>One linear layer's parameters, row-major <c>[Outputs, Inputs]</c> like torch's <c>nn.Linear.weight</c>.</summary>
public sealed record LayerWeights(int Inputs, int Outputs, ImmutableArray<float> Weight, ImmutableArray<float> Bias);

/// <summary>
/// A trained network as an immutable value: configuration, the best weights and how training went. Nothing native
/// is held here, so it can be passed between actors and saved freely.
/// </summary>
public sealed record TrainedModel(
    ModelConfig Config,
    ImmutableArray<LayerWeights> Layers,
    int EpochsRun,
    int BestEpoch,
    ImmutableArray<EpochMetrics> History,
    string Device);

/// <summary>Probabilities of buying again for standardized inputs.</summary>
public static class Scoring
{
    /// <summary>P(target = 1) for every row of <paramref name="scaledInputs"/>.</summary>
    public static ImmutableArray<double> Probabilities(TrainedModel model, Matrix<double> scaledInputs) =>
        throw new NotImplementedException();
}
