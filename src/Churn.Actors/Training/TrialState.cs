namespace Churn.Actors.Training;

/// <summary>
/// What a trial actor has decided so far, as a value: the time its trainer has spent in the TorchSharp session (what
/// its report says), and whether its one report has gone out.
/// </summary>
public sealed record TrialState(TimeSpan InSession, bool Ended)
{
    /// <summary>A trial that has trained nothing and reported nothing.</summary>
    public static readonly TrialState Start = new(TimeSpan.Zero, false);

    /// <summary>An epoch finished: the session time so far is the trainer's figure.</summary>
    public TrialState Epoch(TimeSpan inSession) => Ended ? this : this with { InSession = inSession };

    /// <summary>The trial ends: <c>Report</c> is true the first time only, so a trial reports exactly one outcome.</summary>
    public (TrialState State, bool Report) End() => Ended ? (this, false) : (this with { Ended = true }, true);
}
