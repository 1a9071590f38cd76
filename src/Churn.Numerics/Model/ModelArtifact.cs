using System.Collections.Immutable;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;

namespace Churn.Numerics.Model;

/// <summary>
/// A saved model: weights in TorchSharp's format (<c>weights.dat</c>) plus <c>model.json</c> with the architecture,
/// hyperparameters, feature names, scaler, metrics, data SHA-256, seed and versions.
/// </summary>
public sealed record ModelArtifact(
    TrainedModel Model,
    ScalerParameters Scaler,
    ImmutableArray<string> FeatureNames,
    ClassificationMetrics? TestMetrics,
    string DataSha256,
    long Seed,
    ImmutableDictionary<string, string> Versions)
{
    public const string WeightsFile = "weights.dat";
    public const string ManifestFile = "model.json";

    /// <summary>Writes into <paramref name="directory"/> (created if needed), replacing files atomically.</summary>
    public static Result<string> Save(string directory, ModelArtifact artifact) => throw new NotImplementedException();

    /// <summary>Reads a directory written by <see cref="Save"/>; a missing or damaged file is a clear error.</summary>
    public static Result<ModelArtifact> Load(string directory) => throw new NotImplementedException();
}
