using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Explanation;
using Churn.Numerics.Model;

namespace Churn.Numerics.Files;

/// <summary>
/// What a finished training run leaves behind. <see cref="Customers"/> is the customer file it was trained from, raw and in
/// its natural mix (none for a run from <c>.npz</c> files): the saved model's drift profile describes them.
/// </summary>
public sealed record RunArtifacts(
    TrainedModel Model,
    TestReport Report,
    ScalerParameters Scaler,
    ImmutableArray<string> FeatureNames,
    string Source,
    string DataSha256,
    ulong Seed,
    PrepareManifest? Manifest,
    bool ScalerKnown = true,
    BackgroundSample? Background = null,
    ExplainedRun? Explained = null,
    Dataset? Customers = null);

/// <summary>Where a run's files went.</summary>
public sealed record SavedRun(string ModelDirectory, string MetricsFile, ImmutableArray<string> Files, RunMetrics Metrics);

/// <summary>The training part of <c>metrics.json</c>.</summary>
public sealed record TrainingSummary(string Device, int EpochsRun, int BestEpoch, ImmutableArray<EpochMetrics> History);

/// <summary>
/// <c>metrics.json</c>: everything here is a function of data, seed and configuration, so two runs with the same
/// inputs write the same bytes. <see cref="Population"/> comes first: the model's calibrated probabilities on
/// customers it never saw, in the file's natural mix. <see cref="Test"/> is the original recipe's figure on its
/// balanced test split, kept for comparison.
/// </summary>
public sealed record RunMetrics(
    string Source,
    string DataSha256,
    ulong Seed,
    SplitSizes Splits,
    PopulationReport? Population,
    ModelConfig Model,
    ClassificationMetrics Test,
    ImmutableArray<FeatureImportance> Importance,
    ImmutableArray<GainsRow> Gains,
    TrainingSummary Training,
    LeftOutCheck? LeftOut = null,
    RunExplanations? Explanations = null);

/// <summary>Writes a run's model directory, <c>metrics.json</c> and <c>report.png</c>.</summary>
public static class RunFiles
{
    public const string ModelDirectoryName = "model";
    public const string MetricsFileName = "metrics.json";
    public const string ReportFileName = "report.png";
    public const string ExplainFileName = "explain.png";

    public static RunMetrics Metrics(RunArtifacts a)
    {
        var splits = a.Manifest?.Splits ?? new SplitSizes(0, 0, a.Report.Test.Rows);
        return new RunMetrics(
            a.Source,
            a.DataSha256,
            a.Seed,
            splits,
            a.Report.Population,
            a.Model.Config,
            a.Report.Test,
            a.Report.Importance,
            a.Report.Gains,
            new TrainingSummary(a.Model.Device, a.Model.EpochsRun, a.Model.BestEpoch, a.Model.History),
            a.Report.LeftOut,
            a.Explained?.Summary);
    }

    public static Result<SavedRun> Save(string outDir, RunArtifacts artifacts)
    {
        try
        {
            Directory.CreateDirectory(outDir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Result.Fail<SavedRun>($"cannot create the output directory: {ex.Message}", outDir);
        }

        var modelDir = Path.Combine(outDir, ModelDirectoryName);
        var artifact = new ModelArtifact(
            artifacts.Model, artifacts.Scaler, artifacts.FeatureNames, artifacts.Report.Test, artifacts.DataSha256, (long)artifacts.Seed, Versions(),
            artifacts.Report.Calibration ?? Calibration.Prior(0.5, null), artifacts.ScalerKnown, Background: artifacts.Background);
        artifact = artifact with { Drift = artifacts.Customers is { } customers ? artifact.DriftOf(customers) : null };
        return ModelArtifact.Save(modelDir, artifact).Bind(_ =>
        {
            var metricsPath = Path.Combine(outDir, MetricsFileName);
            var reportPath = Path.Combine(outDir, ReportFileName);
            var summary = Metrics(artifacts);
            var metrics = JsonSerializer.SerializeToUtf8Bytes(summary, JsonFormat.Options);
            var chart = ReportChart.Render(artifacts.Model.History, artifacts.Report.Roc, artifacts.Report.Gains, artifacts.Report.Population);
            var written = AtomicFile.Write(metricsPath, metrics).Bind(_ => AtomicFile.Write(reportPath, chart));
            if (artifacts.Explained is not { } explained)
            {
                return written.Map(_ => new SavedRun(modelDir, metricsPath, [modelDir, metricsPath, reportPath], summary));
            }
            var explainPath = Path.Combine(outDir, ExplainFileName);
            return written
                .Bind(_ => AtomicFile.Write(explainPath, ExplainChart.Render(explained)))
                .Map(_ => new SavedRun(modelDir, metricsPath, [modelDir, metricsPath, reportPath, explainPath], summary));
        });
    }

    /// <summary>The versions a saved model records, so a later reader knows what produced it.</summary>
    public static ImmutableDictionary<string, string> Versions() =>
        ImmutableDictionary<string, string>.Empty
            .Add("churn", typeof(RunFiles).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown")
            .Add("torchsharp", typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "unknown")
            .Add("dotnet", RuntimeInformation.FrameworkDescription);
}
