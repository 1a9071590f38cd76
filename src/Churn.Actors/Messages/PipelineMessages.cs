using System.Collections.Immutable;
using Akka.Actor;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Files;
using Churn.Numerics.Model;
using Churn.Numerics.Pipeline;

namespace Churn.Actors.Messages;

/// <summary>Names of the pipeline stages as they appear in logs, errors and run status (worded once, in <see cref="RunStages"/>).</summary>
public static class Stage
{
    public const string Load = RunStages.Load;
    public const string Balance = RunStages.Balance;
    public const string Scale = RunStages.Scale;
    public const string Split = RunStages.Split;
    public const string Write = RunStages.Write;
    public const string Train = RunStages.Train;
    public const string Evaluate = RunStages.Evaluate;
    public const string Explain = RunStages.Explain;
    public const string Save = RunStages.Save;

    /// <summary>The run as a whole, for what happens before or around its stages.</summary>
    public const string Run = "run";
}

/// <summary>
/// Start a pipeline run; progress events and the outcome go to <paramref name="ReplyTo"/>. <paramref name="Labels"/>,
/// what people call the run, travel on with its <see cref="RunQueued"/> event.
/// </summary>
public sealed record RunPipeline(string RunId, RunSettings Settings, IActorRef ReplyTo, RunLabels? Labels = null);

/// <summary>Stop a run: training stops between epochs and nothing further is written.</summary>
public sealed record CancelRun(string RunId);

/// <summary>Marker for what a run tells its listener while it goes.</summary>
public interface IRunEvent
{
    string RunId { get; }
}

public sealed record StageStarted(string RunId, string Stage) : IRunEvent;

/// <summary>
/// An epoch ended. <paramref name="Elapsed"/> counts from the start of training; <paramref name="InSession"/> is the part
/// of it spent inside the training session's own calls, so the rest is what the actors around it cost.
/// <paramref name="EpochTime"/> is this epoch's own share of <paramref name="InSession"/>: its batches, its measurement on
/// the training and validation splits and, when it improved, the copy of its weights (what a per-epoch benchmark compares).
/// </summary>
public sealed record EpochCompleted(string RunId, EpochMetrics Metrics, TimeSpan Elapsed, TimeSpan InSession = default, TimeSpan EpochTime = default) : IRunEvent;

/// <summary>A stage finished; <paramref name="Detail"/> is one line for the operator.</summary>
public sealed record StageCompleted(string RunId, string Stage, string Detail, TimeSpan Elapsed) : IRunEvent;

/// <summary>The run's outputs: what was prepared and, for training runs, the model and its test report.</summary>
public sealed record RunOutputs(
    PrepareManifest? Manifest,
    TrainedModel? Model,
    TestReport? Report,
    string? ModelDirectory,
    string? MetricsFile,
    ImmutableArray<string> Files,
    RunMetrics? Metrics = null);

/// <summary>The device asked for (or picked by <c>auto</c>) failed and training goes on on the CPU: the user is told, not only the log.</summary>
public sealed record DeviceFellBack(string RunId, string Device, string Reason) : IRunEvent;

/// <summary>
/// The run did all it was asked. <paramref name="At"/>, on this and the other outcomes, is when the runs actor recorded
/// the run as ended (null until it has): those who follow every run tell its end from the event alone.
/// </summary>
public sealed record RunSucceeded(string RunId, RunOutputs Outputs, TimeSpan Elapsed, DateTimeOffset? At = null) : IRunEvent;

/// <summary>The run ended on a problem in <paramref name="Stage"/>; nothing after that stage was written.</summary>
public sealed record RunFailed(string RunId, string Stage, string Reason, DateTimeOffset? At = null) : IRunEvent;

/// <summary>The run was stopped before it finished; <paramref name="Reason"/> says by what when it was not the user.</summary>
public sealed record RunCancelled(string RunId, string Stage, string? Reason = null, DateTimeOffset? At = null) : IRunEvent;

/// <summary>A stage's reply when its core function returned a problem or the stage itself broke.</summary>
public sealed record StageFailed(string RunId, string Stage, Problem Problem);
