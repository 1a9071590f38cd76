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

            hash.AppendData(File.ReadAllBytes(path));
        }

        var splits = new Splits(read[0], read[1], read[2]);
        var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        var manifestPath = Path.Combine(directory, Preparation.ManifestFileName);
        if (File.Exists(manifestPath))
        {
            return Preparation.ReadManifest(manifestPath).Map(m => new SplitsRead(
                splits, m.Scaler, true, directory, sha, m.Strategy, ClassMix.Of(m.Strategy, m.Before, m.After)));
        }

        return Result.Ok(new SplitsRead(splits, Scaler.Identity(Schema.FeatureNames), false, directory, sha, BalanceStrategy.None, ClassMix.OfTraining(splits.Train)));
    }
}
