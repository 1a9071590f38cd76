using System.Text.Json;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Actors.Runs;
using Churn.Host.Api;
using Churn.Host.Store;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Tests.Host;

/// <summary>The runs-wide event stream's decisions (what a run looks like after each event, what to tell) as plain values.</summary>
public class AllRunsStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static readonly RunSettings Settings =
        new(RunMode.Full, new RunSpec(TestPaths.BundledData, "out/a", Preparation.DefaultPrefix, 7, BalanceStrategy.Random, SplitRatios.Default, false, DeviceChoice.Cpu, ModelConfig.Default, LogFeatureNames: []));

    private static readonly RunLabels Named = new("baseline", ["q3"], null, false);

    private static RunQueued Queued(string id, int position = 0) => new(id, position, T0, Settings, Named);

    private static RunSummary Listed(string id, string status) =>
        new(id, status, "full", null, null, null, T0, status == RunStatus.Queued ? null : T0, null, null, null, null, RunLinks.For(id));

    private static EpochCompleted Epoch(string id, int epoch) => new(id, new EpochMetrics(epoch, 0.5, 0.8, 0.5, 0.8), TimeSpan.FromSeconds(1));

    private static RunSucceeded Succeeded(string id, DateTimeOffset at) => new(id, new RunOutputs(null, null, null, null, null, []), TimeSpan.FromSeconds(9), at);

    private static AllRunsState FollowAll(AllRunsState view, params IRunEvent[] events)
    {
        foreach (var e in events)
        {
            (view, _) = view.Follow(e);
        }

        return view;
    }

    [Fact]
    public void A_queued_event_alone_gives_the_runs_mode_time_labels_and_parameters()
    {
        var (view, moved) = AllRunsState.Empty.Follow(Queued("a"));
        var (_, told) = view.Tell("a", null, T0.AddSeconds(1));

        Assert.True(moved);
        Assert.Equal((RunStatus.Queued, "run", 1, T0), (told!.Status, told.Mode, told.Position, told.QueuedAt));
        Assert.Equal(("baseline", "q3"), (told.Name, Assert.Single(told.Tags)));
        Assert.Equal(7UL, told.Parameters!["seed"]!.GetValue<ulong>());
        Assert.Equal(ModelConfig.Default.MaxEpochs, told.Parameters["model.maxEpochs"]!.GetValue<int>());
        Assert.False(told.Parameters.ContainsKey("out"));
        Assert.Null(told.StartedAt);
        Assert.Null(told.DurationSeconds);
    }

    [Fact]
    public void Stages_and_epochs_move_the_run_and_its_duration_counts_from_the_recorded_start()
    {
        var started = T0.AddSeconds(5);
        var view = FollowAll(AllRunsState.Empty, Queued("a"), new RunStarted("a", started));
        (view, var moved) = view.Follow(new StageStarted("a", Stage.Train));
        Assert.True(moved);
        (view, moved) = view.Follow(Epoch("a", 2));
        Assert.True(moved);

        var (_, told) = view.Tell("a", null, started.AddSeconds(10));

        Assert.Equal((RunStatus.Running, Stage.Train, 2, (int?)null), (told!.Status, told.Stage, told.Epoch, told.Position));
        Assert.Equal(started, told.StartedAt);
        Assert.Equal(10, told.DurationSeconds);
    }

    [Fact]
    public void An_event_that_does_not_move_the_run_is_not_told_and_the_same_progress_is_told_once()
    {
        var view = FollowAll(AllRunsState.Empty, Queued("a"));
        (view, var first) = view.Tell("a", null, T0);

        (view, var moved) = view.Follow(new StageCompleted("a", Stage.Load, "done", TimeSpan.Zero));
        var (_, again) = view.Tell("a", null, T0);

        Assert.NotNull(first);
        Assert.False(moved);
        Assert.Null(again);
    }

    [Fact]
    public void New_labels_are_told_though_the_run_did_not_move()
    {
        var view = FollowAll(AllRunsState.Empty, Queued("a"), new RunStarted("a", T0));
        (view, _) = view.Tell("a", null, T0);

        (view, var moved) = view.Follow(new RunLabelled("a", new RunLabels("renamed", [], null, true)));
        var (_, told) = view.Tell("a", null, T0);

        Assert.True(moved);
        Assert.Equal(("renamed", true), (told!.Name, told.Archived));
        Assert.Empty(told.Tags);
    }

    [Theory]
    [InlineData("failed")]
    [InlineData("cancelled")]
    public void An_outcome_ends_the_run_with_its_stage_reason_and_time_then_the_run_is_forgotten(string status)
    {
        var started = T0.AddSeconds(1);
        var ended = T0.AddSeconds(4.5);
        IRunEvent outcome = status == RunStatus.Failed ? new RunFailed("a", Stage.Load, "broke", ended) : new RunCancelled("a", Stage.Load, "broke", ended);
        var view = FollowAll(AllRunsState.Empty, Queued("a"), new RunStarted("a", started), new StageStarted("a", Stage.Scale));

        (view, var moved) = view.Follow(outcome);
        (view, var told) = view.Tell("a", null, ended.AddHours(1));

        Assert.True(moved);
        Assert.Equal((status, Stage.Load, "broke", ended, 3.5), (told!.Status, told.Stage, told.Error, told.FinishedAt, told.DurationSeconds));
        Assert.Empty(view.Here);
        Assert.Empty(view.Told);
    }

    [Fact]
    public void A_run_cancelled_while_queued_has_no_duration()
    {
        var view = FollowAll(AllRunsState.Empty, Queued("a", 2), new RunCancelled("a", RunsState<string>.QueueStage, null, T0.AddSeconds(3)));

        var (_, told) = view.Tell("a", null, T0.AddSeconds(9));

        Assert.Equal((RunStatus.Cancelled, RunsState<string>.QueueStage, (double?)null, (int?)null), (told!.Status, told.Stage, told.DurationSeconds, told.Position));
    }

    [Fact]
    public void Events_of_a_run_not_seen_queued_are_ignored()
    {
        var (view, moved) = AllRunsState.Empty.Follow(new StageStarted("b", Stage.Load));

        Assert.False(moved);
        Assert.Empty(view.Here);
        Assert.Null(view.Tell("b", null, T0).Tell);
    }

    [Fact]
    public void A_listed_run_this_host_runs_shows_as_its_events_have_it_and_others_as_listed()
    {
        var view = FollowAll(AllRunsState.Empty, Queued("a"), new RunStarted("a", T0), new StageStarted("a", Stage.Train));

        var other = Listed("x", RunStatus.Running);

        Assert.Equal(Stage.Train, view.Overlay(Listed("a", RunStatus.Queued), T0).Stage);
        Assert.Same(other, view.Overlay(other, T0));
    }

    [Fact]
    public void Runs_listed_on_the_first_page_are_not_told_again_until_they_change()
    {
        var view = AllRunsState.Empty.Listed([Listed("x", RunStatus.Running), Listed("y", RunStatus.Succeeded)]);

        var (same, unchanged) = view.Tell("x", Listed("x", RunStatus.Running), T0);
        var (after, ended) = view.Tell("x", Listed("x", RunStatus.Succeeded), T0);

        Assert.Equal(["x"], view.Told.Keys);
        Assert.Null(unchanged);
        Assert.Same(view, same);
        Assert.Equal(RunStatus.Succeeded, ended!.Status);
        Assert.Empty(after.Told);
    }

    [Fact]
    public void A_run_the_store_does_not_know_is_not_told()
    {
        var (_, told) = AllRunsState.Empty.Tell("nobody", null, T0);

        Assert.Null(told);
    }

    /// <summary>The events' view and the store's, fed the same run: the same summary, word for word, at each change of status.</summary>
    [Fact]
    public void The_summary_built_from_events_is_the_one_the_store_gives_for_the_same_run()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "churn.db");
        using var store = SqliteRunStore.Open(path, T0).Unwrap();
        var started = T0.AddSeconds(1.25);
        var ended = T0.AddSeconds(7.125);
        store.Label("a", Named);
        store.RunQueued("a", Settings, T0);
        var view = FollowAll(AllRunsState.Empty, Queued("a"));
        string Json(RunSummary? s) => JsonSerializer.Serialize(s, RunEventStream.Json);

        Assert.Equal(Json(RunSummary.From(store.Get("a")!, T0)), Json(view.Tell("a", null, T0).Tell));

        store.RunStarted("a", started);
        store.StageStarted("a", Stage.Train, started);
        store.EpochRecorded("a", new EpochMetrics(1, 0.5, 0.8, 0.5, 0.8), TimeSpan.FromSeconds(1), started);
        view = FollowAll(view, new RunStarted("a", started), new StageStarted("a", Stage.Train), Epoch("a", 1));
        var now = started.AddSeconds(2);
        Assert.Equal(Json(RunSummary.From(store.Get("a")!, now)), Json(view.Tell("a", null, now).Tell));

        var outcome = Succeeded("a", ended);
        store.RunFinished("a", outcome, ended);
        view = FollowAll(view, outcome);
        Assert.Equal(Json(RunSummary.From(store.Get("a")!, now)), Json(view.Tell("a", null, now).Tell));
    }
}
