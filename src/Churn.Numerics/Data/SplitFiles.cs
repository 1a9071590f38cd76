using System.Security.Cryptography;

namespace Churn.Numerics.Data;

/// <summary>
/// Three splits read back from <c>.npz</c> files, with the scaler that produced them when it is known, and the
/// balancing and class mix behind them (from the manifest; for numpy's files, no balancing and the training split's mix).
/// </summary>
public sealed record SplitsRead(Splits Splits, ScalerParameters Scaler, bool ScalerKnown, string Source, string Sha256, BalanceStrategy Balance, ClassMix Mix);

/// <summary>Reads <c>&lt;prefix&gt;_train/_validation/_test.npz</c>, ours or the original notebook's.</summary>
public static class SplitFiles
{
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
        foreach (var name in Preparation.SplitFileNames(prefix))
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
        var manifestPath = Path.Combine(directory, Preparation.ManifestFileName);
        if (File.Exists(manifestPath))
        {
            return Preparation.ReadManifest(manifestPath)
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
