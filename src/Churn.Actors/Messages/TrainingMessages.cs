using Akka.Actor;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Actors.Messages;

/// <summary>Train a network on the splits; the trainer tells <paramref name="ReplyTo"/> each epoch and the outcome.</summary>
public sealed record TrainModel(string RunId, Splits Splits, ModelConfig Config, DeviceChoice Device, long Seed, int Threads, IActorRef ReplyTo);

/// <summary>Stop training between epochs.</summary>
public sealed record StopTraining(string RunId);

public sealed record ModelTrained(string RunId, TrainedModel Model);

public sealed record TrainingFailed(string RunId, int Epoch, Problem Problem);

public sealed record TrainingStopped(string RunId, int Epoch);

/// <summary>The model actor could not use its device; its supervisor falls back to the CPU.</summary>
public sealed class DeviceFailedException(string device, string reason) : Exception($"device '{device}' failed: {reason}")
{
    public string Device { get; } = device;

    public string Reason { get; } = reason;
}
