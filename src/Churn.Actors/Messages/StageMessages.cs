using System.Collections.Immutable;
using Akka.Actor;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Explanation;
using Churn.Numerics.Files;
using Churn.Numerics.Model;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Actors.Messages;

/// <summary>A command to a stage actor: it replies to <see cref="ReplyTo"/> with its event or a <see cref="StageFailed"/>.</summary>
public interface IStageCommand
{
    string RunId { get; }

    IActorRef ReplyTo { get; }
}

/// <summary>Load a customer file within <paramref name="Limits"/>; <paramref name="Cancel"/> ends the read when the run is cancelled.</summary>
public sealed record LoadData(string RunId, string Path, IActorRef ReplyTo, DataLimits? Limits = null, CancellationToken Cancel = default) : IStageCommand;

public sealed record DataLoaded(string RunId, LoadedData Loaded);

/// <summary>Load three prepared <c>.npz</c> splits within <paramref name="Limits"/>; <paramref name="Cancel"/> as for <see cref="LoadData"/>.</summary>
public sealed record LoadSplits(string RunId, string Directory, string Prefix, IActorRef ReplyTo, DataLimits? Limits = null, CancellationToken Cancel = default) : IStageCommand;

/// <summary>The splits read back; <paramref name="ScalerKnown"/> is false for files with no recorded scaler (numpy's), taken as already standardized.</summary>
public sealed record SplitsLoaded(string RunId, Splits Splits, ScalerParameters Scaler, string Source, string Sha256, BalanceStrategy Balance, ClassMix Mix, bool ScalerKnown = true);

/// <summary>Balance the loaded rows with the run's <paramref name="Options"/> (<see cref="PrepareSteps.Balance"/>).</summary>
public sealed record BalanceData(string RunId, LoadedData Loaded, PrepareOptions Options, IActorRef ReplyTo) : IStageCommand;

public sealed record DataBalanced(string RunId, Balanced Balanced);

/// <summary>
/// Standardize the balanced rows (<see cref="PrepareSteps.Scale"/>), and the non-buyers balancing left out of
/// <paramref name="Loaded"/> the same way: the run scores them when it evaluates and explains its model.
/// </summary>
public sealed record ScaleData(string RunId, LoadedData Loaded, Balanced Balanced, PrepareOptions Options, IActorRef ReplyTo) : IStageCommand;

/// <summary>The standardized rows and parameters; <paramref name="LeftOut"/> built once for the run's later stages.</summary>
public sealed record DataScaled(string RunId, ScaledData Scaled, Dataset LeftOut);

/// <summary>Split the standardized rows with the run's <paramref name="Options"/> (<see cref="PrepareSteps.Split"/>).</summary>
public sealed record SplitData(string RunId, ScaledData Scaled, PrepareOptions Options, IActorRef ReplyTo) : IStageCommand;

public sealed record DataSplit(string RunId, Splits Splits);

public sealed record WriteDataset(string RunId, string Directory, string Prefix, Prepared Prepared, IActorRef ReplyTo) : IStageCommand;

public sealed record DatasetWritten(string RunId, PrepareManifest Manifest);

/// <summary>
/// Evaluate a model on the test split; with <paramref name="Population"/> also calibrate it on the validation split and
/// judge it on the population (the test rows plus <paramref name="LeftOut"/>, the standardized non-buyers balancing
/// left out, when the run balanced the data itself).
/// </summary>
public sealed record EvaluateModel(
    string RunId, TrainedModel Model, Dataset Test, ImmutableArray<string> FeatureNames, ulong Seed, IActorRef ReplyTo,
    Dataset? LeftOut = null, PopulationContext? Population = null) : IStageCommand;

public sealed record ModelEvaluated(string RunId, TestReport Report);

/// <summary>
/// Explain <paramref name="Model"/> (calibrated by <paramref name="Calibration"/>) on the customers it was judged on:
/// the test split and, with <paramref name="LeftOut"/>, the non-buyers balancing left out, drawn in the population's
/// mix <paramref name="Rate"/>, against <paramref name="Background"/> (standardized rows).
/// </summary>
public sealed record ExplainModel(
    string RunId, TrainedModel Model, Calibration Calibration, ScalerParameters Scaler, ImmutableArray<string> FeatureNames, Dataset Test,
    Dataset? LeftOut, double? Rate, Matrix<double> Background, ulong Seed, IActorRef ReplyTo) : IStageCommand;

public sealed record ModelExplained(string RunId, ExplainedRun Explained);

/// <summary>Save the model directory, <c>metrics.json</c>, <c>report.png</c> and <c>explain.png</c>.</summary>
public sealed record SaveRun(string RunId, string OutDir, RunArtifacts Artifacts, IActorRef ReplyTo) : IStageCommand;

public sealed record RunSaved(string RunId, string ModelDirectory, string MetricsFile, ImmutableArray<string> Files, RunMetrics Metrics);

