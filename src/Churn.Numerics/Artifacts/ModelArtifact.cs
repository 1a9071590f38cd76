using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.InteropServices;
using Churn.Numerics.Data;
using Churn.Numerics.Drift;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Model;
using TorchSharp;

namespace Churn.Numerics.Artifacts;

/// <summary>Customers scored by a model: the network's raw score and the calibrated P(buys again).</summary>
public sealed record CustomerScores(Dataset Customers, ImmutableArray<double> Raw, ImmutableArray<double> Probabilities);

/// <summary>
/// A saved model: weights in TorchSharp's format (<c>weights-HASH.dat</c>, named by the first 16 hex digits of their
/// SHA-256; <c>weights.dat</c> in folders saved by earlier versions) plus <c>model.json</c> with the architecture,
/// hyperparameters, feature names, scaler, metrics, data SHA-256, seed, versions and the <see cref="Calibration"/>
/// that turns its scores into probabilities for its population (the class mix it was trained on and the mix of the
/// customer file it came from). An averaged model holds several <see cref="Members"/> of one configuration (a search
/// winner's seeds): its raw score is their mean score, and its calibration was fitted on that mean; <see cref="Model"/>
/// is then the first member.
/// <see cref="ScalerKnown"/> is false for a model trained from <c>.npz</c> files that
/// recorded no scaler: it was trained on inputs someone else standardized, and <see cref="Scaler"/> is the identity,
/// so raw customer data must not be scored with it as it is. <see cref="Background"/> is the sample of training
/// customers its explanations are measured against (null for models saved by earlier versions).
/// <see cref="Drift"/> describes the customers it was trained from (null for models saved before it was recorded, or
/// trained from <c>.npz</c> files with no customer file behind them).
/// </summary>
public sealed partial record ModelArtifact(
    TrainedModel Model,
    ScalerParameters Scaler,
    ImmutableArray<string> FeatureNames,
    ClassificationMetrics? TestMetrics,
    string DataSha256,
    long Seed,
    ImmutableDictionary<string, string> Versions,
    Calibration Calibration,
    bool ScalerKnown = true,
    ImmutableArray<TrainedModel> Members = default,
    BackgroundSample? Background = null,
    DriftProfile? Drift = null)
{
    /// <summary>The networks whose mean score the model gives: the members, or the one network.</summary>
    public ImmutableArray<TrainedModel> Networks => Members.IsDefaultOrEmpty ? [Model] : Members;

    public const string ManifestFile = "model.json";

    /// <summary>The weights file of a single network with SHA-256 <paramref name="sha256"/> (hex).</summary>
    public static string WeightsFileName(string sha256) => $"weights-{sha256[..16]}.dat";

    /// <summary>The weights file of member <paramref name="index"/> (from 0) of an averaged model, with SHA-256 <paramref name="sha256"/>.</summary>
    public static string MemberFileName(int index, string sha256) => $"member-{index + 1}-{sha256[..16]}.dat";

    /// <summary>
    /// Scores raw customer rows (as read from a customer file): the model's own scaler, the network's raw score, then
    /// the calibration, shifted to <paramref name="baseRate"/> when given. A problem when the model cannot give
    /// probabilities (an unknown population and no base rate, or a base rate outside (0, 1)).
    /// </summary>
    public Result<CustomerScores> Score(Dataset customers, double? baseRate = null)
    {
        if (Calibration.Check(baseRate) is { } problem)
        {
            return problem;
        }
        var raw = Scoring.Mean(Networks, Data.Scaler.Apply(Scaler, customers.Inputs));
        return Result.Ok(new CustomerScores(customers, raw, Calibration.Apply(raw, baseRate)));
    }

    /// <summary>
    /// The averaged model of <paramref name="members"/> (networks of one configuration trained on the same splits with
    /// different seeds): its calibration is fitted (<paramref name="method"/>, weighted to the population's mix) on the
    /// members' mean score over <paramref name="validation"/>, the split early stopping watched, as a single model's is.
    /// </summary>
    public static ModelArtifact Averaged(
        ImmutableArray<TrainedModel> members, ScalerParameters scaler, ImmutableArray<string> featureNames, string dataSha256, long seed,
        ImmutableDictionary<string, string> versions, Dataset validation, ClassMix mix, CalibrationMethod method = Calibration.DefaultMethod)
    {
        var raw = validation.Rows == 0 ? [] : Scoring.Mean(members, validation.Inputs);
        var calibration = Calibration.Fit(method, raw, validation.Rows == 0 ? [] : validation.Targets, mix.Training, mix.Population);
        return new ModelArtifact(members[0], scaler, featureNames, null, dataSha256, seed, versions, calibration, Members: members);
    }

    /// <summary>
    /// What wrote a model: this product's version, TorchSharp's, libtorch's and .NET's. <see cref="Save(string, ModelArtifact)"/> adds these to
    /// <see cref="Versions"/> for any key the artifact does not set itself.
    /// </summary>
    public static ImmutableDictionary<string, string> RuntimeVersions() =>
        ImmutableDictionary.CreateRange(
        [
            KeyValuePair.Create("churn", InformationalVersion(typeof(ModelArtifact).Assembly)),
            KeyValuePair.Create("torchsharp", InformationalVersion(typeof(torch).Assembly)),
            KeyValuePair.Create("libtorch", torch.__version__),
            KeyValuePair.Create("dotnet", RuntimeInformation.FrameworkDescription),
        ]);

    /// <summary>
    /// The profile of <paramref name="customers"/> (raw behaviours, as read from a customer file) under this model: each
    /// behaviour's distribution and that of the model's uncalibrated score. Null for no customers.
    /// </summary>
    public DriftProfile? DriftOf(Dataset customers) =>
        customers.Rows == 0 ? null : DriftProfile.Of(FeatureNames, customers.Inputs, Scoring.Mean(Networks, Data.Scaler.Apply(Scaler, customers.Inputs)));

    private static string InformationalVersion(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString()
        ?? "unknown";
}
