using System.Collections.Immutable;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using TorchSharp;

namespace Churn.Tests.Model;

[Collection(TorchCollection.Name)]
public class TrainingSessionTests
{
    private static readonly Dataset Train = SyntheticData.Customers(600, seed: 1);
    private static readonly Dataset Validation = SyntheticData.Customers(200, seed: 2);
    private static readonly ModelConfig Small = ModelConfig.Default with { Depth = 2, Width = 16, BatchSize = 50 };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Same_seed_gives_identical_history_and_weights(bool shuffleEachEpoch)
    {
        var config = Small with { ShuffleEachEpoch = shuffleEachEpoch };
        var first = TrainFixed(config, seed: 7, epochs: 4);
        var second = TrainFixed(config, seed: 7, epochs: 4);
        Assert.Equal(first.History, second.History);
        Assert.Equal(first.Layers.Length, second.Layers.Length);
        for (var i = 0; i < first.Layers.Length; i++)
        {
            Assert.Equal(first.Layers[i].Weight, second.Layers[i].Weight);
            Assert.Equal(first.Layers[i].Bias, second.Layers[i].Bias);
        }
    }

    [Fact]
    public void Same_seed_with_dropout_gives_identical_history()
    {
        var config = Small with { Dropout = 0.3 };
        Assert.Equal(TrainFixed(config, seed: 3, epochs: 3).History, TrainFixed(config, seed: 3, epochs: 3).History);
    }

