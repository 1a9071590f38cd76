using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MathNet.Numerics.LinearAlgebra;
using FloatVector = System.Numerics.Vector<float>;

namespace Churn.Numerics.Model;

/// <summary>
/// The network's evaluation-mode forward pass in managed SIMD code, for scoring. Each row is computed on its own with
/// a fixed order of fused multiply-adds, so a row's probability does not depend on which other rows are scored with
/// it, how they are split between threads, or on torch's thread count; a model scores the same before and after saving.
/// It is also faster than torch for this small network (about 2 million rows per second and core, against about 1
/// million through libtorch), and needs no native memory.
/// </summary>
internal sealed class ForwardPass
{
    // Rows computed together: eight independent accumulator chains keep the FMA units busy.
    private const int Block = 8;
    private const int RowsPerTask = 4096;

    private static readonly int Lanes = FloatVector.Count;

    private readonly Layer[] layers;
    private readonly bool tanh;
    private readonly int stride;

    private ForwardPass(Layer[] layers, bool tanh)
    {
        this.layers = layers;
        this.tanh = tanh;
        stride = Math.Max(layers.Max(l => l.Padded), layers[0].Inputs);
    }

    public int Inputs => layers[0].Inputs;

    public static Result<ForwardPass> Create(TrainedModel model)
    {
        if (ChurnNetwork.CheckLayers(model.Config, model.Layers) is { } problem)
        {
            return problem;
        }
        return Result.Ok(new ForwardPass([.. model.Layers.Select(Layer.From)], model.Config.Activation == Activation.Tanh));
    }

    /// <summary>P(class 1) = softmax(logits)[1] = 1 / (1 + e^(z0 − z1)) for every row, in parallel for large inputs.</summary>
    public double[] Probabilities(Matrix<double> inputs)
    {
        var rows = inputs.RowCount;
        var probabilities = new double[rows];
        var tasks = (rows + RowsPerTask - 1) / RowsPerTask;
        if (tasks > 1)
        {
            Parallel.For(0, tasks, task => Run(inputs, task * RowsPerTask, Math.Min(rows, (task + 1) * RowsPerTask), probabilities));
        }
        else
        {
            Run(inputs, 0, rows, probabilities);
        }
        return probabilities;
    }

    private void Run(Matrix<double> inputs, int start, int end, double[] probabilities)
    {
        var rows = inputs.RowCount;
        var columns = inputs.ColumnCount;
        // Dense matrices hand out their column-major storage without copying; it is only read.
        var storage = inputs.AsColumnMajorArray();
        var source = new float[Block * stride];
        var target = new float[Block * stride];
        for (var first = start; first < end; first += Block)
        {
            var count = Math.Min(Block, end - first);
            if (count < Block)
            {
                // Rows past the end are computed but never read; zeros keep them from producing NaNs or subnormals.
                Array.Clear(source);
            }
            for (var c = 0; c < columns; c++)
            {
                for (var r = 0; r < count; r++)
                {
                    source[(r * stride) + c] = (float)(storage is null ? inputs.At(first + r, c) : storage[(c * rows) + first + r]);
                }
            }
            var (from, to) = (source, target);
            for (var l = 0; l < layers.Length; l++)
            {
                Apply(layers[l], from, to, activate: l < layers.Length - 1);
                (from, to) = (to, from);
            }
            for (var r = 0; r < count; r++)
            {
                probabilities[first + r] = 1 / (1 + Math.Exp((double)from[r * stride] - from[(r * stride) + 1]));
            }
            (source, target) = (from, to);
        }
    }

    private void Apply(Layer layer, float[] from, float[] to, bool activate)
    {
        ref var x = ref MemoryMarshal.GetArrayDataReference(from);
        var s = stride;
        for (var j = 0; j < layer.Padded; j += Lanes)
        {
            var bias = new FloatVector(layer.Bias, j);
            FloatVector a0 = bias, a1 = bias, a2 = bias, a3 = bias, a4 = bias, a5 = bias, a6 = bias, a7 = bias;
            for (var k = 0; k < layer.Inputs; k++)
            {
                var w = new FloatVector(layer.Weights, (k * layer.Padded) + j);
                a0 = Vector.FusedMultiplyAdd(new FloatVector(Unsafe.Add(ref x, k)), w, a0);
                a1 = Vector.FusedMultiplyAdd(new FloatVector(Unsafe.Add(ref x, s + k)), w, a1);
                a2 = Vector.FusedMultiplyAdd(new FloatVector(Unsafe.Add(ref x, (2 * s) + k)), w, a2);
                a3 = Vector.FusedMultiplyAdd(new FloatVector(Unsafe.Add(ref x, (3 * s) + k)), w, a3);
                a4 = Vector.FusedMultiplyAdd(new FloatVector(Unsafe.Add(ref x, (4 * s) + k)), w, a4);
                a5 = Vector.FusedMultiplyAdd(new FloatVector(Unsafe.Add(ref x, (5 * s) + k)), w, a5);
                a6 = Vector.FusedMultiplyAdd(new FloatVector(Unsafe.Add(ref x, (6 * s) + k)), w, a6);
                a7 = Vector.FusedMultiplyAdd(new FloatVector(Unsafe.Add(ref x, (7 * s) + k)), w, a7);
            }
            if (activate && !tanh)
            {
                (a0, a1, a2, a3) = (Vector.Max(a0, FloatVector.Zero), Vector.Max(a1, FloatVector.Zero), Vector.Max(a2, FloatVector.Zero), Vector.Max(a3, FloatVector.Zero));
                (a4, a5, a6, a7) = (Vector.Max(a4, FloatVector.Zero), Vector.Max(a5, FloatVector.Zero), Vector.Max(a6, FloatVector.Zero), Vector.Max(a7, FloatVector.Zero));
            }
            a0.CopyTo(to, j);
            a1.CopyTo(to, s + j);
            a2.CopyTo(to, (2 * s) + j);
            a3.CopyTo(to, (3 * s) + j);
            a4.CopyTo(to, (4 * s) + j);
            a5.CopyTo(to, (5 * s) + j);
            a6.CopyTo(to, (6 * s) + j);
            a7.CopyTo(to, (7 * s) + j);
        }
        if (activate && tanh)
        {
            for (var r = 0; r < Block; r++)
            {
                var row = to.AsSpan(r * s, layer.Outputs);
                for (var j = 0; j < row.Length; j++)
                {
                    row[j] = MathF.Tanh(row[j]);
                }
            }
        }
    }

    /// <summary>A linear layer with its weights transposed to [input][output] and outputs padded to whole vectors.</summary>
    private sealed record Layer(int Inputs, int Outputs, int Padded, float[] Weights, float[] Bias)
    {
        public static Layer From(LayerWeights weights)
        {
            var padded = (weights.Outputs + Lanes - 1) / Lanes * Lanes;
            var transposed = new float[weights.Inputs * padded];
            var bias = new float[padded];
            for (var o = 0; o < weights.Outputs; o++)
            {
                for (var i = 0; i < weights.Inputs; i++)
                {
                    transposed[(i * padded) + o] = weights.Weight[(o * weights.Inputs) + i];
                }
                bias[o] = weights.Bias[o];
            }
            return new Layer(weights.Inputs, weights.Outputs, padded, transposed, bias);
        }
    }
}
