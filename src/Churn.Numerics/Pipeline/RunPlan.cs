using System.Collections.Immutable;

namespace Churn.Numerics.Pipeline;

/// <summary>The pipeline's stages, named once: as logs, errors, the run store and the API show them.</summary>
public static class RunStages
{
    public const string Load = "load";
    public const string Balance = "balance";
    public const string Scale = "scale";
    public const string Split = "split";
    public const string Write = "write";
    public const string Train = "train";
    public const string Evaluate = "evaluate";
    public const string Explain = "explain";
    public const string Save = "save";

    /// <summary>Load, balance, scale and split: the preparation runs and searches share (<c>Preparation.Prepare</c> composes the same steps).</summary>
    public static readonly ImmutableArray<string> Preparation = [Load, Balance, Scale, Split];

    /// <summary>Train, evaluate, explain (when the model can be explained) and save.</summary>
    public static readonly ImmutableArray<string> Training = [Train, Evaluate, Explain, Save];

    /// <summary>
    /// The stages of a run: from three prepared files (<paramref name="fromSplits"/>) it loads them and trains; otherwise
    /// it prepares and writes the data, and trains too when <paramref name="trains"/>. A training run leaves out the
    /// explain stage when <paramref name="explains"/> is false (the <c>skipExplain</c> setting).
    /// </summary>
    public static ImmutableArray<string> For(bool fromSplits, bool trains, bool explains = true)
    {
        var training = explains ? Training : Training.Remove(Explain);
        return fromSplits ? [Load, .. training]
            : trains ? [.. Preparation, Write, .. training]
            : [.. Preparation, Write];
    }
}

/// <summary>What a run does next, decided by <see cref="RunPlan"/>.</summary>
public abstract record RunDecision
{
    private RunDecision()
    {
    }

    /// <summary>Start <paramref name="Stage"/>.</summary>
    public sealed record Begin(string Stage) : RunDecision;

    /// <summary>Ask the trainer to stop between epochs; the run ends cancelled when it has.</summary>
    public sealed record StopTraining : RunDecision;

    /// <summary>The last stage completed: the run succeeded.</summary>
    public sealed record Succeed : RunDecision;

    /// <summary>The run ends failed in <paramref name="Stage"/>.</summary>
    public sealed record Fail(string Stage, string Reason) : RunDecision;

    /// <summary>The run ends cancelled during <paramref name="Stage"/>.</summary>
    public sealed record Cancelled(string Stage) : RunDecision;

    /// <summary>Nothing to do: the run has ended, or the message is for a stage that is not running.</summary>
    public sealed record Ignore : RunDecision;
}

/// <summary>
/// One run's progress through its stages as a value: which stage runs, whether a cancel is under way, whether the run
/// has ended. The pipeline's coordinator holds one and does what its transitions decide; stage results stay with it.
/// </summary>
public sealed record RunPlan(ImmutableArray<string> Stages, int At = 0, bool Cancelling = false, bool Ended = false)
{
    /// <summary>The stage running (or the one the run ended in).</summary>
    public string Stage => Stages[At];

    /// <summary>A new run of <paramref name="stages"/>: its first stage begins.</summary>
    public static (RunPlan Plan, RunDecision Decision) Start(ImmutableArray<string> stages) =>
        (new RunPlan(stages), new RunDecision.Begin(stages[0]));

    /// <summary>The running stage completed: the next begins, or the run succeeds after the last.</summary>
    public (RunPlan Plan, RunDecision Decision) Completed() =>
        Ended ? (this, new RunDecision.Ignore())
        : At + 1 < Stages.Length ? (this with { At = At + 1 }, new RunDecision.Begin(Stages[At + 1]))
        : (this with { Ended = true }, new RunDecision.Succeed());

    /// <summary>A stage failed (<paramref name="stage"/>; null: the running one): the run ends failed there.</summary>
    public (RunPlan Plan, RunDecision Decision) Failed(string? stage, string reason)
    {
        if (Ended)
        {
            return (this, new RunDecision.Ignore());
        }
        var at = stage is null ? At : Stages.IndexOf(stage) is var i and >= 0 ? i : At;
        return (this with { At = at, Ended = true }, new RunDecision.Fail(stage ?? Stage, reason));
    }

    /// <summary>
    /// A cancel: training stops between epochs and the run ends when it has (<see cref="TrainingStopped"/>); any other
    /// stage ends the run at once, so that nothing further is written.
    /// </summary>
    public (RunPlan Plan, RunDecision Decision) Cancel() =>
        Ended || Cancelling ? (this, new RunDecision.Ignore())
        : Stage == RunStages.Train ? (this with { Cancelling = true }, new RunDecision.StopTraining())
        : (this with { Ended = true }, new RunDecision.Cancelled(Stage));

    /// <summary>Training stopped at a cancel: the run ends cancelled during training.</summary>
    public (RunPlan Plan, RunDecision Decision) TrainingStopped() =>
        Ended ? (this, new RunDecision.Ignore()) : (this with { Ended = true, Cancelling = false }, new RunDecision.Cancelled(RunStages.Train));

    /// <summary>The trainer stopped without an outcome: a failure while training, nothing otherwise.</summary>
    public (RunPlan Plan, RunDecision Decision) TrainerStopped() =>
        !Ended && Stage == RunStages.Train ? Failed(RunStages.Train, "the trainer stopped unexpectedly") : (this, new RunDecision.Ignore());
}