    [Fact]
    public void Different_seed_gives_a_different_history()
    {
        var first = TrainFixed(Small, seed: 7, epochs: 3);
        var second = TrainFixed(Small, seed: 8, epochs: 3);
        Assert.NotEqual(first.History[0].TrainLoss, second.History[0].TrainLoss);
        Assert.NotEqual(first.History[^1].ValidationLoss, second.History[^1].ValidationLoss);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.01)]
    public void An_epoch_updates_the_weights_as_torch_optim_adam_does_on_the_same_batches(double weightDecay)
    {
        var config = Small with { BatchSize = 64, WeightDecay = weightDecay };
        var initial = TrainFixed(config, seed: 4, epochs: 0);
        var trained = TrainFixed(config, seed: 4, epochs: 1);

        using var scope = torch.NewDisposeScope();
        var linears = initial.Layers.Select(layer =>
        {
            var linear = torch.nn.Linear(layer.Inputs, layer.Outputs);
            using (torch.no_grad())
            {
                linear.weight!.copy_(torch.tensor(layer.Weight.ToArray(), [layer.Outputs, layer.Inputs]));
                linear.bias!.copy_(torch.tensor(layer.Bias.ToArray(), [layer.Outputs]));
            }
            return linear;
        }).ToList();
        var adam = torch.optim.Adam(linears.SelectMany(l => l.parameters()), config.LearningRate, weight_decay: weightDecay);
        var inputs = torch.tensor(Train.Inputs.ToRowArrays().SelectMany(row => row.Select(v => (float)v)).ToArray(), [Train.Rows, 10]);
        var targets = torch.tensor(Train.Targets.Select(t => (long)t).ToArray());
        for (var start = 0; start < Train.Rows; start += config.BatchSize)
        {
            var length = Math.Min(config.BatchSize, Train.Rows - start);
            adam.zero_grad();
            var x = inputs.narrow(0, start, length);
            foreach (var linear in linears.SkipLast(1))
            {
                x = torch.nn.functional.relu(linear.call(x));
            }
            torch.nn.functional.cross_entropy(linears[^1].call(x), targets.narrow(0, start, length)).backward();
            adam.step();
        }

        for (var i = 0; i < linears.Count; i++)
        {
            Assert.Equal(linears[i].weight!.data<float>().ToArray(), trained.Layers[i].Weight, (a, b) => a == b);
            Assert.Equal(linears[i].bias!.data<float>().ToArray(), trained.Layers[i].Bias, (a, b) => a == b);
        }
        Assert.NotEqual(initial.Layers[0].Weight, trained.Layers[0].Weight);
    }

    [Fact]
    public void Shuffling_each_epoch_changes_the_batches_and_so_the_history()
    {
        var fixedOrder = TrainFixed(Small, seed: 7, epochs: 3);
        var shuffled = TrainFixed(Small with { ShuffleEachEpoch = true }, seed: 7, epochs: 3);
        Assert.NotEqual(fixedOrder.History[^1].TrainLoss, shuffled.History[^1].TrainLoss);
    }

    [Fact]
    public void A_learnable_problem_reaches_high_accuracy_in_a_few_epochs()
    {
        var train = SyntheticData.Customers(3000, seed: 21);
        using var session = TrainingSession.Create(ModelConfig.Default with { LearningRate = 0.01 }, train, Validation, 0, Devices.Cpu, 1).Unwrap();
        for (var epoch = 1; epoch <= 5; epoch++)
        {
            session.RunEpoch(epoch).Unwrap();
        }
        var model = session.Finish();
        Assert.True(model.History[^1].ValidationAccuracy >= 0.95, $"validation accuracy {model.History[^1].ValidationAccuracy}");
        Assert.True(model.History[^1].TrainLoss < model.History[0].TrainLoss);
        var probabilities = Scoring.Probabilities(model, Validation.Inputs);
        var correct = probabilities.Zip(Validation.Targets, (p, t) => (p >= 0.5 ? 1 : 0) == t).Count(c => c);
        Assert.True(correct >= 0.95 * Validation.Rows, $"{correct} of {Validation.Rows} scored correctly");
    }

    [Fact]
    public void Every_activation_and_dropout_trains_and_scores_as_training_measured()
    {
        var fast = Small with { LearningRate = 0.01 };
        foreach (var config in new[]
        {
            fast with { Activation = Activation.Tanh },
            fast with { Dropout = 0.5 },
            fast with { Depth = 1, WeightDecay = 1e-3 },
            fast with { ShuffleEachEpoch = true, BatchSize = 7 },
        })
        {
            var model = TrainFixed(config, seed: 1, epochs: 5);
            Assert.True(model.History[^1].ValidationAccuracy >= 0.85, $"{config}: {model.History[^1].ValidationAccuracy}");
            // Scoring runs its own forward pass; it must agree with torch's evaluation during training.
            var probabilities = Scoring.Probabilities(model, Validation.Inputs);
            var correct = probabilities.Zip(Validation.Targets, (p, t) => (p >= 0.5 ? 1 : 0) == t).Count(c => c);
            Assert.Equal(model.History[^1].ValidationAccuracy, (double)correct / Validation.Rows);
        }
    }

    [Fact]
    public void With_the_population_rate_each_epoch_measures_the_calibrated_validation_loss_of_its_weights()
    {
        using var session = TrainingSession.Create(Small, Train, Validation, 0, Devices.Cpu, 1, populationRate: 0.16).Unwrap();
        var epochs = Enumerable.Range(1, 3).Select(e => session.RunEpoch(e).Unwrap()).ToList();
        var model = session.Finish();

        // The figure is the core's criterion on the finished network's validation scores (torch's float32 softmax vs the
        // managed forward pass: equal to a few parts in a million).
        var scores = Scoring.Probabilities(model, Validation.Inputs);
        var expected = Churn.Numerics.Evaluation.Calibration.CrossFittedLogLoss(scores, Validation.Targets, (double)Train.Targets.Count(t => t == 1) / Train.Rows, 0.16);
        Assert.All(epochs, e => Assert.True(double.IsFinite(e.CalibratedLoss) && e.CalibratedLoss > 0));
        Assert.Equal(expected, epochs[^1].CalibratedLoss, 4);

        using var without = TrainingSession.Create(Small, Train, Validation, 0, Devices.Cpu, 1).Unwrap();
        var plain = without.RunEpoch(1).Unwrap();
        Assert.True(double.IsNaN(plain.CalibratedLoss));
        // Measuring it changes nothing about training.
        Assert.Equal(epochs[0] with { CalibratedLoss = double.NaN }, plain);
    }

    [Fact]
    public void Nan_inputs_give_a_problem_naming_the_epoch_not_an_exception()
    {
        var poisoned = SyntheticData.WithRow(Train, 5, double.NaN);
        using var session = TrainingSession.Create(Small, poisoned, Validation, 0, Devices.Cpu, 1).Unwrap();
        var problem = Assert.IsType<Result<EpochMetrics>.Error>(session.RunEpoch(1)).Problem;
        Assert.StartsWith("loss became NaN at epoch 1", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Inputs_too_large_for_float32_give_a_problem_not_an_exception()
    {
        var huge = SyntheticData.WithRow(Train, 0, 1e300);
        using var session = TrainingSession.Create(Small, huge, Validation, 0, Devices.Cpu, 1).Unwrap();
        var problem = Assert.IsType<Result<EpochMetrics>.Error>(session.RunEpoch(1)).Problem;
        Assert.Matches("^loss became (NaN|infinite) at epoch 1", problem.Reason);
    }

    [Fact]
    public void Invalid_config_is_a_problem_from_create()
    {
        var result = TrainingSession.Create(Small with { Width = 0 }, Train, Validation, 0, Devices.Cpu, 1);
        Assert.Equal("width", Assert.IsType<Result<TrainingSession>.Error>(result).Problem.Column);
    }

    [Fact]
    public void Unusable_device_is_a_problem_from_create()
    {
        var result = TrainingSession.Create(Small, Train, Validation, 0, Devices.Cuda, 1);
        Assert.Equal("CUDA is not available", Assert.IsType<Result<TrainingSession>.Error>(result).Problem.Reason);
    }

    [Fact]
    public void Splits_without_rows_targets_or_matching_columns_are_problems_from_create()
    {
        var noRows = Train with { Ids = [], Inputs = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(0, 10), Targets = [] };
        var noTargets = Train with { Targets = [] };
        var badTarget = Train with { Targets = Train.Targets.SetItem(3, 2) };
        var narrow = SyntheticData.Customers(50, seed: 3, features: 9);
        Assert.Contains("no rows", Problem(noRows, Validation).Reason, StringComparison.Ordinal);
        Assert.Equal(Schema.TargetColumn, Problem(noTargets, Validation).Column);
        Assert.Contains("row 4", Problem(badTarget, Validation).Reason, StringComparison.Ordinal);
        Assert.Contains("9 input columns", Problem(Train, narrow).Reason, StringComparison.Ordinal);

        static Problem Problem(Dataset train, Dataset validation) =>
            Assert.IsType<Result<TrainingSession>.Error>(TrainingSession.Create(Small, train, validation, 0, Devices.Cpu, 1)).Problem;
    }

    [Fact]
    public void Empty_validation_split_makes_validation_figures_repeat_training_figures()
    {
        var empty = Validation with { Ids = [], Inputs = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(0, 10), Targets = [] };
        using var session = TrainingSession.Create(Small, Train, empty, 0, Devices.Cpu, 1).Unwrap();
        var metrics = session.RunEpoch(1).Unwrap();
        Assert.Equal(metrics.TrainLoss, metrics.ValidationLoss);
        Assert.Equal(metrics.TrainAccuracy, metrics.ValidationAccuracy);
    }

    [Fact]
    public void Finish_restores_the_weights_kept_as_best()
    {
        ImmutableArray<LayerWeights> atEpoch2;
        TrainedModel restored;
        using (var session = TrainingSession.Create(Small, Train, Validation, 5, Devices.Cpu, 1).Unwrap())
        {
            session.RunEpoch(1).Unwrap();
            session.KeepBest();
            session.RunEpoch(2).Unwrap();
            session.KeepBest();
            session.RunEpoch(3).Unwrap();
            session.RunEpoch(4).Unwrap();
            restored = session.Finish();
        }
        atEpoch2 = TrainFixed(Small, seed: 5, epochs: 2).Layers;
        Assert.Equal(2, restored.BestEpoch);
        Assert.Equal(4, restored.EpochsRun);
        Assert.Equal([1, 2, 3, 4], restored.History.Select(h => h.Epoch));
        Assert.Equal(Devices.Cpu, restored.Device);
        Assert.Equal(Small, restored.Config);
        for (var i = 0; i < atEpoch2.Length; i++)
        {
            Assert.Equal(atEpoch2[i].Weight, restored.Layers[i].Weight);
            Assert.Equal(atEpoch2[i].Bias, restored.Layers[i].Bias);
        }
    }

    [Fact]
    public void Network_has_the_configured_layers()
    {
        var model = TrainFixed(ModelConfig.Default with { Depth = 4, Width = 7 }, seed: 0, epochs: 1);
        Assert.Equal([(10, 7), (7, 7), (7, 7), (7, 7), (7, 2)], model.Layers.Select(l => (l.Inputs, l.Outputs)));
        Assert.All(model.Layers, l => Assert.Equal(l.Inputs * l.Outputs, l.Weight.Length));
    }

    [Fact]
    public void Many_epochs_do_not_leak_tensors()
    {
        var statistics = DisposeScopeManager.Statistics;
        var before = statistics.ThreadTotalLiveCount;
        using (var session = TrainingSession.Create(Small with { Dropout = 0.2 }, Train, Validation, 0, Devices.Cpu, 1).Unwrap())
        {
            session.RunEpoch(1).Unwrap();
            session.KeepBest();
            var afterOne = statistics.ThreadTotalLiveCount;
            for (var epoch = 2; epoch <= 30; epoch++)
            {
                session.RunEpoch(epoch).Unwrap();
                session.KeepBest();
            }
            Assert.Equal(afterOne, statistics.ThreadTotalLiveCount);
            session.Finish();
            Assert.Equal(afterOne, statistics.ThreadTotalLiveCount);
        }
        Assert.Equal(before, statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Create_inside_a_caller_scope_keeps_its_tensors_alive_after_the_scope()
    {
        TrainingSession session;
        using (torch.NewDisposeScope())
        {
            session = TrainingSession.Create(Small, Train, Validation, 0, Devices.Cpu, 1).Unwrap();
        }
        using (session)
        {
            Assert.True(session.RunEpoch(1).IsOk);
        }
    }

    private static TrainedModel TrainFixed(ModelConfig config, long seed, int epochs)
    {
        using var session = TrainingSession.Create(config, Train, Validation, seed, Devices.Cpu, 1).Unwrap();
        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            session.RunEpoch(epoch).Unwrap();
        }
        return session.Finish();
    }
}
