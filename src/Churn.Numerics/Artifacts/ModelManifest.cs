using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Churn.Numerics.Data;
using Churn.Numerics.Drift;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Model;

namespace Churn.Numerics.Artifacts;

/// <summary>The shape of one linear layer, as written in <c>model.json</c>.</summary>
internal sealed record LayerShape(int Inputs, int Outputs);

/// <summary>The network's architecture as written in <c>model.json</c>, so the file alone says what the weights file must hold.</summary>
internal sealed record ModelArchitecture(int Inputs, int HiddenLayers, int Width, Activation Activation, int Outputs, ImmutableArray<LayerShape> Layers);

/// <summary>One member network of an averaged model: its weights file, their SHA-256, its seed and how its training went.</summary>
internal sealed record MemberFile(string WeightsFile, string WeightsSha256, int EpochsRun, int BestEpoch);

/// <summary>
/// <c>model.json</c>: everything about a saved model except the weights, plus the name and SHA-256 of the weights file so a
/// pair of files from two different saves is detected. An averaged model (format 2) lists its <see cref="Members"/>:
/// networks of one configuration whose scores are averaged before the calibration; the first is also <see cref="WeightsFile"/>.
/// <see cref="Background"/> is left out when there is none, so that a model.json of an earlier version reads back and
/// writes out unchanged.
/// <see cref="Drift"/> (absent in files written before it was recorded) describes the customers the model was trained from.
/// </summary>
internal sealed record ModelManifest(
    int FormatVersion,
    ModelArchitecture Architecture,
    ModelConfig Config,
    ImmutableArray<string> FeatureNames,
    ScalerParameters Scaler,
    ClassificationMetrics? TestMetrics,
    string DataSha256,
    long Seed,
    ImmutableSortedDictionary<string, string> Versions,
    string Device,
    int EpochsRun,
    int BestEpoch,
    ImmutableArray<EpochMetrics> History,
    string WeightsFile,
    string WeightsSha256,
    Calibration? Calibration = null,
    bool ScalerKnown = true,
    ImmutableArray<MemberFile>? Members = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BackgroundSample? Background = null,
    // Left out when absent, so a model.json written before drift profiles reads back byte for byte.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DriftProfile? Drift = null,
    // The network's quantile map (InputTransform.Quantile), shared by the members of an averaged model.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] QuantileMap? InputQuantiles = null)
{
    /// <summary>A single network.</summary>
    public const int CurrentFormat = 1;

    /// <summary>An averaged model: older builds refuse it rather than score with its first member only.</summary>
    public const int AveragedFormat = 2;

    /// <summary>A PLR network (<see cref="ModelKind.Plr"/>): older builds refuse it rather than misread its weights.</summary>
    public const int PlrFormat = 3;

    /// <summary>An averaged model of PLR networks.</summary>
    public const int AveragedPlrFormat = 4;

    /// <summary>
    /// Formats 5 to 8 are 1 to 4 with a quantile map in front of the network (<see cref="InputTransform.Quantile"/>):
    /// older builds refuse them rather than score inputs the network was not trained on.
    /// </summary>
    public const int LastFormat = 8;

    /// <summary>
    /// The format of a plain model's <paramref name="plainFormat"/> for a network of <paramref name="kind"/> taking its
    /// inputs through <paramref name="transform"/>.
    /// </summary>
    public static int FormatOf(int plainFormat, ModelKind kind, InputTransform transform = InputTransform.Standard) =>
        plainFormat + (kind == ModelKind.Plr ? 2 : 0) + (transform == InputTransform.Quantile ? 4 : 0);
}
