using System.Text.Json.Nodes;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Model;
using TorchSharp;

namespace Churn.Tests.Model;

[Collection(TorchCollection.Name)]
public sealed class PlrNetworkTests : IDisposable
{
    // Frequencies and embedding size that are not whole vectors, so the forward pass's padding is exercised.
    private static readonly ModelConfig Plr = ModelConfig.Plr with
    {
        Depth = 2,
        Width = 12,
        BatchSize = 50,
        Members = 3,
        Frequencies = 5,
        EmbeddingSize = 3,
        CycleEpochs = 6,
        PeakLearningRate = 0.02,
        DistilEpochs = 0,
    };

    private static readonly Dataset Train = SyntheticData.Customers(400, seed: 21);
    private static readonly Dataset Validation = SyntheticData.Customers(120, seed: 22);
    private static readonly Dataset Test = SyntheticData.Customers(300, seed: 23);
    private static readonly Lazy<TrainedModel> Trained = new(() => TrainPlr(Plr, seed: 5));
    private static readonly Lazy<TrainedModel> Distilled = new(() => TrainPlr(Plr with { DistilEpochs = 5 }, seed: 5));

    private readonly string root = Directory.CreateTempSubdirectory("churn-plr-tests-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void A_plr_model_saved_and_loaded_scores_bit_identically_and_reproduces_its_metrics()
    {
        var model = Trained.Value;
        var before = Metrics.Evaluate(model, Test, Schema.FeatureNames, seed: 2);
        var dir = Path.Combine(root, "model");
        ModelArtifact.Save(dir, Artifact(model)).Unwrap();
        var loaded = ModelArtifact.Load(dir).Unwrap();

        Assert.Equal(ModelKind.Plr, loaded.Model.Config.Kind);
        Assert.Equal(Scoring.Probabilities(model, Test.Inputs), Scoring.Probabilities(loaded.Model, Test.Inputs));
        Assert.Equal(before.Test, Metrics.Evaluate(loaded.Model, Test, loaded.FeatureNames, seed: 2).Test);
        Assert.Equal(ModelManifest.PlrFormat, (int?)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, ModelArtifact.ManifestFile)))!["formatVersion"]);
    }

    [Fact]
    public void The_same_seed_gives_the_same_history_weights_and_weights_file()
    {
        var first = Trained.Value;
        var second = TrainPlr(Plr, seed: 5);
        Assert.Equal(first.History, second.History);
        Assert.Equal(first.Plr!.Frequency, second.Plr!.Frequency);
        Assert.Equal(first.Plr.EmbeddingWeight, second.Plr.EmbeddingWeight);
        Assert.Equal(first.Plr.Layers.Select(l => l.Weight.ToArray()), second.Plr.Layers.Select(l => l.Weight.ToArray()));
        ModelArtifact.Save(Path.Combine(root, "a"), Artifact(first)).Unwrap();
        ModelArtifact.Save(Path.Combine(root, "b"), Artifact(second)).Unwrap();
        Assert.Equal(Files(Path.Combine(root, "a")), Files(Path.Combine(root, "b")));
        Assert.NotEqual(first.History, TrainPlr(Plr, seed: 6).History);
    }

    [Fact]
    public void The_managed_forward_pass_gives_torchs_evaluation_output_within_float_rounding()
    {
        var model = Trained.Value;
        using var network = PlrNetwork.FromWeights(model.Config, model.Plr).Unwrap();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var inputs = torch.tensor(RowMajor.Floats(Test.Inputs), [Test.Rows, Test.Inputs.ColumnCount]);
        var expected = torch.nn.functional.softmax(network.call(inputs), -1).mean([0]).select(1, 1).data<float>().ToArray();
        var managed = Scoring.Probabilities(model, Test.Inputs);
        Assert.Equal(expected.Length, managed.Length);
        for (var r = 0; r < expected.Length; r++)
        {
            Assert.True(Math.Abs(expected[r] - managed[r]) < 2e-5, $"row {r}: torch {expected[r]}, managed {managed[r]}");
        }
        Assert.True(managed.Distinct().Count() > Test.Rows / 2, "the members' mean should vary between customers");
    }

    [Fact]
    public void The_members_learn_a_learnable_problem_and_training_measures_what_scoring_gives()
    {
        var model = Trained.Value;
        var scores = Scoring.Probabilities(model, Validation.Inputs);
        var accuracy = scores.Select((p, i) => (p > 0.5 ? 1 : 0) == Validation.Targets[i]).Count(c => c) / (double)Validation.Rows;
        Assert.True(accuracy > 0.85, $"accuracy {accuracy}");
        Assert.Equal(model.History[^1].ValidationAccuracy, accuracy, 6);
        Assert.Equal(Plr.CycleEpochs, model.EpochsRun);
    }

    [Fact]
    public void A_model_json_whose_format_disagrees_with_its_network_kind_is_refused()
    {
        var dir = Path.Combine(root, "model");
        ModelArtifact.Save(dir, Artifact(Trained.Value)).Unwrap();
        var path = Path.Combine(dir, ModelArtifact.ManifestFile);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["formatVersion"] = ModelManifest.CurrentFormat;
        File.WriteAllText(path, json.ToJsonString());
        var problem = Assert.IsType<Result<ModelArtifact>.Error>(ModelArtifact.Load(dir)).Problem;
        Assert.Equal("config.kind", problem.Column);
    }

    [Theory]
    [InlineData("members", 0)]
    [InlineData("frequencies", 0)]
    [InlineData("embeddingSize", 0)]
    [InlineData("cycleEpochs", 0)]
    [InlineData("frequencyScale", double.NaN)]
    [InlineData("peakLearningRate", double.NaN)]
    [InlineData("peakLearningRate", 0)]
    [InlineData("members", 1000)]
    [InlineData("distilEpochs", -1)]
    public void Out_of_range_plr_settings_are_problems_naming_the_field(string field, double value)
    {
        var config = field switch
        {
            "members" => Plr with { Members = (int)value },
            "frequencies" => Plr with { Frequencies = (int)value },
            "embeddingSize" => Plr with { EmbeddingSize = (int)value },
            "cycleEpochs" => Plr with { CycleEpochs = (int)value },
            "frequencyScale" => Plr with { FrequencyScale = value },
            "distilEpochs" => Plr with { DistilEpochs = (int)value },
            _ => Plr with { PeakLearningRate = value },
        };
        Assert.Equal(field, Assert.IsType<Result<ModelConfig>.Error>(config.Validate()).Problem.Column);
    }

    [Fact]
    public void Distilled_members_become_one_network_that_follows_their_probabilities()
    {
        var members = Trained.Value;
        var distilled = Distilled.Value;
        Assert.Equal((1, 3), (distilled.Plr!.Members, members.Plr!.Members));
        Assert.Equal(Plr.CycleEpochs + 5, distilled.EpochsRun);
        Assert.True(distilled.BestEpoch > Plr.CycleEpochs, $"kept epoch {distilled.BestEpoch} is one of the members'");
        // The members' epochs are those of the undistilled network: the same seed trains the same members first.
        Assert.Equal(members.History, distilled.History.Take(Plr.CycleEpochs));
        var teacher = Scoring.Probabilities(members, Test.Inputs);
        var student = Scoring.Probabilities(distilled, Test.Inputs);
        var gap = teacher.Zip(student, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(gap < 0.1, $"mean gap to the members' probabilities {gap}");
        var accuracy = student.Select((p, i) => (p > 0.5 ? 1 : 0) == Test.Targets[i]).Count(c => c) / (double)Test.Rows;
        Assert.True(accuracy > 0.85, $"accuracy {accuracy}");
    }

    [Fact]
    public void A_distilled_model_scores_like_torch_and_the_same_after_saving_and_from_the_same_seed()
    {
        var model = Distilled.Value;
        using (var network = PlrNetwork.FromWeights(model.Config, model.Plr).Unwrap())
        using (torch.NewDisposeScope())
        using (torch.no_grad())
        {
            var inputs = torch.tensor(RowMajor.Floats(Test.Inputs), [Test.Rows, Test.Inputs.ColumnCount]);
            var expected = torch.nn.functional.softmax(network.call(inputs), -1).mean([0]).select(1, 1).data<float>().ToArray();
            var managed = Scoring.Probabilities(model, Test.Inputs);
            Assert.All(Enumerable.Range(0, Test.Rows), r => Assert.True(Math.Abs(expected[r] - managed[r]) < 2e-5, $"row {r}"));
        }
        var dir = Path.Combine(root, "distilled");
        ModelArtifact.Save(dir, Artifact(model)).Unwrap();
        var loaded = ModelArtifact.Load(dir).Unwrap();
        Assert.Equal(5, loaded.Model.Config.DistilEpochs);
        Assert.Equal(Scoring.Probabilities(model, Test.Inputs), Scoring.Probabilities(loaded.Model, Test.Inputs));
        ModelArtifact.Save(Path.Combine(root, "again"), Artifact(TrainPlr(Plr with { DistilEpochs = 5 }, seed: 5))).Unwrap();
        Assert.Equal(Files(dir), Files(Path.Combine(root, "again")));
    }

    [Fact]
    public void Early_stopping_starts_again_at_the_distilled_networks_first_epoch()
    {
        var config = Plr with { DistilEpochs = 4 };
        Assert.Equal((10, 10, 1, Plr.CycleEpochs + 1), (config.EpochLimit, config.StoppingPatience, config.ScoredMembers, config.StartStopping().RestartAt));
        var stopping = config.StartStopping();
        for (var epoch = 1; epoch <= Plr.CycleEpochs; epoch++)
        {
            stopping = stopping.Observe(epoch, 0.2).Next;
        }
        // Worse than the members' best, yet the distilled network's first loss: an improvement whose weights are kept.
        var (next, decision) = stopping.Observe(Plr.CycleEpochs + 1, 0.5);
        Assert.Equal((StopDecision.Improved, Plr.CycleEpochs + 1, 0.5), (decision, next.BestEpoch, next.BestLoss));
        Assert.Equal(0, (Plr with { DistilEpochs = 4, Kind = ModelKind.Plain }).StartStopping().RestartAt);
    }

    [Fact]
    public void The_one_cycle_rate_warms_up_to_its_peak_then_anneals_to_almost_nothing()
    {
        const double peak = 0.003;
        Assert.Equal(peak / 25, OneCycle.Rate(0, 1000, peak), 12);
        Assert.Equal(peak, OneCycle.Rate(300, 1000, peak), 12);
        Assert.True(OneCycle.Rate(150, 1000, peak) is > peak / 25 and < peak);
        Assert.True(OneCycle.Rate(999, 1000, peak) < peak / 1000);
        Assert.True(OneCycle.Rate(650, 1000, peak) < OneCycle.Rate(400, 1000, peak));
    }

    [Fact]
    public void The_plain_kind_trains_for_its_own_epochs_and_patience_and_ignores_unset_plr_settings()
    {
        Assert.True(ModelConfig.Default.Validate().IsOk);
        Assert.Equal(48, ModelConfig.Plr.EpochLimit);
        Assert.Equal(4, (ModelConfig.Plr with { MaxEpochs = 2 }).EpochLimit);
        Assert.Equal((100, 2, 1), (ModelConfig.Default.EpochLimit, ModelConfig.Default.StoppingPatience, ModelConfig.Default.NetworkCount));
        Assert.Equal((6, 6, 3), (Plr.EpochLimit, Plr.StoppingPatience, Plr.NetworkCount));
        Assert.Equal(2, (Plr with { MaxEpochs = 2 }).EpochLimit);
    }

    private static TrainedModel TrainPlr(ModelConfig config, long seed) => TrainedFixtures.Train(config, Train, Validation, seed, stopEarly: false);

    private static ModelArtifact Artifact(TrainedModel model) => TrainedFixtures.Artifact(model, seed: 5);

    private static IEnumerable<(string, string)> Files(string dir) => TrainedFixtures.Files(dir);
}
