using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Tests.Model;

[Collection(TorchCollection.Name)]
public sealed class OneCycleScheduleTests : IDisposable
{
    private static readonly ModelConfig Constant = ModelConfig.Default with { Depth = 2, Width = 12, BatchSize = 50, MaxEpochs = 20 };
    private static readonly ModelConfig Cycle = Constant with { Schedule = LearningSchedule.OneCycle, CycleEpochs = 7, PeakLearningRate = 0.01 };

    private static readonly Dataset Train = SyntheticData.Customers(400, seed: 31);
    private static readonly Dataset Validation = SyntheticData.Customers(120, seed: 32);
    private static readonly Dataset Test = SyntheticData.Customers(200, seed: 33);

    private readonly string root = Directory.CreateTempSubdirectory("churn-one-cycle-tests-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void The_plain_network_on_one_cycle_runs_its_whole_schedule_instead_of_stopping_after_patience()
    {
        Assert.Equal((7, 7, 1), (Cycle.EpochLimit, Cycle.StoppingPatience, Cycle.NetworkCount));
        Assert.Equal((3, 3), ((Cycle with { MaxEpochs = 3 }).EpochLimit, (Cycle with { MaxEpochs = 3 }).StoppingPatience));
        Assert.Equal((20, 2), (Constant.EpochLimit, Constant.StoppingPatience));
        var model = TrainPlain(Cycle, seed: 3);
        Assert.Equal(7, model.EpochsRun);
        // The kept epoch is the best one (within min-delta), wherever in the schedule it fell.
        Assert.True(model.History[model.BestEpoch - 1].ValidationLoss <= model.History.Min(e => e.ValidationLoss) + Cycle.MinDelta);
    }

    [Fact]
    public void The_schedule_changes_training_and_the_same_seed_gives_the_same_history_and_model_files()
    {
        var first = TrainPlain(Cycle, seed: 3);
        var second = TrainPlain(Cycle, seed: 3);
        Assert.Equal(first.History, second.History);
        ModelArtifact.Save(Path.Combine(root, "a"), Artifact(first)).Unwrap();
        ModelArtifact.Save(Path.Combine(root, "b"), Artifact(second)).Unwrap();
        Assert.Equal(Files(Path.Combine(root, "a")), Files(Path.Combine(root, "b")));
        // Same seed, same initial weights: only the learning rate differs from the constant schedule's first epoch on.
        Assert.NotEqual(first.History[0], TrainPlain(Constant with { MaxEpochs = 1 }, seed: 3).History[0]);
    }

    [Fact]
    public void A_one_cycle_model_keeps_its_schedule_in_its_saved_configuration_and_scores_the_same_after_loading()
    {
        var model = TrainPlain(Cycle, seed: 4);
        Assert.Equal((LearningSchedule.OneCycle, 7, 0.01, 0), (model.Config.Schedule, model.Config.CycleEpochs, model.Config.PeakLearningRate, model.Config.Members));
        var dir = Path.Combine(root, "model");
        ModelArtifact.Save(dir, Artifact(model)).Unwrap();
        var loaded = ModelArtifact.Load(dir).Unwrap();
        Assert.Equal(model.Config, loaded.Model.Config);
        Assert.Equal(Scoring.Probabilities(model, Test.Inputs), Scoring.Probabilities(loaded.Model, Test.Inputs));
        // A constant schedule names no one-cycle settings, whatever the configuration carried for PLR.
        Assert.Equal((0, 0.0), ((ModelConfig.Plr with { Kind = ModelKind.Plain }).Used().CycleEpochs, (ModelConfig.Plr with { Kind = ModelKind.Plain }).Used().PeakLearningRate));
        Assert.Equal(LearningSchedule.Constant, (ModelConfig.Plr with { Schedule = LearningSchedule.OneCycle }).Used().Schedule);
    }

    [Theory]
    [InlineData("cycleEpochs", 0)]
    [InlineData("peakLearningRate", double.NaN)]
    [InlineData("peakLearningRate", 0)]
    [InlineData("schedule", 7)]
    public void Out_of_range_one_cycle_settings_of_the_plain_network_are_problems_naming_the_field(string field, double value)
    {
        var config = field switch
        {
            "cycleEpochs" => Cycle with { CycleEpochs = (int)value },
            "schedule" => Cycle with { Schedule = (LearningSchedule)(int)value },
            _ => Cycle with { PeakLearningRate = value },
        };
        Assert.Equal(field, Assert.IsType<Result<ModelConfig>.Error>(config.Validate()).Problem.Column);
        // With the constant schedule the plain network ignores them.
        Assert.True((config with { Schedule = LearningSchedule.Constant }).Validate().IsOk || field == "schedule");
    }

    private static TrainedModel TrainPlain(ModelConfig config, long seed) => TrainedFixtures.Train(config, Train, Validation, seed);

    private static ModelArtifact Artifact(TrainedModel model) => TrainedFixtures.Artifact(model, seed: 5);

    private static IEnumerable<(string, string)> Files(string dir) => TrainedFixtures.Files(dir);
}
