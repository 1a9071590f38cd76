using System.Collections.Immutable;
using Churn.Numerics.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Churn.Numerics.Model;

/// <summary>One hidden or output layer of every member, <c>[Members, Inputs, Outputs]</c> weights and <c>[Members, Outputs]</c> biases.</summary>
public sealed record StackedLayer(int Inputs, int Outputs, ImmutableArray<float> Weight, ImmutableArray<float> Bias);

/// <summary>
/// The weights of a PLR network's members: per member and input, <see cref="Frequencies"/> frequencies
/// (<c>[Members, Inputs, Frequencies]</c>), a linear map from their cosines and sines to <see cref="EmbeddingSize"/>
/// values (<c>[Members, Inputs, 2 x Frequencies, EmbeddingSize]</c>, cosines first; biases <c>[Members, Inputs x EmbeddingSize]</c>),
/// then the hidden layers and the output layer.
/// </summary>
public sealed record PlrWeights(
    int Members,
    int Inputs,
    int Frequencies,
    int EmbeddingSize,
    ImmutableArray<float> Frequency,
    ImmutableArray<float> EmbeddingWeight,
    ImmutableArray<float> EmbeddingBias,
    ImmutableArray<StackedLayer> Layers);

/// <summary>
/// The PLR network (Gorishniy et al., "On Embeddings for Numerical Features in Tabular Deep Learning", 2022) with
/// <see cref="ModelConfig.Members"/> independent members computed as one: every tensor has the members as its leading
/// dimension, so a batch costs the same number of tensor operations whatever the member count. Per input:
/// v = 2π·c·x for learned frequencies c, then ReLU(linear(cos v, sin v)); the inputs' embeddings side by side feed
/// <see cref="ModelConfig.Depth"/> hidden layers and two logits. The forward pass gives <c>[Members, rows, 2]</c> logits.
/// </summary>
internal sealed class PlrNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Parameter frequency;
    private readonly Parameter embeddingWeight;
    private readonly Parameter embeddingBias;
    private readonly ParameterList weights;
    private readonly ParameterList biases;
    private readonly int members;
    private readonly int inputs;
    private readonly int frequencies;
    private readonly int size;
    private readonly Activation activation;
    private readonly double dropout;
    private readonly Generator? dropoutGenerator;

    private PlrNetwork(int inputs, ModelConfig config, Generator? dropoutGenerator)
        : base(nameof(PlrNetwork))
    {
        members = config.Members;
        this.inputs = inputs;
        frequencies = config.Frequencies;
        size = config.EmbeddingSize;
        activation = config.Activation;
        dropout = config.Dropout;
        this.dropoutGenerator = dropoutGenerator;
        frequency = new Parameter(zeros(members, inputs, frequencies));
        embeddingWeight = new Parameter(zeros(members * inputs, 2 * frequencies, size));
        embeddingBias = new Parameter(zeros(members, 1, inputs * size));
        weights = new ParameterList();
        biases = new ParameterList();
        foreach (var (from, to) in Shapes(inputs, config))
        {
            weights.Add(new Parameter(zeros(members, from, to)));
            biases.Add(new Parameter(zeros(members, 1, to)));
        }
        RegisterComponents();
    }

    /// <summary>(inputs, outputs) of the hidden layers and the output layer.</summary>
    public static IEnumerable<(int From, int To)> Shapes(int inputs, ModelConfig config)
    {
        var width = inputs * config.EmbeddingSize;
        for (var i = 0; i < config.Depth; i++)
        {
            yield return (width, config.Width);
            width = config.Width;
        }
        yield return (width, ChurnNetwork.Classes);
    }

    /// <summary>
    /// A new network: frequencies drawn from N(0, <see cref="ModelConfig.FrequencyScale"/>²) as the paper does, every
    /// linear map uniform in ±1/√fan_in like torch's <c>nn.Linear</c>, all from a generator seeded with <paramref name="seed"/>.
    /// </summary>
    public static PlrNetwork Create(int inputs, ModelConfig config, long seed, Device device)
    {
        var dropoutGenerator = config.Dropout > 0 ? new Generator(SeededRandom.Combine((ulong)seed, 1), device) : null;
        var network = new PlrNetwork(inputs, config, dropoutGenerator);
        using var init = new Generator(SeededRandom.Combine((ulong)seed, 0));
        using (no_grad())
        using (NewDisposeScope())
        {
            using var scale = config.FrequencyScale.ToScalar();
            network.frequency.copy_(randn(network.frequency.shape, generator: init).mul_(scale));
            Uniform(network.embeddingWeight, 2 * config.Frequencies, init);
            Uniform(network.embeddingBias, 2 * config.Frequencies, init);
            for (var i = 0; i < network.weights.Count; i++)
            {
                var fanIn = (int)network.weights[i].shape[1];
                Uniform(network.weights[i], fanIn, init);
                Uniform(network.biases[i], fanIn, init);
            }
        }
        return network;
    }

    /// <summary>A network with <paramref name="config"/>'s architecture for weights to be loaded into, on the CPU, for inference.</summary>
    public static PlrNetwork Blank(int inputs, ModelConfig config)
    {
        var network = new PlrNetwork(inputs, config with { Dropout = 0, Members = config.ScoredMembers, DistilEpochs = 0 }, null);
        network.eval();
        return network;
    }

    /// <summary>Whether <paramref name="plr"/> has the shapes <paramref name="config"/>'s architecture needs.</summary>
    public static Problem? Check(ModelConfig config, PlrWeights? plr)
    {
        if (plr is null || plr.Layers.IsDefault || plr.Frequency.IsDefault || plr.EmbeddingWeight.IsDefault || plr.EmbeddingBias.IsDefault)
        {
            return new Problem("a PLR model needs its embedding and layer weights");
        }
        var (m, n, k, d) = (plr.Members, plr.Inputs, plr.Frequencies, plr.EmbeddingSize);
        if (m != config.ScoredMembers || k != config.Frequencies || d != config.EmbeddingSize || n < 1)
        {
            return new Problem($"the embedding has {m} members, {n} inputs, {k} frequencies and size {d}; the configuration asks for {config.ScoredMembers} members, {config.Frequencies} frequencies and size {config.EmbeddingSize}");
        }
        if (plr.Frequency.Length != m * n * k || plr.EmbeddingWeight.Length != m * n * 2 * k * d || plr.EmbeddingBias.Length != m * n * d)
        {
            return new Problem("the embedding's weights do not fit its shape");
        }
        var shapes = Shapes(n, config).ToList();
        if (plr.Layers.Length != shapes.Count)
        {
            return new Problem($"{plr.Layers.Length} layers of weights for {config.Depth} hidden layers plus the output layer");
        }
        for (var i = 0; i < shapes.Count; i++)
        {
            var layer = plr.Layers[i];
            if (layer is null || layer.Inputs != shapes[i].From || layer.Outputs != shapes[i].To || layer.Weight.IsDefault || layer.Bias.IsDefault
                || layer.Weight.Length != m * layer.Inputs * layer.Outputs || layer.Bias.Length != m * layer.Outputs)
            {
                return new Problem($"layer {i + 1} does not have the {shapes[i].To}x{shapes[i].From} weights of {m} members the architecture needs");
            }
        }
        return null;
    }

    /// <summary>A network holding <paramref name="plr"/>'s weights, on the CPU, for inference.</summary>
    public static Result<PlrNetwork> FromWeights(ModelConfig config, PlrWeights? plr)
    {
        if (Check(config, plr) is { } problem)
        {
            return problem;
        }
        var network = Blank(plr!.Inputs, config);
        using (no_grad())
        using (NewDisposeScope())
        {
            network.frequency.copy_(Of(plr.Frequency, network.frequency));
            network.embeddingWeight.copy_(Of(plr.EmbeddingWeight, network.embeddingWeight));
            network.embeddingBias.copy_(Of(plr.EmbeddingBias, network.embeddingBias));
            for (var i = 0; i < plr.Layers.Length; i++)
            {
                network.weights[i].copy_(Of(plr.Layers[i].Weight, network.weights[i]));
                network.biases[i].copy_(Of(plr.Layers[i].Bias, network.biases[i]));
            }
        }
        return Result.Ok(network);
    }

    /// <summary>The current weights, copied out of native memory.</summary>
    public PlrWeights Weights()
    {
        using var scope = NewDisposeScope();
        return new PlrWeights(
            members, inputs, frequencies, size, Values(frequency), Values(embeddingWeight), Values(embeddingBias),
            [.. weights.Zip(biases, (w, b) => new StackedLayer((int)w.shape[1], (int)w.shape[2], Values(w), Values(b)))]);
    }

    public override Tensor forward(Tensor input)
    {
        var rows = input.shape[0];
        using var tau = (2 * Math.PI).ToScalar();
        using var one = 1.0.ToScalar();
        // [members, inputs, rows, frequencies]: each input's values times its own frequencies.
        var v = input.t().reshape(1, inputs, rows, 1).mul(frequency.reshape(members, inputs, 1, frequencies)).mul_(tau);
        var periodic = cat([v.cos(), v.sin()], -1).reshape(members * inputs, rows, 2 * frequencies);
        var x = bmm(periodic, embeddingWeight).reshape(members, inputs, rows, size).permute(0, 2, 1, 3).reshape(members, rows, inputs * size);
        x = x.add_(embeddingBias, one).relu_();
        for (var i = 0; i < weights.Count; i++)
        {
            x = bmm(x, weights[i]).add_(biases[i], one);
            if (i < weights.Count - 1)
            {
                x = activation == Activation.Tanh ? x.tanh_() : x.relu_();
                if (training && dropout > 0)
                {
                    using var p = dropout.ToScalar();
                    using var scale = (1.0 / (1.0 - dropout)).ToScalar();
                    using var keep = rand(x.shape, x.dtype, x.device, generator: dropoutGenerator).ge_(p);
                    x = x.mul(keep).mul_(scale);
                }
            }
        }
        return x;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            dropoutGenerator?.Dispose();
        }
        base.Dispose(disposing);
    }

    private static void Uniform(Tensor target, int fanIn, Generator generator)
    {
        var bound = 1 / Math.Sqrt(fanIn);
        // Scalars as disposed locals, so none is finalized during the native call (see FlatAdam.Step).
        using var twice = (2 * bound).ToScalar();
        using var shift = bound.ToScalar();
        using var minusOne = (-1.0).ToScalar();
        target.copy_(rand(target.shape, generator: generator).mul_(twice).add_(shift, minusOne));
    }

    private static Tensor Of(ImmutableArray<float> values, Tensor like) => tensor(values.AsSpan().ToArray(), like.shape);

    private static ImmutableArray<float> Values(Tensor t) => ImmutableArray.Create(t.detach().cpu().contiguous().data<float>().ToArray());
}
