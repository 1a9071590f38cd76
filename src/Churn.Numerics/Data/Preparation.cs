using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;

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

/// <summary>The preparation as one composition of <see cref="PrepareSteps"/> (a run's stage actors call the steps one by one), and its files.</summary>
public static class Preparation
{
    public const string DefaultPrefix = "Audiobooks_data";

    /// <summary>The manifest's file name inside the output directory.</summary>
    public const string ManifestFileName = "manifest.json";

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

    /// <summary>The three split files' names for <paramref name="prefix"/>: train, validation, test.</summary>
    public static ImmutableArray<string> SplitFileNames(string prefix) =>
        [$"{prefix}_train.npz", $"{prefix}_validation.npz", $"{prefix}_test.npz"];

    /// <summary>
    /// Writes <c>&lt;prefix&gt;_train/_validation/_test.npz</c> and <c>manifest.json</c> into <paramref name="directory"/>
    /// (created if missing); each file is replaced atomically so a failure leaves earlier outputs intact. The manifest
    /// lists the file names relative to the directory and is written last, so its presence means the set is complete.
    /// </summary>
    public static Result<PrepareManifest> Write(string directory, string prefix, Prepared prepared)
    {
        if (string.IsNullOrWhiteSpace(prefix) || prefix.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || prefix is "." or "..")
        {
            return new Problem($"'{prefix}' cannot start a file name; use letters, digits, '-' or '_'", Column: "prefix");
        }
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return new Problem($"cannot create the output directory: {e.Message}", directory);
        }

        var names = SplitFileNames(prefix);
        Dataset[] splits = [prepared.Splits.Train, prepared.Splits.Validation, prepared.Splits.Test];
        var sha = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < splits.Length; i++)
        {
            var path = Path.Combine(directory, names[i]);
            var written = Npz.Write(path, splits[i]).Bind(_ => Sha256Of(path));
            if (written is Result<string>.Error error)
            {
                return error.Problem;
            }
            sha[names[i]] = written.Unwrap();
        }
        var manifest = Manifest(prepared, names) with { FileSha256 = sha.ToImmutable() };
        return AtomicFile.Write(
                Path.Combine(directory, ManifestFileName),
                stream => JsonSerializer.Serialize(stream, manifest, JsonFormat.PrepareManifest))
            .Map(_ => manifest);
    }

    /// <summary>The SHA-256 of a file, in lower-case hex.</summary>
    public static Result<string> Sha256Of(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return Result.Ok(Convert.ToHexStringLower(SHA256.HashData(stream)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new Problem($"cannot read: {e.Message}", path);
        }
    }

    /// <summary>Reads a <c>manifest.json</c> written by <see cref="Write"/>, checking that its scaler fits the schema.</summary>
    public static Result<PrepareManifest> ReadManifest(string path)
    {
        PrepareManifest? manifest;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            manifest = JsonSerializer.Deserialize<PrepareManifest>(stream, JsonFormat.PrepareManifest);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new Problem("manifest not found", path);
        }
        catch (JsonException e)
        {
            return new Problem($"not a valid manifest: {e.Message}", path, e.LineNumber + 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return new Problem($"cannot read the manifest: {e.Message}", path);
        }
        if (manifest is null)
        {
            return new Problem("not a valid manifest: it holds null", path);
        }
        var scaler = manifest.Scaler;
        if (!scaler.FeatureNames.SequenceEqual(Schema.FeatureNames) || !manifest.FeatureNames.SequenceEqual(Schema.FeatureNames))
        {
            return new Problem(
                $"the manifest's features ({string.Join(", ", scaler.FeatureNames)}) are not this program's ({string.Join(", ", Schema.FeatureNames)})",
                path, Column: "featureNames");
        }
        if (scaler.Means.Length != Schema.FeatureCount || scaler.Stds.Length != Schema.FeatureCount
            || scaler.Means.Any(m => !double.IsFinite(m)) || scaler.Stds.Any(s => !double.IsFinite(s) || s <= 0))
        {
            return new Problem(
                $"the manifest's scaler needs {Schema.FeatureCount} finite means and {Schema.FeatureCount} positive finite stds",
                path, Column: "scaler");
        }
        if (!scaler.LogFeatures.All(Schema.FeatureNames.Contains))
        {
            return new Problem(
                $"the manifest's log features ({string.Join(", ", scaler.LogFeatures)}) are not all among this program's features",
                path, Column: "scaler.logFeatures");
        }
        return Result.Ok(manifest);
    }
}
