using System.Collections.Immutable;

namespace Churn.Numerics.Data;

/// <summary>Row counts of the three splits.</summary>
public sealed record SplitSizes(int Train, int Validation, int Test);

/// <summary>
/// What a preparation read, decided and wrote; saved as <c>manifest.json</c> beside the <c>.npz</c> files.
/// <see cref="FileSha256"/> holds each split file's SHA-256, so that a reader can tell the manifest's own files from
/// ones a later, interrupted preparation (or a person) put there (manifests written before it have none).
/// </summary>
public sealed record PrepareManifest(
    string Source,
    string SourceSha256,
    int RowsRead,
    ClassCounts Before,
    ClassCounts After,
    BalanceStrategy Strategy,
    ulong Seed,
    SplitRatios Ratios,
    bool Stratified,
    SplitSizes Splits,
    ScalerParameters Scaler,
    ImmutableArray<string> FeatureNames,
    ImmutableArray<string> Files,
    ImmutableSortedDictionary<string, string>? FileSha256 = null);

/// <summary>The result of the four preparation stages, before anything is written.</summary>
public sealed record Prepared(LoadedData Loaded, Balanced Balanced, ScalerParameters Scaler, Splits Splits, PrepareOptions Options);

/// <summary>
/// The preparation as one composition of <see cref="PrepareSteps"/> (a run's stage actors call the steps one by one), and
/// the manifest that describes it; <see cref="SplitFiles"/> writes and reads its files.
/// </summary>
public static class Preparation
{
    public const string DefaultPrefix = "Audiobooks_data";

    /// <summary>
    /// Balance, then standardize (fitted on the balanced rows), then split: <see cref="PrepareSteps"/>' steps in the
    /// order a run's stages call them, so the result equals a run's with the same options.
    /// </summary>
    public static Result<Prepared> Prepare(LoadedData loaded, PrepareOptions options) =>
        PrepareSteps.Balance(loaded, options).Bind(balanced =>
        {
            var scaled = PrepareSteps.Scale(balanced, options);
            return PrepareSteps.Split(scaled, options).Map(splits => new Prepared(loaded, balanced, scaled.Scaler, splits, options));
        });

    /// <summary>The manifest of a preparation whose files are named by <paramref name="files"/>.</summary>
    public static PrepareManifest Manifest(Prepared prepared, ImmutableArray<string> files) =>
        new(
            prepared.Loaded.Source,
            prepared.Loaded.Sha256,
            prepared.Loaded.Data.Rows,
            prepared.Balanced.Before,
            prepared.Balanced.After,
            prepared.Balanced.Strategy,
            prepared.Options.Seed,
            prepared.Options.Ratios,
            prepared.Options.Stratify,
            new SplitSizes(prepared.Splits.Train.Rows, prepared.Splits.Validation.Rows, prepared.Splits.Test.Rows),
            prepared.Scaler,
            Schema.FeatureNames,
            files.IsDefault ? [] : files);
}
