using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Model;

namespace Churn.Numerics.Artifacts;

/// <summary>Saving a model to its folder and loading it back: the model's files, named by their content.</summary>
public sealed partial record ModelArtifact
{
    /// <summary>Writes into <paramref name="directory"/> (created if needed), replacing a model saved there as one step.</summary>
    /// <remarks>
    /// The weights go to files named by their content, beside those of the model being replaced, and <c>model.json</c>,
    /// which names them and records their SHA-256, is moved over the old one last: that rename is the one point where
    /// the folder changes from the old model to the new. A failure, or a process killed at any moment, leaves the old
    /// model loading as it was; what an interrupted save left (hidden temporaries, weights no <c>model.json</c> names) is
    /// ignored by <see cref="Load"/> and removed by the next save, which also removes the replaced model's weights once
    /// its own <c>model.json</c> is in place. One save at a time per folder. Returns the directory's full path.
    /// </remarks>
    public static Result<string> Save(string directory, ModelArtifact artifact) => Save(directory, artifact, null);

    /// <param name="directory">Where to save.</param>
    /// <param name="artifact">What to save.</param>
    /// <param name="changed">Called after each change to the folder with what was just done: a test copies the folder
    /// there, which is what a process killed at that moment leaves.</param>
    internal static Result<string> Save(string directory, ModelArtifact artifact, Action<string>? changed)
    {
        var model = artifact.Model;
        if (model.Config.Validate() is Result<ModelConfig>.Error { Problem: var configProblem })
        {
            return Result.Fail<string>($"cannot save: {configProblem}", ManifestFile);
        }
        var members = artifact.Members.IsDefaultOrEmpty ? [] : artifact.Members;
        if (members.Any(m => m.Config != model.Config))
        {
            return Result.Fail<string>("cannot save: the members of an averaged model must share one configuration", ManifestFile);
        }
        if (members.Any(m => !SameMap(m.InputMap, model.InputMap)))
        {
            return Result.Fail<string>("cannot save: the members of an averaged model must share one quantile map (one training split)", ManifestFile);
        }
        // The networks to write: the one network, or every member; each is built (and so checked) before anything is written.
        var networks = new List<TorchSharp.torch.nn.Module>();
        try
        {
            foreach (var m in members.IsEmpty ? [model] : members)
            {
                var built = m.Config.Kind == ModelKind.Plr
                    ? PlrNetwork.FromWeights(m.Config, m.Plr).Map(n => (TorchSharp.torch.nn.Module)n)
                    : ChurnNetwork.FromWeights(m.Config, m.Layers).Map(n => (TorchSharp.torch.nn.Module)n);
                if (built is Result<TorchSharp.torch.nn.Module>.Error { Problem: var layers })
                {
                    return Result.Fail<string>($"cannot save: {layers.Reason}", directory);
                }
                networks.Add(built.Unwrap());
            }
            return Write(directory, artifact, members, networks, changed);
        }
        finally
        {
            networks.ForEach(n => n.Dispose());
        }
    }

