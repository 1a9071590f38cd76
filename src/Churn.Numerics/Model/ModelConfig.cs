namespace Churn.Numerics.Model;

public enum Activation
{
    Relu,
    Tanh,
}

/// <summary>Which device the network trains on; <see cref="Auto"/> tries MPS, then CUDA, then CPU.</summary>
public enum DeviceChoice
{
    Auto,
    Mps,
    Cuda,
    Cpu,
}

/// <summary>
/// Architecture and training hyperparameters. The defaults are the original recipe: 3 hidden layers of 50 ReLU
/// units, Adam at 1e-3, batches of 100, up to 100 epochs, early stopping on validation loss with patience 2.
/// </summary>
public sealed record ModelConfig(
    int Depth = 3,
    int Width = 50,
    Activation Activation = Activation.Relu,
    double LearningRate = 1e-3,
    int BatchSize = 100,
    int MaxEpochs = 100,
    int Patience = 2,
    double MinDelta = 1e-4,
    double Dropout = 0,
    double WeightDecay = 0)
{
    public static readonly ModelConfig Default = new();

    /// <summary>The configuration itself, or the first field that is out of range and why.</summary>
    public Result<ModelConfig> Validate() => throw new NotImplementedException();
}
