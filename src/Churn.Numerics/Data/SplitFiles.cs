using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;

namespace Churn.Numerics.Data;

/// <summary>
/// Three splits read back from <c>.npz</c> files, with the scaler that produced them when it is known, and the
/// balancing and class mix behind them (from the manifest; for numpy's files, no balancing and the training split's mix).
/// </summary>
public sealed record SplitsRead(Splits Splits, ScalerParameters Scaler, bool ScalerKnown, string Source, string Sha256, BalanceStrategy Balance, ClassMix Mix);

/// <summary>
/// The prepared data's files: writes <c>&lt;prefix&gt;_train/_validation/_test.npz</c> and <c>manifest.json</c>, and reads
/// them back, ours or the original notebook's.
/// </summary>
public static class SplitFiles
{
    /// <summary>The manifest's file name inside the output directory.</summary>
    public const string ManifestFileName = "manifest.json";

    /// <summary>The three split files' names for <paramref name="prefix"/>: train, validation, test.</summary>
    public static ImmutableArray<string> FileNames(string prefix) =>
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

        var names = FileNames(prefix);
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
        var manifest = Preparation.Manifest(prepared, names) with { FileSha256 = sha.ToImmutable() };
        return AtomicFile.Write(
                Path.Combine(directory, ManifestFileName),
                stream => JsonSerializer.Serialize(stream, manifest, JsonFormat.PrepareManifest))
            .Map(_ => manifest);
    }

    /// <summary>The SHA-256 of a file, in lower-case hex.</summary>
    private static Result<string> Sha256Of(string path)
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

    /// <summary>
    /// Reads the three files. The scaler comes from <c>manifest.json</c> beside them; files without one (written by
    /// numpy) are taken as already standardized, and <see cref="SplitsRead.ScalerKnown"/> says so.
    /// </summary>
    public static Result<SplitsRead> Read(string directory, string prefix, DataLimits? limits = null, CancellationToken cancel = default)
    {
        if (!Directory.Exists(directory))
        {
            return Result.Fail<SplitsRead>("directory not found", directory);
        }

        var read = new List<Dataset>(3);
        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var name in FileNames(prefix))
        {
            var path = Path.Combine(directory, name);
            if (!File.Exists(path))
            {
                return Result.Fail<SplitsRead>($"file not found (expected {prefix}_train.npz, {prefix}_validation.npz and {prefix}_test.npz)", path);
            }

            switch (Npz.Read(path, limits, cancel))
            {
                case Result<Dataset>.Error e:
                    return e.Problem;
                case Result<Dataset>.Ok ok when !ok.Value.HasTargets:
                    return new Problem("array 'targets' is missing", path);
                case Result<Dataset>.Ok ok when ok.Value.Inputs.ColumnCount != Schema.FeatureCount:
                    return new Problem($"array 'inputs' has {ok.Value.Inputs.ColumnCount} columns; expected {Schema.FeatureCount}", path);
                case Result<Dataset>.Ok ok:
                    read.Add(ok.Value);
                    break;
            }

            var bytes = File.ReadAllBytes(path);
            hash.AppendData(bytes);
            digests[name] = Convert.ToHexStringLower(SHA256.HashData(bytes));
        }

        var splits = new Splits(read[0], read[1], read[2]);
        var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        var manifestPath = Path.Combine(directory, ManifestFileName);
        if (File.Exists(manifestPath))
        {
            return ReadManifest(manifestPath)
                .Bind(m => Matches(m, splits, digests, manifestPath) is { } mismatch ? mismatch : Result.Ok(m))
                .Map(m => new SplitsRead(splits, m.Scaler, true, directory, sha, m.Strategy, ClassMix.Of(m.Strategy, m.Before, m.After)));
        }

        return Result.Ok(new SplitsRead(splits, Scaler.Identity(Schema.FeatureNames), false, directory, sha, BalanceStrategy.None, ClassMix.OfTraining(splits.Train)));
    }

    /// <summary>
    /// Whether the split files are the ones the manifest describes: its scaler and class mix are only true of those. A
    /// preparation killed after replacing one split and before its manifest, or a split copied in by hand, leaves a
    /// manifest that would silently misdescribe the files. Checked by SHA-256 where the manifest records it, else by rows.
    /// </summary>
    private static Problem? Matches(PrepareManifest manifest, Splits splits, Dictionary<string, string> digests, string manifestPath)
    {
        const string Remedy = "the preparation that wrote them was interrupted or a file was replaced; prepare the data again";
        if (manifest.FileSha256 is { } recorded)
        {
            foreach (var (name, digest) in digests)
            {
                if (recorded.TryGetValue(name, out var expected) && expected != digest)
                {
                    return new Problem($"{name} is not the file this manifest describes (its SHA-256 differs): {Remedy}", manifestPath, Column: "fileSha256");
                }
            }
            return null;
        }
        (string Split, int Expected, int Actual)[] sizes =
        [
            ("train", manifest.Splits.Train, splits.Train.Rows), ("validation", manifest.Splits.Validation, splits.Validation.Rows), ("test", manifest.Splits.Test, splits.Test.Rows),
        ];
        return sizes.FirstOrDefault(s => s.Expected != s.Actual) is { Split: not null } wrong
            ? new Problem($"the {wrong.Split} split has {wrong.Actual} rows but the manifest says {wrong.Expected}: {Remedy}", manifestPath, Column: "splits")
            : null;
    }
}
