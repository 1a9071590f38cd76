using Churn.Numerics.Data;

namespace Churn.Actors;

/// <summary>What a pipeline run does.</summary>
public enum RunMode
{
    /// <summary>Load, balance, scale, split and write the <c>.npz</c> files.</summary>
    Prepare,

    /// <summary>Prepare, then train, evaluate and save the model: the main job.</summary>
    Full,

    /// <summary>Train, evaluate and save from three existing <c>.npz</c> files.</summary>
    TrainFromNpz,
}

/// <summary>
/// Everything one pipeline run needs: what was asked for (<see cref="Spec"/>, its data and output paths resolved) and
/// how it runs (<c>NpzDir</c>: for <see cref="RunMode.TrainFromNpz"/>, the folder with the three <c>.npz</c> files;
/// <c>Threads</c>: torch threads for training, 0 for one); immutable, so it can travel in messages and be stored as is.
/// </summary>
public sealed record RunSettings(RunMode Mode, RunSpec Spec, string? NpzDir = null, int Threads = 0)
{
    public PrepareOptions PrepareOptions => Spec.PrepareOptions;
}
