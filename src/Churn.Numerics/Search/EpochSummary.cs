using Churn.Numerics.Model;

namespace Churn.Numerics.Search;

/// <summary>
/// A trial's epochs folded in epoch order into what ranking and listing take, together with early stopping's state, so
/// that the next epoch is folded in without reading the earlier ones again (the store keeps one per trial and updates it
/// with every epoch it records). Best: the lowest validation loss, first reached at the epoch whose accuracy is kept
/// (what <see cref="TrialRecord.BestValidationLoss"/> and <see cref="TrialRecord.BestValidationAccuracy"/> say). Kept:
/// the epoch whose weights training keeps, the last one <see cref="EarlyStopping.Observe"/> counted as improved with the
/// trial's patience and min-delta, or the last one when none was; its calibrated loss is what a search ranks on.
/// </summary>
public sealed record EpochSummary(
    int Epochs,
    int LastEpoch,
    double BestValidationLoss,
    double BestValidationAccuracy,
    double LastValidationLoss,
    EarlyStopping Stopping,
    int KeptEpoch,
    double KeptCalibratedLoss)
{
    /// <summary>No epoch yet.</summary>
    public static EpochSummary None(ModelConfig config) =>
        new(0, 0, double.NaN, double.NaN, double.NaN, config.StartStopping(), 0, double.NaN);

    /// <summary><paramref name="epochs"/> (in epoch order) folded with <see cref="Add"/>.</summary>
    public static EpochSummary Of(IEnumerable<EpochMetrics> epochs, ModelConfig config) => epochs.Aggregate(None(config), (summary, epoch) => summary.Add(epoch));

    /// <summary>The summary after one more epoch, later than every epoch folded so far.</summary>
    public EpochSummary Add(EpochMetrics epoch)
    {
        var (stopping, decision) = Stopping.Observe(epoch.Epoch, epoch.ValidationLoss);
        // CompareTo orders NaN below every number, so a NaN loss is the best as it is for Min and MinBy over the history.
        var best = Epochs == 0 || epoch.ValidationLoss.CompareTo(BestValidationLoss) < 0;
        var kept = decision == StopDecision.Improved || !stopping.Improved;
        return new(
            Epochs + 1,
            epoch.Epoch,
            best ? epoch.ValidationLoss : BestValidationLoss,
            best ? epoch.ValidationAccuracy : BestValidationAccuracy,
            epoch.ValidationLoss,
            stopping,
            kept ? epoch.Epoch : KeptEpoch,
            kept ? epoch.CalibratedLoss : KeptCalibratedLoss);
    }
}

/// <summary>
/// An <see cref="EpochSummary"/> as the store's columns hold it: unknown numbers are null (a calibrated loss that is
/// not finite too), and early stopping keeps only its reference loss (null while no epoch improved) and the epochs since.
/// </summary>
public sealed record EpochSummaryColumns(
    int Epochs,
    int? LastEpoch,
    double? BestValidationLoss,
    double? BestValidationAccuracy,
    double? LastValidationLoss,
    double? StopLoss,
    int StopSince,
    int KeptEpoch,
    double? KeptCalibratedLoss)
{
    /// <summary>The columns that hold <paramref name="summary"/>.</summary>
    public static EpochSummaryColumns Of(EpochSummary summary) => new(
        summary.Epochs,
        summary.Epochs == 0 ? null : summary.LastEpoch,
        Known(summary.BestValidationLoss),
        Known(summary.BestValidationAccuracy),
        Known(summary.LastValidationLoss),
        summary.Stopping.Improved ? summary.Stopping.BestLoss : null,
        summary.Stopping.EpochsWithoutImprovement,
        summary.KeptEpoch,
        double.IsFinite(summary.KeptCalibratedLoss) ? summary.KeptCalibratedLoss : null);

    /// <summary>
    /// The summary back, with early stopping replayed from what the columns keep under <paramref name="config"/>'s
    /// patience and min-delta: its reference loss (+∞ when null: no epoch improved), its best epoch (the kept one once
    /// some epoch improved, else 0) and the epochs since. Null numbers are NaN.
    /// </summary>
    public EpochSummary Replay(ModelConfig config)
    {
        var stopLoss = StopLoss ?? double.PositiveInfinity;
        var stopping = config.StartStopping() with
        {
            BestLoss = stopLoss,
            BestEpoch = double.IsPositiveInfinity(stopLoss) ? 0 : KeptEpoch,
            EpochsWithoutImprovement = StopSince,
        };
        return new EpochSummary(
            Epochs, LastEpoch ?? 0, BestValidationLoss ?? double.NaN, BestValidationAccuracy ?? double.NaN, LastValidationLoss ?? double.NaN,
            stopping, KeptEpoch, KeptCalibratedLoss ?? double.NaN);
    }

    private static double? Known(double value) => double.IsNaN(value) ? null : value;
}
