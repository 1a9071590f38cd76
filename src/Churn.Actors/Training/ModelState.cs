using System.Collections.Immutable;
using Churn.Numerics.Model;

namespace Churn.Actors.Training;

/// <summary>What the model actor does after an epoch.</summary>
public enum ModelNext
{
    /// <summary>Train the next epoch.</summary>
    Continue,

    /// <summary>A search's rung: wait, holding the network, until told to go on or stop.</summary>
    Hold,

    /// <summary>Early stopping or the epoch limit: finish with the best weights.</summary>
    Finish,
}

/// <summary>
/// The model actor's decisions as a value: early stopping's state, the epoch in hand, and whether it waits at a rung.
/// The network itself (native memory) is the actor's handle, not part of this.
/// </summary>
public sealed record ModelState(EarlyStopping Stopping, int Epoch, bool Held)
{
    /// <summary>Before the first epoch of a network configured by <paramref name="config"/>.</summary>
    public static ModelState Start(ModelConfig config) => new(config.StartStopping(), 0, false);

    /// <summary>Epoch <paramref name="epoch"/> is being trained.</summary>
    public ModelState Training(int epoch) => this with { Epoch = epoch };

    /// <summary>
    /// Epoch <see cref="Epoch"/> ended with <paramref name="validationLoss"/>: whether it improved (keep its weights),
    /// and whether to go on, wait at a rung (one of <paramref name="holdAfter"/>) or finish (stopped early, or
    /// <paramref name="epochLimit"/> reached).
    /// </summary>
    public (ModelState State, StopDecision Decision, ModelNext Next) Observed(double validationLoss, int epochLimit, ImmutableArray<int> holdAfter)
    {
        var (stopping, decision) = Stopping.Observe(Epoch, validationLoss);
        var next = decision == StopDecision.Stop || Epoch >= epochLimit
            ? ModelNext.Finish
            : !holdAfter.IsDefaultOrEmpty && holdAfter.Contains(Epoch) ? ModelNext.Hold : ModelNext.Continue;
        return (this with { Stopping = stopping, Held = next == ModelNext.Hold }, decision, next);
    }

    /// <summary>Told to go on: the epoch to train next when it was waiting at a rung, else null (nothing to resume).</summary>
    public (ModelState State, int? Next) Resumed() => Held ? (this with { Held = false }, Epoch + 1) : (this, null);
}
