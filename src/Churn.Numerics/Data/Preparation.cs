using System.Collections.Immutable;

namespace Churn.Numerics.Data;

/// <summary>Row counts of the three splits.</summary>
public sealed record SplitSizes(int Train, int Validation, int Test);

/// <summary>What a preparation read, decided and wrote; saved as <c>manifest.json</c> beside the <c>.npz</c> files.</summary>
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
    ImmutableArray<string> Files);

/// <summary>The result of the four preparation stages, before anything is written.</summary>
public sealed record Prepared(LoadedData Loaded, Balanced Balanced, ScalerParameters Scaler, Splits Splits, PrepareOptions Options);

/// <summary>The preparation as one composition of the stage functions (the actors call the stages one by one).</summary>
public static class Preparation
{
    public const string DefaultPrefix = "Audiobooks_data";

    public static Result<Prepared> Prepare(LoadedData loaded, PrepareOptions options) => throw new NotImplementedException();

    /// <summary>The manifest of a preparation whose files are named by <paramref name="files"/>.</summary>
    public static PrepareManifest Manifest(Prepared prepared, ImmutableArray<string> files) => throw new NotImplementedException();

    /// <summary>
    /// Writes <c>&lt;prefix&gt;_train/_validation/_test.npz</c> and <c>manifest.json</c> into <paramref name="directory"/>;
    /// each file is replaced atomically so a failure leaves earlier outputs intact.
    /// </summary>
    public static Result<PrepareManifest> Write(string directory, string prefix, Prepared prepared) => throw new NotImplementedException();

    /// <summary>Reads a <c>manifest.json</c> written by <see cref="Write"/>.</summary>
    public static Result<PrepareManifest> ReadManifest(string path) => throw new NotImplementedException();
}
