using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Churn.Numerics.Model;

/// <summary>
/// Adam exactly as <c>torch.optim.Adam</c> computes it (weight decay added to the gradient as an L2 penalty; β = 0.9,
/// 0.999; ε = 1e-8), but over all parameters at once: the parameters and their gradients are rebound to views of one
/// flat buffer each, so a step is a handful of tensor operations instead of about ten per parameter tensor. On the
/// 3x50 network that makes training about a third faster, with bit-identical updates.
/// </summary>
internal sealed class FlatAdam : IDisposable
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;

    private readonly Tensor parameters;
    private readonly Tensor gradients;
    private readonly Tensor average;
    private readonly Tensor averageOfSquares;
    private readonly double learningRate;
    private readonly double weightDecay;
    private long steps;

    private FlatAdam(Tensor parameters, Tensor gradients, double learningRate, double weightDecay)
    {
        this.parameters = parameters;
        this.gradients = gradients;
        average = zeros_like(parameters).DetachFromDisposeScope();
        averageOfSquares = zeros_like(parameters).DetachFromDisposeScope();
        this.learningRate = learningRate;
        this.weightDecay = weightDecay;
    }

    /// <summary>All parameters as one flat tensor; the network's parameters are views into it.</summary>
    public Tensor Parameters => parameters;

    /// <summary>Moves <paramref name="network"/>'s parameters (already on their device) into flat storage and returns the optimizer for them.</summary>
    public static FlatAdam Over(IReadOnlyList<Parameter> network, double learningRate, double weightDecay)
    {
        var count = network.Sum(p => p.numel());
        var first = network[0];
        var flat = zeros(count, first.dtype, first.device).DetachFromDisposeScope();
        var flatGradients = zeros(count, first.dtype, first.device).DetachFromDisposeScope();
        using (no_grad())
        using (NewDisposeScope())
        {
            long offset = 0;
            foreach (var parameter in network)
            {
                var size = parameter.numel();
                var values = flat.narrow(0, offset, size).view(parameter.shape);
                values.copy_(parameter);
                parameter.set_(values);
                // Autograd adds into an existing gradient in place, so the gradients land in the flat buffer too.
                parameter.grad = flatGradients.narrow(0, offset, size).view(parameter.shape);
                offset += size;
            }
        }
        return new FlatAdam(flat, flatGradients, learningRate, weightDecay);
    }

    public void ZeroGrad() => gradients.zero_();

    /// <summary>One Adam update from the gradients accumulated since <see cref="ZeroGrad"/>, at <paramref name="rate"/> when a schedule sets it.</summary>
    public void Step(double? rate = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        steps++;
        var correction1 = 1 - Math.Pow(Beta1, steps);
        var correction2 = 1 - Math.Pow(Beta2, steps);
        // Every scalar is a local disposed at the end, and every call is given all its scalars: an implicitly
        // converted double (ours, or TorchSharp's own, as add_(s) adds with an implicit alpha of 1) is garbage once
        // its handle is passed, and the finalizer freeing it during the native call failed trials ("Unknown scalar
        // type") when several trained in one process.
        using var one = 1.0.ToScalar();
        using var decay = weightDecay.ToScalar();
        using var beta1 = Beta1.ToScalar();
        using var rest1 = (1 - Beta1).ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var rest2 = (1 - Beta2).ToScalar();
        using var root2 = Math.Sqrt(correction2).ToScalar();
        using var epsilon = Epsilon.ToScalar();
        using var step = (-(rate ?? learningRate) / correction1).ToScalar();
        var gradient = weightDecay != 0 ? gradients.add(parameters, alpha: decay) : gradients;
        average.mul_(beta1).add_(gradient, alpha: rest1);
        averageOfSquares.mul_(beta2).addcmul_(gradient, gradient, value: rest2);
        var denominator = averageOfSquares.sqrt().div_(root2).add_(epsilon, one);
        parameters.addcdiv_(average, denominator, value: step);
    }

    public void Dispose()
    {
        parameters.Dispose();
        gradients.Dispose();
        average.Dispose();
        averageOfSquares.Dispose();
    }
}
