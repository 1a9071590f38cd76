using Churn.Numerics.Data;

namespace Churn.Numerics.Model;

/// <summary>Losses and accuracies after one epoch.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy);

/// <summary>What early stopping decided after an epoch.</summary>
public enum StopDecision
{
    /// <summary>Validation loss improved by more than min-delta: snapshot these weights.</summary>
    Improved,
    Continue,
    Stop,
}

/// <summary>Early stopping as a value: the best validation loss so far, its epoch and how many epochs since.</summary>
public sealed record EarlyStopping(int Patience, double MinDelta, double BestLoss, int BestEpoch, int EpochsWithoutImprovement)
{
    public static EarlyStopping Start(int patience, double minDelta) => new(patience, minDelta, double.PositiveInfinity, 0, 0);

    /// <summary>The next state and the decision after an epoch with validation loss <paramref name="loss"/>.</summary>
    /// <remarks>
    /// Improvement means <paramref name="loss"/> &lt; <see cref="BestLoss"/> − <see cref="MinDelta"/>; anything else
    /// (including NaN) counts as an epoch without improvement, and <see cref="Patience"/> of those in a row stop training.
    /// </remarks>
    public (EarlyStopping Next, StopDecision Decision) Observe(int epoch, double loss)
    {
        if (loss < BestLoss - MinDelta)
        {
            return (this with { BestLoss = loss, BestEpoch = epoch, EpochsWithoutImprovement = 0 }, StopDecision.Improved);
        }
        var next = this with { EpochsWithoutImprovement = EpochsWithoutImprovement + 1 };
        return (next, next.EpochsWithoutImprovement >= Patience ? StopDecision.Stop : StopDecision.Continue);
    }
}

/// <summary>
/// One network being trained: owns the TorchSharp module, optimizer and tensors (native memory), so exactly one
/// owner (the model actor) holds it and disposes it. Each method opens and closes its own dispose scope, so it must
/// run inside one message handler.
/// </summary>
public sealed class TrainingSession : IDisposable
{
    private TrainingSession() { }

    /// <summary>
    /// Builds the network on <paramref name="device"/> (a real tensor operation proves the device works) and loads the
    /// train and validation splits onto it. Fails as a value if the device cannot be used.
    /// </summary>
    public static Result<TrainingSession> Create(ModelConfig config, Dataset train, Dataset validation, long seed, string device, int threads) =>
        throw new NotImplementedException();

    public string Device => throw new NotImplementedException();

    /// <summary>Trains one epoch (seeded batch order) and evaluates on validation; a NaN/Inf loss is an error value.</summary>
    public Result<EpochMetrics> RunEpoch(int epoch) => throw new NotImplementedException();

    /// <summary>Keeps a copy of the current weights as the best so far.</summary>
    public void KeepBest() => throw new NotImplementedException();

    /// <summary>Puts the best weights back and freezes the network for inference.</summary>
    public TrainedModel Finish() => throw new NotImplementedException();

    public void Dispose() => throw new NotImplementedException();
}
