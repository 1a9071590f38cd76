namespace Churn.Numerics.Model;

/// <summary>
/// Losses and accuracies after one epoch. <see cref="CalibratedLoss"/> is the validation split's log loss in the
/// population's mix after calibration (<see cref="Evaluation.Calibration.CrossFittedLogLoss"/>): the figure a search ranks
/// on, the same for every balancing; NaN when the population is unknown.
/// </summary>
public sealed record EpochMetrics(
    int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy, double CalibratedLoss = double.NaN);

/// <summary>The one-cycle learning-rate schedule (Smith and Topin, 2018) as PyTorch's <c>OneCycleLR</c> shapes it with cosine annealing.</summary>
public static class OneCycle
{
    /// <summary>Share of the steps spent warming up.</summary>
    public const double WarmUp = 0.3;

    /// <summary>
    /// The rate at step <paramref name="step"/> (from 0) of <paramref name="total"/>: linear from <paramref name="peak"/>/25
    /// to <paramref name="peak"/> over the first 30 %, then a half cosine down to <paramref name="peak"/>/10⁴.
    /// </summary>
    public static double Rate(long step, long total, double peak)
    {
        var warm = Math.Max(1, (long)(WarmUp * total));
        if (step < warm)
        {
            return (peak / 25) + ((peak - (peak / 25)) * step / warm);
        }
        var t = (double)(step - warm) / Math.Max(1, total - warm);
        return (peak / 1e4) + ((peak - (peak / 1e4)) * (1 + Math.Cos(Math.PI * Math.Min(1, t))) / 2);
    }
}

/// <summary>What early stopping decided after an epoch.</summary>
public enum StopDecision
{
    /// <summary>Validation loss improved by more than min-delta: snapshot these weights.</summary>
    Improved,
    Continue,
    Stop,
}

/// <summary>Early stopping as a value: the best validation loss so far, its epoch and how many epochs since.</summary>
/// <remarks>
/// <see cref="RestartAt"/> (0: never) is the epoch at which a new network starts training in the same run (a distilled
/// one): the best loss and the count start again there, as if that epoch were the first.
/// </remarks>
public sealed record EarlyStopping(int Patience, double MinDelta, double BestLoss, int BestEpoch, int EpochsWithoutImprovement, int RestartAt = 0)
{
    public static EarlyStopping Start(int patience, double minDelta) => new(patience, minDelta, double.PositiveInfinity, 0, 0);

    /// <summary>Some epoch improved: the best loss starts at +∞ and only ever moves to a loss below it.</summary>
    public bool Improved => !double.IsPositiveInfinity(BestLoss);

    /// <summary>The next state and the decision after an epoch with validation loss <paramref name="loss"/>.</summary>
    /// <remarks>
    /// Improvement means <paramref name="loss"/> &lt; <see cref="BestLoss"/> − <see cref="MinDelta"/>; anything else
    /// (including NaN) counts as an epoch without improvement, and <see cref="Patience"/> of those in a row stop training.
    /// </remarks>
    public (EarlyStopping Next, StopDecision Decision) Observe(int epoch, double loss)
    {
        var current = epoch == RestartAt ? this with { BestLoss = double.PositiveInfinity, BestEpoch = 0, EpochsWithoutImprovement = 0 } : this;
        if (loss < current.BestLoss - MinDelta)
        {
            return (current with { BestLoss = loss, BestEpoch = epoch, EpochsWithoutImprovement = 0 }, StopDecision.Improved);
        }
        var next = current with { EpochsWithoutImprovement = current.EpochsWithoutImprovement + 1 };
        return (next, next.EpochsWithoutImprovement >= Patience ? StopDecision.Stop : StopDecision.Continue);
    }
}
