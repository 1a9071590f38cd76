using System.Collections.Immutable;
using Akka.Actor;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Actors.Messages;

/// <summary>
/// Train a network on the splits; the trainer tells <paramref name="ReplyTo"/> each epoch and the outcome. After each
/// epoch listed in <paramref name="HoldAfter"/> (a search's rungs) training pauses with <see cref="TrainingHeld"/> until
/// a <see cref="ResumeTraining"/> or a <see cref="StopTraining"/> arrives. <paramref name="ClassWeights"/> (non-buyer,
/// buyer) weight the loss by class (<c>--balance weighted</c>); empty for the plain loss. <paramref name="PopulationRate"/>,
/// the buyer share of the customer file before balancing, makes every epoch measure its calibrated validation loss.
/// </summary>
public sealed record TrainModel(
    string RunId, Splits Splits, ModelConfig Config, DeviceChoice Device, long Seed, int Threads, IActorRef ReplyTo,
    ImmutableArray<int> HoldAfter = default, ImmutableArray<double> ClassWeights = default, double? PopulationRate = null);

/// <summary>Stop training between epochs.</summary>
public sealed record StopTraining(string RunId);

/// <summary>Training paused after <paramref name="Epoch"/>, one of <see cref="TrainModel.HoldAfter"/>.</summary>
public sealed record TrainingHeld(string RunId, int Epoch);

/// <summary>Go on training after a <see cref="TrainingHeld"/>.</summary>
public sealed record ResumeTraining(string RunId);

public sealed record ModelTrained(string RunId, TrainedModel Model);

public sealed record TrainingFailed(string RunId, int Epoch, Problem Problem);

public sealed record TrainingStopped(string RunId, int Epoch);

/// <summary>The model actor could not use its device; its supervisor falls back to the CPU.</summary>
public sealed class DeviceFailedException(string device, string reason) : Exception($"device '{device}' failed: {reason}")
{
    public string Device { get; } = device;

    public string Reason { get; } = reason;
}
