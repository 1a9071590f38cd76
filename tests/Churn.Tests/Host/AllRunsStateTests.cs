using Churn.Actors.Messages;
using Churn.Host.Api;
using Churn.Host.Store;
using Churn.Numerics.Model;

namespace Churn.Tests.Host;

/// <summary>The runs-wide event stream's decisions (what to tell, when the store must be read) as plain values.</summary>
public class AllRunsStateTests
{
    private static readonly DateTimeOffset Queued = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static RunSummary Stored(string id, string status, DateTimeOffset? started = null, string? error = null) =>
        new(id, status, "full", 0, null, null, Queued, started, null, null, error, null, RunLinks.For(id));

    private static EpochCompleted Epoch(string id, int epoch) => new(id, new EpochMetrics(epoch, 0.5, 0.8, 0.5, 0.8), TimeSpan.FromSeconds(1));

    [Fact]
    public void The_store_is_read_for_a_new_run_and_each_change_of_status_but_never_for_stages_or_epochs()
    {
        var view = AllRunsState.Empty;
        Assert.True(view.NeedsStored(new RunQueued("a", 0)));
        (view, _) = view.Follow(new RunQueued("a", 0), Stored("a", RunStatus.Queued));

        Assert.False(view.NeedsStored(new StageStarted("a", Stage.Load)));
        Assert.False(view.NeedsStored(Epoch("a", 3)));
        Assert.True(view.NeedsStored(new RunStarted("a")));
        Assert.True(view.NeedsStored(new RunFailed("a", Stage.Train, "broke")));
        Assert.True(view.NeedsStored(new StageStarted("b", Stage.Load)));
    }

    [Fact]
    public void Stages_and_epochs_are_told_from_the_events_over_the_last_stored_summary()
    {
        var started = Queued.AddSeconds(5);
        var view = AllRunsState.Empty;
        (view, _) = view.Follow(new RunQueued("a", 0), Stored("a", RunStatus.Queued));
        (view, _) = view.Follow(new RunStarted("a"), Stored("a", RunStatus.Running, started));
        (view, var moved) = view.Follow(new StageStarted("a", Stage.Train), null);
        Assert.True(moved);
        (view, moved) = view.Follow(Epoch("a", 2), null);
        Assert.True(moved);

        var (_, told) = view.Tell("a", null, started.AddSeconds(10));

        Assert.Equal(RunStatus.Running, told!.Status);
        Assert.Equal(Stage.Train, told.Stage);
        Assert.Equal(2, told.Epoch);
        Assert.Equal(started, told.StartedAt);
        Assert.Equal(10, told.DurationSeconds);
    }

    [Fact]
    public void An_event_that_does_not_move_the_run_is_not_told_and_the_same_progress_is_told_once()
    {
        var view = AllRunsState.Empty;
        (view, _) = view.Follow(new RunQueued("a", 0), Stored("a", RunStatus.Queued));
        (view, var first) = view.Tell("a", null, Queued);

        (view, var moved) = view.Follow(new StageCompleted("a", Stage.Load, "done", TimeSpan.Zero), null);
        var (_, again) = view.Tell("a", null, Queued);

        Assert.NotNull(first);
        Assert.False(moved);
        Assert.Null(again);
    }

    [Fact]
    public void The_store_is_a_step_ahead_of_the_events_the_events_win_until_the_outcome_which_the_store_tells_then_the_run_is_forgotten()
    {
        var view = AllRunsState.Empty;
        (view, _) = view.Follow(new RunQueued("a", 0), Stored("a", RunStatus.Running, Queued.AddSeconds(1)));
        var (_, queued) = view.Tell("a", null, Queued.AddSeconds(2));
        Assert.Equal(RunStatus.Queued, queued!.Status);
        Assert.Null(queued.StartedAt);

        (view, var moved) = view.Follow(new RunFailed("a", Stage.Load, "broke"), Stored("a", RunStatus.Failed, Queued.AddSeconds(1), "broke"));
        (view, var ended) = view.Tell("a", null, Queued.AddSeconds(3));

        Assert.True(moved);
        Assert.Equal(RunStatus.Failed, ended!.Status);
        Assert.Equal("broke", ended.Error);
        Assert.Empty(view.Here);
        Assert.Empty(view.Stored);
        Assert.Empty(view.Told);
    }

    [Fact]
    public void Runs_listed_on_the_first_page_are_not_told_again_until_they_change()
    {
        var view = AllRunsState.Empty.Listed([Stored("x", RunStatus.Running, Queued), Stored("y", RunStatus.Succeeded, Queued)]);

        var (same, unchanged) = view.Tell("x", Stored("x", RunStatus.Running, Queued), Queued);
        var (after, ended) = view.Tell("x", Stored("x", RunStatus.Succeeded, Queued), Queued);

        Assert.Equal(["x"], view.Told.Keys);
        Assert.Null(unchanged);
        Assert.Same(view, same);
        Assert.Equal(RunStatus.Succeeded, ended!.Status);
        Assert.Empty(after.Told);
    }

    [Fact]
    public void A_run_the_store_does_not_know_is_not_told()
    {
        var (_, told) = AllRunsState.Empty.Tell("nobody", null, Queued);

        Assert.Null(told);
    }
}