    private static Result<string> Write(string directory, ModelArtifact artifact, ImmutableArray<TrainedModel> members, List<TorchSharp.torch.nn.Module> networks, Action<string>? changed)
    {
        var model = artifact.Model;
        var manifest = new ModelManifest(
            ModelManifest.FormatOf(members.IsEmpty ? ModelManifest.CurrentFormat : ModelManifest.AveragedFormat, model.Config.Kind, model.Config.Transform),
            new ModelArchitecture(
                model.Inputs, model.Config.Depth, model.Config.Width, model.Config.Activation, ChurnNetwork.Classes,
                [.. Shapes(model)]),
            model.Config,
            artifact.FeatureNames,
            artifact.Scaler,
            artifact.TestMetrics,
            artifact.DataSha256,
            artifact.Seed,
            RuntimeVersions().SetItems(artifact.Versions).ToImmutableSortedDictionary(StringComparer.Ordinal),
            model.Device,
            model.EpochsRun,
            model.BestEpoch,
            model.History,
            WeightsFile: "",
            WeightsSha256: "",
            artifact.Calibration,
            artifact.ScalerKnown,
            members.IsEmpty ? null : [.. members.Select(m => new MemberFile("", "", m.EpochsRun, m.BestEpoch))],
            artifact.Background,
            artifact.Drift,
            model.InputMap);
        // Refuse to write what Load would refuse to read.
        if (CheckManifest(manifest) is { } problem)
        {
            return Result.Fail<string>($"cannot save: {problem}", ManifestFile);
        }
        string full;
        try
        {
            full = Path.GetFullPath(directory);
            Directory.CreateDirectory(full);
        }
        catch (Exception e)
        {
            return Result.Fail<string>($"cannot create the model directory: {e.Message}", directory);
        }
        var manifestPath = Path.Combine(full, ManifestFile);
        var id = Guid.NewGuid().ToString("N");
        var temps = networks.Select((_, i) => Path.Combine(full, $".{(members.IsEmpty ? "weights" : $"member-{i + 1}")}.{id}.tmp")).ToList();
        var manifestTemp = Path.Combine(full, $".{ManifestFile}.{id}.tmp");
        // Weights files this save put in place where none was: removed again unless model.json came to name them.
        var placed = new List<string>();
        var committed = false;
        var writing = temps[0];
        try
        {
            var names = new List<string>();
            var hashes = new List<string>();
            for (var i = 0; i < networks.Count; i++)
            {
                writing = temps[i];
                networks[i].save(temps[i]);
                // TorchSharp closes the file without syncing it; a move of an unsynced file can survive a crash empty.
                using (var stream = new FileStream(temps[i], FileMode.Open, FileAccess.Write))
                {
                    stream.Flush(flushToDisk: true);
                }
                hashes.Add(Sha256(temps[i]));
                names.Add(members.IsEmpty ? WeightsFileName(hashes[i]) : MemberFileName(i, hashes[i]));
                changed?.Invoke($"weights {i + 1} written");
            }
            // Under names of their own, beside the weights of the model being replaced, which stay until model.json is moved.
            for (var i = 0; i < networks.Count; i++)
            {
                var target = Path.Combine(full, names[i]);
                writing = target;
                if (!File.Exists(target))
                {
                    placed.Add(target);
                }
                // A file of that name holds the same weights (the name is their hash): replacing it changes nothing.
                File.Move(temps[i], target, overwrite: true);
                changed?.Invoke($"weights {i + 1} in place");
            }
            writing = manifestPath;
            using (var stream = new FileStream(manifestTemp, FileMode.CreateNew, FileAccess.Write))
            {
                var written = manifest with
                {
                    WeightsFile = names[0],
                    WeightsSha256 = hashes[0],
                    Members = manifest.Members is { } listed ? [.. listed.Select((m, i) => m with { WeightsFile = names[i], WeightsSha256 = hashes[i] })] : null,
                };
                JsonSerializer.Serialize(stream, written, JsonFormat.Document);
                stream.Flush(flushToDisk: true);
            }
            // The new weights' names reach the disk before the model.json that names them.
            AtomicFile.SyncDirectory(full);
            changed?.Invoke("model.json written");
            File.Move(manifestTemp, manifestPath, overwrite: true);
            committed = true;
            AtomicFile.SyncDirectory(full);
            changed?.Invoke("model.json in place");
            RemoveLeftovers(full, names);
            changed?.Invoke("replaced weights removed");
            return Result.Ok(full);
        }
        catch (Exception e)
        {
            return Result.Fail<string>($"cannot write: {e.Message}", writing);
        }
        finally
        {
            foreach (var temp in temps)
            {
                File.Delete(temp);
            }
            File.Delete(manifestTemp);
            if (!committed)
            {
                placed.ForEach(File.Delete);
            }
        }
    }

    /// <summary>
    /// Removes the weights of the model just replaced and whatever interrupted saves left, under this version's names or
    /// earlier ones': every file a save writes that <paramref name="kept"/> (the new model.json's weights) does not name.
    /// A file that cannot be removed stays: it is ignored, and the next save tries again.
    /// </summary>
    private static void RemoveLeftovers(string directory, List<string> kept)
    {
        foreach (var path in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(path);
            if (SaveFile().IsMatch(name) && !kept.Contains(name))
            {
                try
                {
                    File.Delete(path);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Left for the next save.
                }
            }
        }
    }

    /// <summary>
    /// A file some version's save writes besides model.json: weights (<c>weights.dat</c>, <c>weights-HASH.dat</c>,
    /// <c>member-N.dat</c>, <c>member-N-HASH.dat</c>) and temporaries (this version's hidden ones, and the
    /// <c>NAME.tmp-PID-GUID</c> of earlier versions).
    /// </summary>
    [GeneratedRegex(@"^(?:(?:weights|member-[0-9]+)(?:-[0-9a-f]{16})?\.dat|\.(?:weights|member-[0-9]+|model\.json)\.[0-9a-f]{32}\.tmp|(?:weights\.dat|member-[0-9]+\.dat|model\.json)\.tmp-[0-9]+-[0-9a-f]{32})$", RegexOptions.CultureInvariant)]
    private static partial Regex SaveFile();

