using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Model;

/// <summary>One linear layer's parameters, row-major <c>[Outputs, Inputs]</c> like torch's <c>nn.Linear.weight</c>.</summary>
public sealed record LayerWeights(int Inputs, int Outputs, ImmutableArray<float> Weight, ImmutableArray<float> Bias);

/// <summary>
/// A trained network as an immutable value: configuration, the best weights and how training went. Nothing native
/// is held here, so it can be passed between actors and saved freely. A plain network's weights are <see cref="Layers"/>;
/// a PLR network's (<see cref="ModelKind.Plr"/>) are <see cref="Plr"/>, every member's, and <see cref="Layers"/> is empty.
/// <see cref="InputMap"/> is the quantile map fitted on its training rows when its configuration asks for one
/// (<see cref="InputTransform.Quantile"/>): scoring maps the standardized inputs through it before the network.
/// </summary>
public sealed record TrainedModel(
    ModelConfig Config,
    ImmutableArray<LayerWeights> Layers,
    int EpochsRun,
    int BestEpoch,
    ImmutableArray<EpochMetrics> History,
    string Device,
    PlrWeights? Plr = null,
    QuantileMap? InputMap = null)
{
    /// <summary>The inputs the network takes.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int Inputs => Plr?.Inputs ?? (Layers.IsDefaultOrEmpty ? 0 : Layers[0].Inputs);
}

/// <summary>Probabilities of buying again for standardized inputs.</summary>
public static class Scoring
{
    // Prepared once per model value and collected with it, so scoring the same model repeatedly (permutation
    // importance, batches of customers) does not re-transpose the weights.
    private static readonly ConditionalWeakTable<TrainedModel, ForwardPass> Passes = [];

    /// <summary>P(target = 1) for every row of <paramref name="scaledInputs"/>.</summary>
    /// <remarks>
    /// softmax(logits)[:, 1] of the network in evaluation mode (for PLR the mean over its members), computed in float32 like torch (within a few units in
    /// the last place of torch's result) by a managed SIMD forward pass, in parallel for large inputs. The same weights
    /// and row always give the bit-identical probability, whatever else is scored with it, so metrics computed from a
    /// saved and reloaded model reproduce exactly.
    /// </remarks>
    /// <exception cref="ArgumentException">The weights do not fit the model's configuration, or the column count differs from the model's inputs.</exception>
    public static ImmutableArray<double> Probabilities(TrainedModel model, Matrix<double> scaledInputs)
    {
        var pass = Passes.GetValue(model, m => ForwardPass.Create(m).Match(
            p => p,
            problem => throw new ArgumentException($"the model's weights do not fit its configuration: {problem.Reason}", nameof(model))));
        if (scaledInputs.ColumnCount != pass.Inputs)
        {
            throw new ArgumentException($"the model takes {pass.Inputs} inputs; got {scaledInputs.ColumnCount} columns", nameof(scaledInputs));
        }
        var inputs = model.InputMap is { } map ? QuantileInputs.Apply(map, scaledInputs) : scaledInputs;
        return ImmutableCollectionsMarshal.AsImmutableArray(pass.Probabilities(inputs));
    }

    /// <summary>The mean of every network's <see cref="Probabilities"/>: the raw score of an averaged model (one network: its own).</summary>
    public static ImmutableArray<double> Mean(ImmutableArray<TrainedModel> networks, Matrix<double> scaledInputs)
    {
        if (networks.Length == 1)
        {
            return Probabilities(networks[0], scaledInputs);
        }
        var sum = new double[scaledInputs.RowCount];
        foreach (var network in networks)
        {
            var p = Probabilities(network, scaledInputs);
            for (var i = 0; i < sum.Length; i++)
            {
                sum[i] += p[i];
            }
        }
        return [.. sum.Select(s => s / networks.Length)];
    }
}
