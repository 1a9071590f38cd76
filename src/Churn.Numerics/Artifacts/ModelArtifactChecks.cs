using Churn.Numerics.Model;

namespace Churn.Numerics.Artifacts;

/// <summary>What a loaded <c>model.json</c> must hold before its weights are read: checks of the manifest's values alone.</summary>
public sealed partial record ModelArtifact
{
    private static bool SameMap(QuantileMap? a, QuantileMap? b) =>
        a is null || b is null
            ? a is null && b is null
            : a.Scores.SequenceEqual(b.Scores) && a.Knots.Length == b.Knots.Length && a.Knots.Zip(b.Knots).All(p => p.First.SequenceEqual(p.Second));

    private static Problem? CheckManifest(ModelManifest manifest)
    {
        if (manifest.FormatVersion is not (>= ModelManifest.CurrentFormat and <= ModelManifest.LastFormat))
        {
            return new Problem($"format version {manifest.FormatVersion} is not supported (this build reads versions {ModelManifest.CurrentFormat} to {ModelManifest.LastFormat})", Column: "formatVersion");
        }
        // Versions count up by the kind (+2) and the quantile map (+4) from 1 (one network) and 2 (averaged).
        var averaged = manifest.FormatVersion % 2 == 0;
        if (averaged != (manifest.Members is { Length: > 0 }))
        {
            return new Problem("the even format versions (averaged models) list their members, and only they do", Column: "members");
        }
        if (manifest.Config is { } kindConfig && ModelManifest.FormatOf(averaged ? ModelManifest.AveragedFormat : ModelManifest.CurrentFormat, kindConfig.Kind, kindConfig.Transform) != manifest.FormatVersion)
        {
            return new Problem($"format version {manifest.FormatVersion} disagrees with the network kind {kindConfig.Kind} and its {kindConfig.Transform.ToString().ToLowerInvariant()} inputs", Column: "config.kind");
        }
        if ((manifest.Config is { Transform: InputTransform.Quantile }) != (manifest.InputQuantiles is not null))
        {
            return new Problem("a model with quantile inputs records its quantile map, and only it does", Column: "inputQuantiles");
        }
        if (manifest.InputQuantiles is { } map && manifest.Architecture is { } shape && QuantileInputs.Check(map, shape.Inputs) is { } mapProblem)
        {
            return mapProblem;
        }
        if (manifest.Config.Validate() is Result<ModelConfig>.Error { Problem: var configProblem })
        {
            return configProblem with { Column = "config." + configProblem.Column };
        }
        var architecture = manifest.Architecture;
        var config = manifest.Config;
        if (architecture.HiddenLayers != config.Depth || architecture.Width != config.Width || architecture.Activation != config.Activation
            || architecture.Outputs != ChurnNetwork.Classes || architecture.Inputs < 1 || architecture.Layers.IsDefault
            || architecture.Layers.Length != config.Depth + 1)
        {
            return new Problem("the architecture disagrees with the configuration", Column: "architecture");
        }
        if (manifest.FeatureNames.IsDefault || manifest.FeatureNames.Length != architecture.Inputs)
        {
            return new Problem($"{(manifest.FeatureNames.IsDefault ? 0 : manifest.FeatureNames.Length)} feature names for {architecture.Inputs} inputs", Column: "featureNames");
        }
        var scaler = manifest.Scaler;
        if (scaler.Means.IsDefault || scaler.Stds.IsDefault || scaler.Means.Length != architecture.Inputs || scaler.Stds.Length != architecture.Inputs)
        {
            return new Problem($"the scaler needs a mean and a standard deviation for each of the {architecture.Inputs} inputs", Column: "scaler");
        }
        if (!scaler.LogFeatures.IsEmpty && (scaler.FeatureNames.IsDefault || !scaler.LogFeatures.All(scaler.FeatureNames.Contains)))
        {
            return new Problem("the scaler's log features are not among its feature names", Column: "scaler.logFeatures");
        }
        if (manifest.Calibration is { } c && !(Rate(c.TrainingRate) && (c.PopulationRate is null || Rate(c.PopulationRate.Value)) && double.IsFinite(c.Slope) && double.IsFinite(c.Intercept)))
        {
            return new Problem("the calibration needs rates between 0 and 1 and a finite slope and intercept", Column: "calibration");
        }
        if (manifest.Drift?.Check(manifest.FeatureNames) is { } driftProblem)
        {
            return driftProblem;
        }
        if (manifest.Background?.Check(architecture.Inputs) is { } background)
        {
            return background;
        }
        return manifest.History.IsDefault ? new Problem("the training history is missing", Column: "history") : null;

        static bool Rate(double r) => r > 0 && r < 1;
    }
}
