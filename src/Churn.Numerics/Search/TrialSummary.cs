namespace Churn.Numerics.Search;

/// <summary>
/// A trial without its epochs: what ranking and listing it take (epochs trained, the best epoch's validation loss and
/// accuracy, the last validation loss, the calibrated loss at the epoch training keeps). A search's page reads these
/// from the store, not every epoch of every trial.
/// </summary>
public sealed record TrialSummary(
    TrialSpec Spec,
    TrialStatus Status,
    int Epochs,
    double BestValidationLoss,
    double BestValidationAccuracy,
    double? LastValidationLoss,
    string? Reason = null,
    string? Node = null,
    double CalibratedLoss = double.NaN)
{
    public static TrialSummary Of(TrialRecord t) => From(t.Spec, t.Status, t.SummaryUpTo(int.MaxValue), t.Reason, t.Node);

    /// <summary>A trial from its folded epochs (<see cref="EpochSummary"/>), as the store keeps them.</summary>
    public static TrialSummary From(TrialSpec spec, TrialStatus status, EpochSummary epochs, string? reason, string? node) =>
        new(spec, status, epochs.Epochs, epochs.BestValidationLoss, epochs.BestValidationAccuracy, epochs.Epochs == 0 ? null : epochs.LastValidationLoss,
            reason, node, epochs.KeptCalibratedLoss);

    /// <inheritdoc cref="TrialRecord.ScoreOf"/>
    public double Score(SearchCriterion criterion) => TrialRecord.ScoreOf(criterion, BestValidationLoss, CalibratedLoss);

    /// <summary>Will not train again in this search.</summary>
    public bool Ended => TrialRecord.IsEnded(Status);
}
