using Churn.Numerics.Pipeline;

namespace Churn.Tests.Pipeline;

/// <summary>The pipeline's decisions as plain values: which stage next, what a failure or cancel does, when a run is done.</summary>
public class RunPlanTests
{
    private static (RunPlan Plan, List<RunDecision> Decisions) CompleteAll(RunPlan plan)
    {
        var decisions = new List<RunDecision>();
        while (!plan.Ended)
        {
            (plan, var decision) = plan.Completed();
            decisions.Add(decision);
        }
        return (plan, decisions);
    }

    [Theory]
    [InlineData(false, true, true, "load balance scale split write train evaluate explain save")]
    [InlineData(false, false, true, "load balance scale split write")]
    [InlineData(true, true, true, "load train evaluate explain save")]
    [InlineData(false, true, false, "load balance scale split write train evaluate save")]
    [InlineData(true, true, false, "load train evaluate save")]
    [InlineData(false, false, false, "load balance scale split write")]
    public void A_run_goes_through_its_modes_stages_in_order_and_succeeds_after_the_last(bool fromSplits, bool trains, bool explains, string stages)
    {
        var (plan, first) = RunPlan.Start(RunStages.For(fromSplits, trains, explains));

        var (done, decisions) = CompleteAll(plan);

        Assert.Equal(new RunDecision.Begin("load"), first);
        Assert.Equal(stages.Split(' ').Skip(1).Select(s => (RunDecision)new RunDecision.Begin(s)).Append(new RunDecision.Succeed()), decisions);
        Assert.True(done.Ended);
        Assert.Equal(new RunDecision.Ignore(), done.Completed().Decision);
    }

    [Fact]
    public void A_failed_stage_ends_the_run_there_and_later_replies_are_ignored()
    {
        var plan = RunPlan.Start(RunStages.For(false, true)).Plan.Completed().Plan;

        var (failed, decision) = plan.Failed("balance", "no buyers");

        Assert.Equal(new RunDecision.Fail("balance", "no buyers"), decision);
        Assert.Equal("balance", failed.Stage);
        Assert.Equal(new RunDecision.Ignore(), failed.Completed().Decision);
        Assert.Equal(new RunDecision.Ignore(), failed.Cancel().Decision);
        Assert.Equal(new RunDecision.Ignore(), failed.Failed(null, "again").Decision);
    }

    [Fact]
    public void A_cancel_ends_a_data_stage_at_once_but_lets_training_stop_between_epochs()
    {
        var loading = RunPlan.Start(RunStages.For(true, true)).Plan;
        var training = loading.Completed().Plan;

        var (cancelledLoad, atLoad) = loading.Cancel();
        var (stopping, atTrain) = training.Cancel();
        var (stopped, afterStop) = stopping.TrainingStopped();

        Assert.Equal(new RunDecision.Cancelled("load"), atLoad);
        Assert.True(cancelledLoad.Ended);
        Assert.Equal(new RunDecision.StopTraining(), atTrain);
        Assert.True(stopping.Cancelling);
        Assert.False(stopping.Ended);
        Assert.Equal(new RunDecision.Ignore(), stopping.Cancel().Decision);
        Assert.Equal(new RunDecision.Cancelled("train"), afterStop);
        Assert.True(stopped.Ended);
    }

    [Fact]
    public void A_trainer_that_stops_fails_the_run_only_while_it_trains()
    {
        var loading = RunPlan.Start(RunStages.For(true, true)).Plan;
        var training = loading.Completed().Plan;

        Assert.Equal(new RunDecision.Ignore(), loading.TrainerStopped().Decision);
        Assert.Equal(new RunDecision.Fail("train", "the trainer stopped unexpectedly"), training.TrainerStopped().Decision);
        Assert.Equal(new RunDecision.Ignore(), training.Completed().Plan.TrainerStopped().Decision);
    }
}
