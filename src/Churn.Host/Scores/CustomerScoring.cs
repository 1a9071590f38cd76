using System.Collections.Immutable;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Explanation;

namespace Churn.Host.Scores;

/// <summary>How raw customer values become the model's inputs: the model's own scaler unless the user gives <c>--scaler</c> or <c>--scaled-inputs</c>.</summary>
public sealed record InputScaling(string? ScalerFile = null, bool ScaledInputs = false)
{
    public static readonly InputScaling ModelsOwn = new();
}


/// <summary>
/// Scoring customers with a saved model, as <c>churn predict</c>, <c>churn target</c> and <c>POST /runs/{id}/target</c>
/// do: the model scaled as the user says, the customer file loaded and validated, the strongest reasons of chosen rows.
/// </summary>
public static class CustomerScoring
{
    /// <summary>
    /// The scaler to score with: the model's own; the one in <paramref name="scalerFile"/> (a <c>manifest.json</c> of
    /// prepared splits); or none when the inputs are already standardized. A model trained from <c>.npz</c> files
    /// without a recorded scaler has no scaler of its own, and scoring raw customers with it would be silently wrong.
    /// </summary>
    public static Result<ModelArtifact> WithScaler(ModelArtifact artifact, string modelDir, string? scalerFile, bool scaledInputs)
    {
        if (scaledInputs)
        {
            return Result.Ok(artifact with { Scaler = Scaler.Identity(artifact.FeatureNames) });
        }
        if (scalerFile is not null)
        {
            return SplitFiles.ReadManifest(scalerFile).Bind(manifest =>
                manifest.Scaler.Means.Length == artifact.FeatureNames.Length
                    ? Result.Ok(artifact with { Scaler = manifest.Scaler, ScalerKnown = true })
                    : Result.Fail<ModelArtifact>($"its scaler has {manifest.Scaler.Means.Length} features; the model takes {artifact.FeatureNames.Length}", scalerFile));
        }
        return artifact.ScalerKnown
            ? Result.Ok(artifact)
            : new Problem(
                "the model was trained from .npz files that recorded no scaler (no manifest.json beside them), so it cannot scale raw customer data: " +
                "give --scaler with the manifest.json of the preparation that standardized them, or --scaled-inputs if the input file is already standardized",
                modelDir);
    }

    /// <summary>
    /// Loads the model and the customer file and scores every customer; a model without a scaler of its own refuses
    /// raw customers unless <paramref name="scaling"/> gives one or says the inputs are standardized already.
    /// </summary>
    public static Result<CustomerScores> Load(string modelDir, string input, double? baseRate, InputScaling scaling) =>
        ModelArtifact.Load(modelDir).Bind(artifact => Score(artifact, modelDir, input, baseRate, scaling));

    /// <summary>Scores the customer file <paramref name="input"/> with a loaded model, as <see cref="Load"/> does.</summary>
    public static Result<CustomerScores> Score(ModelArtifact model, string modelDir, string input, double? baseRate, InputScaling scaling) =>
        WithScaler(model, modelDir, scaling.ScalerFile, scaling.ScaledInputs).Bind(artifact =>
            CustomerCsv.Load(input, TargetPolicy.Optional, standardized: scaling.ScaledInputs).Bind(loaded =>
                artifact.Score(loaded.Data, baseRate).Match(
                    Result.Ok,
                    problem => Result.Fail<CustomerScores>(problem with { File = problem.File ?? Path.Combine(modelDir, ModelArtifact.ManifestFile) }))));

    /// <summary>
    /// The <paramref name="count"/> strongest reasons of the customers at <paramref name="rows"/> (see
    /// <see cref="Explained.TopReasons"/>), with the model scaled as it scored them.
    /// </summary>
    public static Result<ImmutableArray<ImmutableArray<Reason>>> ReasonsFor(
        ModelArtifact model, string modelDir, InputScaling scaling, CustomerScores scores, IReadOnlyList<int> rows, int count, double? baseRate) =>
        WithScaler(model, modelDir, scaling.ScalerFile, scaling.ScaledInputs)
            .Bind(scaled => Explained.TopReasons(scaled, scores.Customers.Inputs, rows, count, baseRate))
            .Match(Result.Ok, problem => Result.Fail<ImmutableArray<ImmutableArray<Reason>>>(problem with { File = problem.File ?? Path.Combine(modelDir, ModelArtifact.ManifestFile) }));

    /// <summary>The calibrated probabilities a loaded model (from <paramref name="modelDir"/>) gives the labelled customers, with its own scaler.</summary>
    public static Result<ImmutableArray<double>> Probabilities(ModelArtifact model, string modelDir, Dataset customers, double? baseRate) =>
        CustomerScoring.WithScaler(model, modelDir, null, false)
            .Bind(scaled => scaled.Score(customers, baseRate).Match(
                Result.Ok,
                problem => Result.Fail<CustomerScores>(problem with { File = problem.File ?? Path.Combine(modelDir, ModelArtifact.ManifestFile) })))
            .Map(scores => scores.Probabilities);

    /// <summary>The <paramref name="count"/> strongest reasons of each contacted customer, by row; only they are explained.</summary>
    public static Result<ImmutableDictionary<int, ImmutableArray<Reason>>> ContactReasons(
        ModelArtifact model, string modelDir, InputScaling scaling, CustomerScores scores, CampaignPlan plan, int count, double? baseRate)
    {
        int[] contacted = [.. Enumerable.Range(0, plan.Rows.Length).Where(i => plan.Rows[i].Contact)];
        return ReasonsFor(model, modelDir, scaling, scores, contacted, count, baseRate)
            .Map(found => contacted.Select((row, i) => KeyValuePair.Create(row, found[i])).ToImmutableDictionary());
    }
}
