using System.Collections.Immutable;
using Churn.Actors.Training;
using Churn.Numerics.Model;

namespace Churn.Tests.Actors;

/// <summary>The decisions of the trial, trainer and model actors as plain values, without an actor system or torch.</summary>
public class TrainingStatesTests
{
    [Fact]
    public void A_trial_reports_one_outcome_with_the_session_time_of_its_last_epoch()
    {
        var state = TrialState.Start.Epoch(TimeSpan.FromMilliseconds(40)).Epoch(TimeSpan.FromMilliseconds(90));

        var (ended, first) = state.End();
        var (again, second) = ended.End();

        Assert.True(first);
        Assert.False(second);
        Assert.Equal(TimeSpan.FromMilliseconds(90), again.InSession);
        Assert.Equal(TimeSpan.FromMilliseconds(90), again.Epoch(TimeSpan.FromSeconds(5)).InSession);
    }

    [Fact]
    public void A_trainer_whose_gpu_model_broke_falls_back_to_the_cpu_once_then_fails_at_the_next_epoch()
    {
        var state = TrainerState<string>.On("cuda").Spawned("model-cuda").Epoch(1).Epoch(2)
            .Broke(new TrainerBreakage("DeviceFailedException: no kernel image", "no kernel image"));

        var (onCpu, fallBack) = state.ModelStopped("model-cuda");

        Assert.Equal(new TrainerStep.FallBack("cuda", "no kernel image"), fallBack);
        Assert.Equal("cpu", onCpu.Device);
        Assert.False(onCpu.Training);
        onCpu = onCpu.Spawned("model-cpu");
        Assert.True(onCpu.Training);

        var (failed, fail) = onCpu.Broke(new TrainerBreakage("InvalidOperationException: boom", "InvalidOperationException: boom")).ModelStopped("model-cpu");
        Assert.Equal(new TrainerStep.Fail(3, "InvalidOperationException: boom"), fail);
        Assert.False(failed.Training);
        Assert.Equal(TrainerStep.Nothing.Instance, failed.ModelStopped("model-cpu").Step);
    }

    [Fact]
    public void A_model_actor_that_stops_unasked_fails_training_and_one_that_finished_changes_nothing()
    {
        var (_, step) = TrainerState<string>.On("cpu").Spawned("model").Epoch(4).ModelStopped("model");
        Assert.Equal(new TrainerStep.Fail(5, "the model actor stopped unexpectedly"), step);

        var done = TrainerState<string>.On("mps").Spawned("model").Broke(new TrainerBreakage("x", "x")).Completed();
        Assert.False(done.Training);
        Assert.Equal((done, (TrainerStep)TrainerStep.Nothing.Instance), done.ModelStopped("model"));
    }

    [Fact]
    public void Only_the_stop_of_the_current_model_actor_decides_the_replaced_one_and_strangers_change_nothing()
    {
        var broken = TrainerState<string>.On("cuda").Spawned("model-cuda").Epoch(1).Broke(new TrainerBreakage("DeviceFailedException: lost", "lost"));
        var (onCpu, _) = broken.ModelStopped("model-cuda");
        onCpu = onCpu.Spawned("model-cpu");

        Assert.Equal((onCpu, (TrainerStep)TrainerStep.Nothing.Instance), onCpu.ModelStopped("model-cuda"));
        Assert.Equal((broken, (TrainerStep)TrainerStep.Nothing.Instance), broken.ModelStopped("someone else"));
        Assert.Equal(TrainerStep.Nothing.Instance, TrainerState<string>.On("cpu").ModelStopped("model").Step);
        Assert.IsType<TrainerStep.Fail>(onCpu.ModelStopped("model-cpu").Step);
    }

    [Theory]
    [InlineData(3, 10, new int[0], new[] { ModelNext.Continue, ModelNext.Continue, ModelNext.Finish })]
    [InlineData(5, 100, new[] { 2 }, new[] { ModelNext.Continue, ModelNext.Hold, ModelNext.Continue, ModelNext.Continue, ModelNext.Finish })]
    public void A_model_goes_on_holds_at_its_rungs_and_finishes_at_the_epoch_limit(int maxEpochs, int patience, int[] rungs, ModelNext[] expected)
    {
        var config = ModelConfig.Default with { MaxEpochs = maxEpochs, Patience = patience };
        var state = ModelState.Start(config);
        var seen = new List<ModelNext>();
        for (var epoch = 1; epoch <= expected.Length; epoch++)
        {
            (state, _, var next) = state.Training(epoch).Observed(1.0 / epoch, config.EpochLimit, [.. rungs]);
            seen.Add(next);
            Assert.Equal(next == ModelNext.Hold, state.Held);
            if (next == ModelNext.Hold)
            {
                (state, var resumeAt) = state.Resumed();
                Assert.Equal(epoch + 1, resumeAt);
                Assert.False(state.Held);
            }
        }
        Assert.Equal(expected, seen);
    }

    [Fact]
    public void A_model_stops_early_when_validation_loss_stops_improving_and_keeps_its_best_epoch()
    {
        var config = ModelConfig.Default with { MaxEpochs = 50, Patience = 2 };
        var state = ModelState.Start(config);
        var decisions = new List<(StopDecision Decision, ModelNext Next)>();
        double[] losses = [0.6, 0.5, 0.55, 0.56];
        for (var epoch = 1; epoch <= losses.Length; epoch++)
        {
            (state, var decision, var next) = state.Training(epoch).Observed(losses[epoch - 1], config.EpochLimit, ImmutableArray<int>.Empty);
            decisions.Add((decision, next));
        }

        Assert.Equal(StopDecision.Improved, decisions[1].Decision);
        Assert.Equal(ModelNext.Continue, decisions[2].Next);
        Assert.Equal((StopDecision.Stop, ModelNext.Finish), decisions[3]);
        Assert.Equal(2, state.Stopping.BestEpoch);
    }

    [Fact]
    public void Go_on_without_a_rung_to_leave_trains_nothing()
    {
        var (state, next) = ModelState.Start(ModelConfig.Default).Training(3).Resumed();

        Assert.Null(next);
        Assert.Equal(3, state.Epoch);
    }
}