    /// <summary>Reads a directory written by <see cref="Save(string, ModelArtifact)"/>; a missing or damaged file is a clear error.</summary>
    public static Result<ModelArtifact> Load(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
        {
            return Result.Fail<ModelArtifact>("model directory not found", full);
        }
        var manifestPath = Path.Combine(full, ManifestFile);
        if (!File.Exists(manifestPath))
        {
            return Result.Fail<ModelArtifact>("file not found; is this a directory written by 'churn train'?", manifestPath);
        }
        ModelManifest manifest;
        try
        {
            using var stream = File.OpenRead(manifestPath);
            manifest = JsonSerializer.Deserialize<ModelManifest>(stream, JsonFormat.Document)
                ?? throw new JsonException("the file holds null instead of a model description");
        }
        catch (JsonException e)
        {
            return Result.Fail<ModelArtifact>($"malformed model description: {e.Message}", manifestPath, e.LineNumber + 1);
        }
        catch (Exception e)
        {
            return Result.Fail<ModelArtifact>($"cannot read: {e.Message}", manifestPath);
        }
        if (CheckManifest(manifest) is { } problem)
        {
            return problem with { File = manifestPath };
        }
        List<(string File, string Sha256, int EpochsRun, int BestEpoch)> files = manifest.Members is { } listed
            ? [.. listed.Select(m => (m.WeightsFile, m.WeightsSha256, m.EpochsRun, m.BestEpoch))]
            : [(manifest.WeightsFile, manifest.WeightsSha256, manifest.EpochsRun, manifest.BestEpoch)];
        var networks = ImmutableArray.CreateBuilder<TrainedModel>();
        foreach (var (file, sha, epochsRun, bestEpoch) in files)
        {
            // Only plain names: a model.json must not point at files outside its folder.
            var weightsPath = Path.Combine(full, Path.GetFileName(file));
            if (!File.Exists(weightsPath))
            {
                return Result.Fail<ModelArtifact>("file not found; the model's weights are missing", weightsPath);
            }
            try
            {
                if (!string.Equals(Sha256(weightsPath), sha, StringComparison.OrdinalIgnoreCase))
                {
                    return Result.Fail<ModelArtifact>(
                        $"the weights' SHA-256 differs from the one {ManifestFile} records; the files come from different saves", weightsPath);
                }
                var loaded = manifest.Config.Kind == ModelKind.Plr
                    ? LoadPlr(weightsPath, manifest, epochsRun, bestEpoch)
                    : LoadPlain(weightsPath, manifest, epochsRun, bestEpoch);
                if (!Shapes(loaded).SequenceEqual(manifest.Architecture.Layers))
                {
                    return Result.Fail<ModelArtifact>($"the layers' shapes differ from those {ManifestFile} records", weightsPath);
                }
                networks.Add(loaded);
            }
            catch (Exception e)
            {
                return Result.Fail<ModelArtifact>($"weights do not match the architecture in {ManifestFile}: {e.Message}", weightsPath);
            }
        }
        return Result.Ok(new ModelArtifact(
            networks[0], manifest.Scaler, manifest.FeatureNames, manifest.TestMetrics, manifest.DataSha256, manifest.Seed, manifest.Versions.ToImmutableDictionary(),
            manifest.Calibration ?? LegacyCalibration(full, manifest.DataSha256), manifest.ScalerKnown, manifest.Members is null ? default : networks.ToImmutable(),
            manifest.Background,
            manifest.Drift));
    }

    private static TrainedModel LoadPlain(string weightsPath, ModelManifest manifest, int epochsRun, int bestEpoch)
    {
        using var network = ChurnNetwork.Blank(manifest.Architecture.Inputs, manifest.Config);
        network.load(weightsPath, strict: true);
        return new TrainedModel(manifest.Config, network.Weights(), epochsRun, bestEpoch, manifest.History, manifest.Device, InputMap: manifest.InputQuantiles);
    }

    private static TrainedModel LoadPlr(string weightsPath, ModelManifest manifest, int epochsRun, int bestEpoch)
    {
        using var network = PlrNetwork.Blank(manifest.Architecture.Inputs, manifest.Config);
        network.load(weightsPath, strict: true);
        return new TrainedModel(manifest.Config, [], epochsRun, bestEpoch, manifest.History, manifest.Device, network.Weights(), manifest.InputQuantiles);
    }

    /// <summary>The shapes of the hidden layers and the output layer, as <c>model.json</c> records them.</summary>
    private static IEnumerable<LayerShape> Shapes(TrainedModel model) =>
        model.Plr is { } plr
            ? plr.Layers.Select(l => new LayerShape(l.Inputs, l.Outputs))
            : model.Layers.Select(l => new LayerShape(l.Inputs, l.Outputs));

    /// <summary>
    /// Models saved before calibration was recorded were all trained on a 50/50 balanced sample; the buying rate of
    /// their population is known when the run's <c>manifest.json</c> (one level up, as <c>churn run</c> writes it)
    /// describes the same data, and unknown otherwise (then scoring needs a base rate).
    /// </summary>
    private static Calibration LegacyCalibration(string modelDirectory, string dataSha256)
    {
        var parent = Path.GetDirectoryName(modelDirectory);
        var path = parent is null ? null : Path.Combine(parent, SplitFiles.ManifestFileName);
        if (path is not null && File.Exists(path) && SplitFiles.ReadManifest(path) is Result<PrepareManifest>.Ok { Value: var prepared }
            && string.Equals(prepared.SourceSha256, dataSha256, StringComparison.OrdinalIgnoreCase))
        {
            return Calibration.Prior(0.5, ClassMix.Of(prepared.Strategy, prepared.Before, prepared.After).Population);
        }
        return Calibration.Prior(0.5, null);
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
