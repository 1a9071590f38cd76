using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Model;

namespace Churn.Tests.Model;

[Collection(TorchCollection.Name)]
public sealed class ModelArtifactTests : IDisposable
{
    private static readonly Lazy<(TrainedModel Model, Dataset Test)> Trained = new(() =>
    {
        var train = SyntheticData.Customers(500, seed: 11);
        var validation = SyntheticData.Customers(100, seed: 12);
        using var session = TrainingSession.Create(ModelConfig.Default with { Width = 20 }, train, validation, 3, Devices.Cpu, 1).Unwrap();
        for (var epoch = 1; epoch <= 3; epoch++)
        {
            session.RunEpoch(epoch).Unwrap();
            session.KeepBest();
        }
        return (session.Finish(), SyntheticData.Customers(300, seed: 13));
    });

    private readonly string root = Directory.CreateTempSubdirectory("churn-artifact-tests-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Saved_and_loaded_model_scores_bit_identically_and_reproduces_the_metrics()
    {
        var (model, test) = Trained.Value;
        var before = Metrics.Evaluate(model, test, Schema.FeatureNames, seed: 2);
        var artifact = Artifact(model, before.Test);
        var dir = Path.Combine(root, "model");

        Assert.Equal(Path.GetFullPath(dir), ModelArtifact.Save(dir, artifact).Unwrap());
        var loaded = ModelArtifact.Load(dir).Unwrap();

        Assert.Equal(Scoring.Probabilities(model, test.Inputs), Scoring.Probabilities(loaded.Model, test.Inputs));
        var after = Metrics.Evaluate(loaded.Model, test, loaded.FeatureNames, seed: 2);
        Assert.Equal(before.Test, after.Test);
        Assert.Equal(before.Importance, after.Importance);
        Assert.Equal(before.Gains, after.Gains);
        Assert.Equal(before.Roc, after.Roc);
    }

    [Fact]
    public void Loaded_artifact_carries_everything_that_was_saved()
    {
        var (model, _) = Trained.Value;
        var artifact = Artifact(model, null) with { Versions = ImmutableDictionary<string, string>.Empty.Add("churn", "9.9.9") };
        var dir = Path.Combine(root, "model");
        ModelArtifact.Save(dir, artifact).Unwrap();
        var loaded = ModelArtifact.Load(dir).Unwrap();

        Assert.Equal(model.Config, loaded.Model.Config);
        Assert.Equal(model.History, loaded.Model.History);
        Assert.Equal((model.EpochsRun, model.BestEpoch, model.Device), (loaded.Model.EpochsRun, loaded.Model.BestEpoch, loaded.Model.Device));
        for (var i = 0; i < model.Layers.Length; i++)
        {
            Assert.Equal(model.Layers[i].Weight, loaded.Model.Layers[i].Weight);
            Assert.Equal(model.Layers[i].Bias, loaded.Model.Layers[i].Bias);
        }
        Assert.Equal(artifact.Scaler.Means, loaded.Scaler.Means);
        Assert.Equal(artifact.Scaler.Stds, loaded.Scaler.Stds);
        Assert.Equal(artifact.FeatureNames, loaded.FeatureNames);
        Assert.Null(loaded.TestMetrics);
        Assert.Equal((artifact.DataSha256, artifact.Seed), (loaded.DataSha256, loaded.Seed));
        Assert.Equal("9.9.9", loaded.Versions["churn"]);
        Assert.Equal("0.107.0", loaded.Versions["torchsharp"]);
        Assert.Contains("libtorch", loaded.Versions.Keys);
        Assert.Contains(".NET", loaded.Versions["dotnet"], StringComparison.Ordinal);
    }

    [Fact]
    public void Model_json_is_indented_camel_case_with_enums_as_strings()
    {
        var dir = Path.Combine(root, "model");
        ModelArtifact.Save(dir, Artifact(Trained.Value.Model, null)).Unwrap();
        var text = File.ReadAllText(Path.Combine(dir, ModelArtifact.ManifestFile));
        var json = JsonNode.Parse(text)!;
        Assert.Equal("relu", (string?)json["config"]!["activation"]);
        Assert.Equal(20, (int?)json["architecture"]!["width"]);
        Assert.Equal(10, (int?)json["architecture"]!["inputs"]);
        Assert.Equal(Schema.FeatureCount, json["featureNames"]!.AsArray().Count);
        Assert.NotNull(json["scaler"]!["means"]);
        Assert.NotNull(json["history"]![0]!["validationLoss"]);
        Assert.Contains("\n  \"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Saving_again_replaces_the_model_and_leaves_no_temporary_files()
    {
        var (model, _) = Trained.Value;
        var dir = Path.Combine(root, "model");
        ModelArtifact.Save(dir, Artifact(model, null) with { Seed = 1 }).Unwrap();
        ModelArtifact.Save(dir, Artifact(model, null) with { Seed = 2 }).Unwrap();
        Assert.Equal(2, ModelArtifact.Load(dir).Unwrap().Seed);
        Assert.Equal([ModelArtifact.ManifestFile, WeightsName(dir)], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        Assert.Matches("^weights-[0-9a-f]{16}\\.dat$", WeightsName(dir));
    }

    [Fact]
    public void Failed_save_leaves_the_existing_model_intact()
    {
        var (model, _) = Trained.Value;
        var dir = Path.Combine(root, "model");
        ModelArtifact.Save(dir, Artifact(model, null) with { Seed = 1 }).Unwrap();
        var broken = model with { Layers = model.Layers.RemoveAt(0) };
        Assert.False(ModelArtifact.Save(dir, Artifact(broken, null) with { Seed = 2 }).IsOk);
        Assert.Equal(1, ModelArtifact.Load(dir).Unwrap().Seed);
        Assert.Equal(2, Directory.GetFiles(dir).Length);
    }

    [Fact]
    public void Artifact_that_could_not_be_loaded_back_is_not_saved()
    {
        var dir = Path.Combine(root, "model");
        var artifact = Artifact(Trained.Value.Model, null) with { FeatureNames = ["only_one"] };
        var problem = Assert.IsType<Result<string>.Error>(ModelArtifact.Save(dir, artifact)).Problem;
        Assert.Contains("featureNames", problem.Reason, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Missing_directory_is_a_problem_naming_it()
    {
        var dir = Path.Combine(root, "nowhere");
        var problem = LoadProblem(dir);
        Assert.Equal(dir, problem.File);
        Assert.Contains("not found", problem.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Missing_file_is_a_problem_naming_it(bool manifest)
    {
        var dir = Saved();
        var file = manifest ? ModelArtifact.ManifestFile : WeightsName(dir);
        File.Delete(Path.Combine(dir, file));
        var problem = LoadProblem(dir);
        Assert.Equal(Path.Combine(dir, file), problem.File);
        Assert.Contains("not found", problem.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"formatVersion\": 1, ")]
    [InlineData("[]")]
    [InlineData("{}")]
    public void Malformed_json_is_a_problem_naming_model_json(string text)
    {
        var dir = Saved();
        File.WriteAllText(Path.Combine(dir, ModelArtifact.ManifestFile), text);
        var problem = LoadProblem(dir);
        Assert.Equal(Path.Combine(dir, ModelArtifact.ManifestFile), problem.File);
        Assert.StartsWith("malformed model description", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_config_in_model_json_is_a_problem_naming_the_field()
    {
        var dir = Saved();
        var path = Path.Combine(dir, ModelArtifact.ManifestFile);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["config"]!["dropout"] = 1.5;
        File.WriteAllText(path, json.ToJsonString());
        var problem = LoadProblem(dir);
        Assert.Equal((path, "config.dropout"), (problem.File, problem.Column));
    }

    [Fact]
    public void Damaged_weights_are_a_problem_naming_the_weights_file()
    {
        var dir = Saved();
        var weights = Path.Combine(dir, WeightsName(dir));
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(weights, bytes);
        var problem = LoadProblem(dir);
        Assert.Equal(weights, problem.File);
        Assert.Contains("SHA-256", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Weights_that_do_not_fit_the_architecture_are_a_problem_naming_the_weights_file()
    {
        var dir = Saved();
        var (model, _) = Trained.Value;
        var narrow = ModelConfig.Default with { Depth = 1, Width = 4 };
        var small = model with
        {
            Config = narrow,
            Layers = [new LayerWeights(10, 4, [.. new float[40]], [.. new float[4]]), new LayerWeights(4, 2, [.. new float[8]], [.. new float[2]])],
        };
        var other = Path.Combine(root, "other");
        ModelArtifact.Save(other, Artifact(small, null)).Unwrap();
        var weights = Path.Combine(dir, WeightsName(dir));
        File.Copy(Path.Combine(other, WeightsName(other)), weights, overwrite: true);
        // Make the checksum agree so the architecture check is what fails.
        var manifestPath = Path.Combine(dir, ModelArtifact.ManifestFile);
        var json = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        json["weightsSha256"] = JsonNode.Parse(File.ReadAllText(Path.Combine(other, ModelArtifact.ManifestFile)))!["weightsSha256"]!.GetValue<string>();
        File.WriteAllText(manifestPath, json.ToJsonString());
        var problem = LoadProblem(dir);
        Assert.Equal(weights, problem.File);
        Assert.Contains("architecture", problem.Reason, StringComparison.Ordinal);
    }

    private string Saved()
    {
        var dir = Path.Combine(root, "saved");
        ModelArtifact.Save(dir, Artifact(Trained.Value.Model, null)).Unwrap();
        return dir;
    }

    /// <summary>The weights file model.json names (the first member's, for an averaged model).</summary>
    private static string WeightsName(string dir) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(dir, ModelArtifact.ManifestFile)))!["weightsFile"]!.GetValue<string>();

    /// <summary>The files of the folder by name, hidden ones too: what a process killed at this moment leaves.</summary>
    private static Dictionary<string, byte[]> Files(string dir) => Directory.EnumerateFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    private static Problem LoadProblem(string dir) => Assert.IsType<Result<ModelArtifact>.Error>(ModelArtifact.Load(dir)).Problem;

    private static ModelArtifact Artifact(TrainedModel model, ClassificationMetrics? metrics) => new(
        model,
        new ScalerParameters(Schema.FeatureNames, [.. Enumerable.Range(0, 10).Select(i => i * 1.5)], [.. Enumerable.Range(1, 10).Select(i => i / 3.0)]),
        Schema.FeatureNames,
        metrics,
        new string('a', 64),
        7,
        ImmutableDictionary<string, string>.Empty,
        new Calibration(CalibrationMethod.Platt, 0.5, 0.16, 0.8, -1.7));

    [Fact]
    public void The_calibration_is_saved_and_scoring_applies_it_to_raw_customers()
    {
        var (model, test) = Trained.Value;
        var artifact = Artifact(model, null);
        var dir = Path.Combine(root, "model");
        ModelArtifact.Save(dir, artifact).Unwrap();
        var loaded = ModelArtifact.Load(dir).Unwrap();
        Assert.Equal(artifact.Calibration, loaded.Calibration);

        var scores = loaded.Score(test).Unwrap();
        var raw = Scoring.Probabilities(model, Scaler.Apply(artifact.Scaler, test.Inputs));
        Assert.Equal(raw, scores.Raw);
        Assert.Equal(artifact.Calibration.Apply(raw), scores.Probabilities);
        Assert.Equal(artifact.Calibration.Apply(raw, 0.3), loaded.Score(test, 0.3).Unwrap().Probabilities);
    }

    /// <summary>Three networks of one configuration trained on the same data with different seeds, as a search winner's seeds are.</summary>
    private static readonly Lazy<ImmutableArray<TrainedModel>> Seeds = new(() =>
    [
        .. new long[] { 3, 4, 5 }.Select(seed =>
        {
            var train = SyntheticData.Customers(500, seed: 11);
            var validation = SyntheticData.Customers(100, seed: 12);
            using var session = TrainingSession.Create(ModelConfig.Default with { Width = 20 }, train, validation, seed, Devices.Cpu, 1).Unwrap();
            for (var epoch = 1; epoch <= 3; epoch++)
            {
                session.RunEpoch(epoch).Unwrap();
                session.KeepBest();
            }
            return session.Finish();
        }),
    ]);

    [Fact]
    public void An_averaged_model_scores_its_members_mean_calibrated_on_the_validation_split_and_loads_like_any_model()
    {
        var members = Seeds.Value;
        var validation = SyntheticData.Customers(400, seed: 14);
        var test = SyntheticData.Customers(300, seed: 13);
        var scaler = new ScalerParameters(Schema.FeatureNames, [.. Enumerable.Repeat(0.0, 10)], [.. Enumerable.Repeat(1.0, 10)]);
        var mix = new ClassMix(0.5, 0.16);
        var averaged = ModelArtifact.Averaged(members, scaler, Schema.FeatureNames, new string('b', 64), 7, ImmutableDictionary<string, string>.Empty, validation, mix);

        // The calibration is the one fitted on the members' mean score over the validation split.
        var mean = Enumerable.Range(0, validation.Rows).Select(i => members.Average(m => Scoring.Probabilities(m, validation.Inputs)[i])).ToImmutableArray();
        var expected = Calibration.Fit(CalibrationMethod.Platt, mean, validation.Targets, 0.5, 0.16);
        Assert.Equal(expected, averaged.Calibration);

        var dir = Path.Combine(root, "averaged");
        ModelArtifact.Save(dir, averaged).Unwrap();
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, ModelArtifact.ManifestFile)))!;
        Assert.Equal(2, manifest["formatVersion"]!.GetValue<int>());
        // Each member's file is named by its number and the start of its SHA-256.
        Assert.All(manifest["members"]!.AsArray().Select((m, i) => (m!, i)), m =>
        {
            var sha = m.Item1["weightsSha256"]!.GetValue<string>();
            Assert.Matches("^[0-9a-f]{64}$", sha);
            Assert.Equal($"member-{m.i + 1}-{sha[..16]}.dat", m.Item1["weightsFile"]!.GetValue<string>());
        });
        Assert.Equal(manifest["members"]![0]!["weightsFile"]!.GetValue<string>(), manifest["weightsFile"]!.GetValue<string>());
        Assert.Equal([.. manifest["members"]!.AsArray().Select(m => m!["weightsFile"]!.GetValue<string>()), ModelArtifact.ManifestFile], Directory.GetFiles(dir).Select(Path.GetFileName).Order());

        var loaded = ModelArtifact.Load(dir).Unwrap();
        Assert.Equal(3, loaded.Networks.Length);
        var scores = loaded.Score(test).Unwrap();
        var scaled = Scaler.Apply(scaler, test.Inputs);
        var raw = Enumerable.Range(0, test.Rows).Select(i => members.Sum(m => Scoring.Probabilities(m, scaled)[i]) / 3).ToList();
        Assert.Equal(raw.Count, scores.Raw.Length);
        for (var i = 0; i < raw.Count; i++)
        {
            Assert.Equal(raw[i], scores.Raw[i], 12);
        }
        Assert.Equal(expected.Apply(scores.Raw), scores.Probabilities);
        // The members differ (different seeds), so the mean is not any one of them.
        Assert.NotEqual(Scoring.Probabilities(members[0], scaled), scores.Raw);
    }

    [Fact]
    public void An_averaged_model_with_a_damaged_member_or_a_format_that_disagrees_with_its_members_is_refused()
    {
        var members = Seeds.Value;
        var scaler = new ScalerParameters(Schema.FeatureNames, [.. Enumerable.Repeat(0.0, 10)], [.. Enumerable.Repeat(1.0, 10)]);
        var averaged = ModelArtifact.Averaged(members, scaler, Schema.FeatureNames, new string('b', 64), 7, ImmutableDictionary<string, string>.Empty, SyntheticData.Customers(200, seed: 14), new ClassMix(0.5, 0.16));
        var dir = Path.Combine(root, "averaged");
        ModelArtifact.Save(dir, averaged).Unwrap();

        var member = Path.Combine(dir, JsonNode.Parse(File.ReadAllText(Path.Combine(dir, ModelArtifact.ManifestFile)))!["members"]![1]!["weightsFile"]!.GetValue<string>());
        var bytes = File.ReadAllBytes(member);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(member, bytes);
        var damaged = Assert.IsType<Result<ModelArtifact>.Error>(ModelArtifact.Load(dir)).Problem;
        Assert.Equal(member, damaged.File);
        Assert.Contains("SHA-256", damaged.Reason);

        ModelArtifact.Save(dir, averaged).Unwrap();
        var path = Path.Combine(dir, ModelArtifact.ManifestFile);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"formatVersion\": 2", "\"formatVersion\": 1", StringComparison.Ordinal));
        var format = Assert.IsType<Result<ModelArtifact>.Error>(ModelArtifact.Load(dir)).Problem;
        Assert.Equal("members", format.Column);
    }

    private static ModelArtifact AveragedOf(ImmutableArray<TrainedModel> members, long seed) => ModelArtifact.Averaged(
        members, new ScalerParameters(Schema.FeatureNames, [.. Enumerable.Repeat(0.0, 10)], [.. Enumerable.Repeat(1.0, 10)]), Schema.FeatureNames,
        new string('b', 64), seed, ImmutableDictionary<string, string>.Empty, SyntheticData.Customers(200, seed: 14), new ClassMix(0.5, 0.16));

    /// <summary>The weights files model.json names: the one network's, or every member's.</summary>
    private static string[] WeightsNames(string dir)
    {
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, ModelArtifact.ManifestFile)))!;
        return manifest["members"] is JsonArray members ? [.. members.Select(m => m!["weightsFile"]!.GetValue<string>())] : [manifest["weightsFile"]!.GetValue<string>()];
    }

    /// <summary>
    /// A save over an existing model, with the folder copied after every change the save makes to it: each copy is what a
    /// process killed at that moment (SIGKILL: no clean-up runs) leaves. Up to the rename of model.json every copy loads
    /// the old model, scoring exactly as it did, its files byte for byte, even once all the new weights are in place
    /// beside them; from that rename on, the new model. A save into any copy then leaves model.json and the weights it
    /// names, nothing else. Single networks and averaged models, replacing each other.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void A_save_killed_at_any_point_leaves_the_old_model_whole_and_the_next_save_leaves_no_stray_file(bool oldAveraged, bool newAveraged)
    {
        var test = Trained.Value.Test;
        var old = oldAveraged ? AveragedOf(Seeds.Value, 1) : Artifact(Trained.Value.Model, null) with { Seed = 1 };
        var replacement = newAveraged ? AveragedOf(Seeds.Value, 2) : Artifact(Seeds.Value[1], null) with { Seed = 2 };
        var dir = Path.Combine(root, "model");
        ModelArtifact.Save(dir, old).Unwrap();
        var before = Files(dir);

        var copies = new List<(string Step, string Dir)>();
        ModelArtifact.Save(dir, replacement, step =>
        {
            var copy = Path.Combine(root, $"killed-{copies.Count}");
            Directory.CreateDirectory(copy);
            foreach (var (name, bytes) in Files(dir))
            {
                File.WriteAllBytes(Path.Combine(copy, name), bytes);
            }
            copies.Add((step, copy));
        }).Unwrap();

        var commit = copies.FindIndex(c => c.Step == "model.json in place");
        Assert.Equal(replacement.Networks.Length * 2, commit - 1);
        // The last moment before the commit: every new weights file is in place and the new model.json written beside the old.
        var (_, last) = copies[commit - 1];
        Assert.All(WeightsNames(dir), name => Assert.True(File.Exists(Path.Combine(last, name)), name));
        Assert.Single(Files(last).Keys, name => name.StartsWith(".model.json.", StringComparison.Ordinal) && name.EndsWith(".tmp", StringComparison.Ordinal));
        for (var i = 0; i < copies.Count; i++)
        {
            var (step, copy) = copies[i];
            var expected = i < commit ? old : replacement;
            var loaded = ModelArtifact.Load(copy);
            Assert.True(loaded.IsOk, $"after '{step}': {(loaded as Result<ModelArtifact>.Error)?.Problem}");
            Assert.Equal((expected.Seed, expected.Networks.Length), (loaded.Unwrap().Seed, loaded.Unwrap().Networks.Length));
            Assert.Equal(expected.Score(test).Unwrap().Raw, loaded.Unwrap().Score(test).Unwrap().Raw);
            if (i < commit)
            {
                var files = Files(copy);
                Assert.All(before, f => Assert.Equal(f.Value, files[f.Key]));
            }
        }
        Assert.Equal(WeightsNames(dir).Append(ModelArtifact.ManifestFile).Order(), Directory.GetFiles(dir).Select(Path.GetFileName).Order());

        foreach (var (step, copy) in copies)
        {
            // The same model as the old one again, so its weights' names are those already there before the commit.
            ModelArtifact.Save(copy, old with { Seed = 3 }).Unwrap();
            Assert.Equal(WeightsNames(copy).Append(ModelArtifact.ManifestFile).Order(), Directory.GetFiles(copy).Select(Path.GetFileName).Order());
            Assert.Equal(3, ModelArtifact.Load(copy).Unwrap().Seed);
        }
    }

    /// <summary>
    /// A folder as the previous version saved it (<c>weights.dat</c>; its model.json written by that version), with the
    /// leftovers a save of that version killed half way could leave: it loads, its model.json reads back and writes out
    /// byte for byte with this version's options, and a save over it leaves the new files only.
    /// </summary>
    [Fact]
    public void A_model_saved_by_an_earlier_version_loads_reads_back_byte_for_byte_and_a_save_over_it_removes_weights_dat()
    {
        var fixture = TestPaths.ModelV1;
        var dir = Path.Combine(root, "earlier");
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(fixture))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        }
        File.WriteAllText(Path.Combine(dir, $"weights.dat.tmp-4242-{Guid.NewGuid():N}"), "half");
        File.WriteAllText(Path.Combine(dir, $"model.json.tmp-4242-{Guid.NewGuid():N}"), "{");

        var loaded = ModelArtifact.Load(dir).Unwrap();
        Assert.Equal("weights.dat", WeightsName(dir));
        var bytes = File.ReadAllBytes(Path.Combine(fixture, ModelArtifact.ManifestFile));
        Assert.Equal(bytes, JsonSerializer.SerializeToUtf8Bytes(JsonSerializer.Deserialize<ModelManifest>(bytes, JsonFormat.Document), JsonFormat.Document));
        // What the options are for: a version such as 1.0.0+COMMIT is written with its "+", which the default encoder escapes.
        Assert.Contains("+", loaded.Versions["churn"], StringComparison.Ordinal);
        Assert.Contains("+", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);

        // Raw customers, as the model scores them (it takes logs of some features).
        var test = CustomerCsv.Load(TestPaths.BundledData).Unwrap().Data;
        var scores = loaded.Score(test).Unwrap().Raw;
        ModelArtifact.Save(dir, loaded).Unwrap();
        Assert.NotEqual("weights.dat", WeightsName(dir));
        Assert.Equal([ModelArtifact.ManifestFile, WeightsName(dir)], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        Assert.Equal(scores, ModelArtifact.Load(dir).Unwrap().Score(test).Unwrap().Raw);
    }

    /// <summary>An averaged model as the previous version named its members (<c>member-N.dat</c>) loads, and a save over it replaces them.</summary>
    [Fact]
    public void An_averaged_model_with_the_earlier_member_names_loads_and_a_save_over_it_removes_them()
    {
        var averaged = AveragedOf(Seeds.Value, 5);
        var dir = Path.Combine(root, "averaged-earlier");
        ModelArtifact.Save(dir, averaged).Unwrap();
        var path = Path.Combine(dir, ModelArtifact.ManifestFile);
        var text = File.ReadAllText(path);
        foreach (var (name, i) in WeightsNames(dir).Select((n, i) => (n, i)))
        {
            File.Move(Path.Combine(dir, name), Path.Combine(dir, $"member-{i + 1}.dat"));
            text = text.Replace($"\"{name}\"", $"\"member-{i + 1}.dat\"", StringComparison.Ordinal);
        }
        File.WriteAllText(path, text);

        var test = Trained.Value.Test;
        Assert.Equal(["member-1.dat", "member-2.dat", "member-3.dat"], WeightsNames(dir));
        Assert.Equal(averaged.Score(test).Unwrap().Raw, ModelArtifact.Load(dir).Unwrap().Score(test).Unwrap().Raw);
        ModelArtifact.Save(dir, averaged).Unwrap();
        Assert.Equal([.. WeightsNames(dir), ModelArtifact.ManifestFile], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        Assert.DoesNotContain("member-1.dat", WeightsNames(dir));
    }

    [Fact]
    public void A_model_saved_before_calibration_is_taken_as_trained_on_half_buyers_of_the_population_its_manifest_names()
    {
        var (model, test) = Trained.Value;
        var csv = Path.Combine(root, "customers.csv");
        File.WriteAllLines(csv, [.. Enumerable.Range(1, 40).Select(i => i % 4 == 0 ? Data.Rows.Buyer(i) : Data.Rows.NonBuyer(i))]);
        var loaded = CustomerCsv.Load(csv).Unwrap();
        var run = Path.Combine(root, "run");
        SplitFiles.Write(run, "c", Preparation.Prepare(loaded, PrepareOptions.Default).Unwrap()).Unwrap();
        var dir = Path.Combine(run, "model");
        ModelArtifact.Save(dir, Artifact(model, null) with { DataSha256 = loaded.Sha256 }).Unwrap();
        var manifest = Path.Combine(dir, ModelArtifact.ManifestFile);
        var node = JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
        Assert.True(node.Remove("calibration"));
        File.WriteAllText(manifest, node.ToJsonString());

        // One level up lies the run's manifest.json of the same data: 10 buyers in 40 customers.
        Assert.Equal(Calibration.Prior(0.5, 0.25), ModelArtifact.Load(dir).Unwrap().Calibration);

        // Without it the population is unknown: scoring needs a base rate.
        File.Delete(Path.Combine(run, SplitFiles.ManifestFileName));
        var legacy = ModelArtifact.Load(dir).Unwrap();
        Assert.Equal(Calibration.Prior(0.5, null), legacy.Calibration);
        Assert.Contains("--base-rate", Assert.IsType<Result<CustomerScores>.Error>(legacy.Score(test)).Problem.Reason);
        var raw = legacy.Score(test, 0.5).Unwrap().Raw;
        Assert.Equal(Calibration.Prior(0.5, 0.1).Apply(raw), legacy.Score(test, 0.1).Unwrap().Probabilities);
    }
}
