using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MathNet.Numerics.LinearAlgebra;
using TorchSharp;

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
    /// <summary>Rows per forward pass: large enough to keep the matrix products efficient, small enough to stay in cache-friendly memory.</summary>
    public const int ChunkRows = 65_536;

    // Built once per model value and freed with it: scoring the same model again skips rebuilding the network.
    private static readonly ConditionalWeakTable<TrainedModel, ChurnNetwork> Networks = [];

    /// <summary>P(target = 1) for every row of <paramref name="scaledInputs"/>.</summary>
    /// <remarks>
    /// softmax(logits)[:, 1] of the network in evaluation mode, computed in float32 in chunks of <see cref="ChunkRows"/>
    /// rows; the same weights and inputs always give bit-identical results, so metrics computed from a saved and
    /// reloaded model reproduce exactly.
    /// </remarks>
    public static ImmutableArray<double> Probabilities(TrainedModel model, Matrix<double> scaledInputs)
    {
        var network = Networks.GetValue(model, m => ChurnNetwork.FromWeights(m.Config, m.Layers).Match(
            n => n,
            p => throw new ArgumentException($"the model's weights do not fit its configuration: {p.Reason}", nameof(model))));
        var columns = network.Inputs;
        if (scaledInputs.ColumnCount != columns)
        {
            throw new ArgumentException($"the model takes {columns} inputs; got {scaledInputs.ColumnCount} columns", nameof(scaledInputs));
        }
        var rows = scaledInputs.RowCount;
        var probabilities = new double[rows];
        var chunk = new float[Math.Min(rows, ChunkRows) * columns];
        using var noGrad = torch.no_grad();
        for (var start = 0; start < rows; start += ChunkRows)
        {
            var length = Math.Min(ChunkRows, rows - start);
            RowMajor.CopyRows(scaledInputs, start, length, chunk);
            using var scope = torch.NewDisposeScope();
            var inputs = torch.tensor(length * columns == chunk.Length ? chunk : chunk[..(length * columns)], [length, columns]);
            var buyer = torch.nn.functional.softmax(network.call(inputs), 1).select(1, 1).contiguous();
            var values = buyer.data<float>();
            for (var i = 0; i < length; i++)
            {
                probabilities[start + i] = values[i];
            }
        }
        return ImmutableCollectionsMarshal.AsImmutableArray(probabilities);
    }
}
