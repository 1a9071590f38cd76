namespace Churn.Actors.Training;

/// <summary>What the trainer does when its model actor has stopped.</summary>
public abstract record TrainerStep
{
    private TrainerStep()
    {
    }

    /// <summary>Nothing: training had already ended (or the stop was not of the current model actor).</summary>
    public sealed record Nothing : TrainerStep
    {
        public static readonly Nothing Instance = new();
    }

    /// <summary>Start a new model actor on the CPU: <paramref name="Device"/> failed for <paramref name="Reason"/>.</summary>
    public sealed record FallBack(string Device, string Reason) : TrainerStep;

    /// <summary>Training failed at <paramref name="Epoch"/> (the one after the last finished) because of <paramref name="Cause"/>.</summary>
    public sealed record Fail(int Epoch, string Cause) : TrainerStep;
}

/// <summary>How a model actor broke: the exception as people read it, and the device's own reason when it was the device.</summary>
public sealed record TrainerBreakage(string Description, string DeviceReason);

/// <summary>
/// The trainer's decisions as a value: the device its model actor trains on and which actor that is (<see cref="Model"/>:
/// only its stop matters, not that of one it replaced), the last epoch it finished, whether the outcome has been told,
/// and why the model actor broke (when it did). A model actor that breaks on a GPU is replaced by one on the CPU; any
/// other stop ends training with a reason.
/// </summary>
/// <typeparam name="TRef">Who trains (an actor reference; any value in tests).</typeparam>
public sealed record TrainerState<TRef>(string Device, int LastEpoch, bool Done, TrainerBreakage? Broken, TRef? Model = default)
    where TRef : class
{
    /// <summary>Training about to start on <paramref name="device"/>.</summary>
    public static TrainerState<TRef> On(string device) => new(device, 0, false, null);

    /// <summary>Whether go-on and stop orders still reach the model actor.</summary>
    public bool Training => !Done && Model is not null;

    /// <summary><paramref name="model"/> trains on <see cref="Device"/> from now on.</summary>
    public TrainerState<TRef> Spawned(TRef model) => this with { Model = model };

    /// <summary>The model actor finished epoch <paramref name="epoch"/>.</summary>
    public TrainerState<TRef> Epoch(int epoch) => this with { LastEpoch = epoch };

    /// <summary>The outcome (trained, failed, stopped) has been told: nothing more happens.</summary>
    public TrainerState<TRef> Completed() => this with { Done = true };

    /// <summary>The model actor threw: it is stopped, and <see cref="ModelStopped"/> decides what follows.</summary>
    public TrainerState<TRef> Broke(TrainerBreakage breakage) => this with { Broken = breakage };

    /// <summary>
    /// <paramref name="gone"/> has stopped: nothing when it is not the current model actor or training has ended; else
    /// fall back to the CPU when a device broke, or fail at the next epoch.
    /// </summary>
    public (TrainerState<TRef> State, TrainerStep Step) ModelStopped(TRef gone)
    {
        if (Done || !Equals(gone, Model))
        {
            return (this, TrainerStep.Nothing.Instance);
        }
        if (Broken is { } broken && Device != "cpu")
        {
            return (this with { Device = "cpu", Broken = null, Model = null }, new TrainerStep.FallBack(Device, broken.DeviceReason));
        }
        var cause = Broken?.Description ?? "the model actor stopped unexpectedly";
        return (this with { Done = true, Broken = null }, new TrainerStep.Fail(LastEpoch + 1, cause));
    }
}
