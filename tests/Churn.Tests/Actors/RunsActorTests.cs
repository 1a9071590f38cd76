using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Hosting;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Actors.Runs;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Tests.Actors;

/// <summary>
/// The runs actor's queue, cancel, followers, shutdown and journal, with a trainer that trains until told to stop, so
/// that runs stay running as long as a test needs.
/// </summary>
public class RunsActorTests(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly RecordingJournal _journal = new();

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.WithChurn(new ChurnParts { Pipeline = new PipelinePart(MaxConcurrentRuns: 2, TrainerFactory: context => context.ActorOf(Props.Create(() => new IdleTrainer()), "trainer"), Journal: _journal) });

    private static RunSettings Settings(RunMode mode = RunMode.Full) =>
        new(mode, new RunSpec(TestPaths.BundledData, TestPaths.NewTempDirectory(), Preparation.DefaultPrefix, 0, BalanceStrategy.First, SplitRatios.Default, false,
            DeviceChoice.Cpu, ModelConfig.Default, LogFeatureNames: []), Threads: 1);

    [Fact]
    public async Task Runs_beyond_the_limit_wait_in_order_and_start_as_slots_free()
    {
        var runs = await ActorRegistry.GetAsync<RunsActor>();
        var (a, b, c) = (CreateTestProbe(), CreateTestProbe(), CreateTestProbe());

        Assert.Equal(0, (await runs.Ask<RunAccepted>(new RunPipeline("a", Settings(), a.Ref), Patience)).Position);
        Assert.Equal(0, (await runs.Ask<RunAccepted>(new RunPipeline("b", Settings(), b.Ref), Patience)).Position);
        Assert.Equal(1, (await runs.Ask<RunAccepted>(new RunPipeline("c", Settings(), c.Ref), Patience)).Position);
        await InTraining(a);
        await InTraining(b);
        Assert.DoesNotContain("started c", _journal.Entries);

        Assert.Equal(CancelOutcome.Cancelling, (await runs.Ask<CancelRunResponse>(new CancelRun("a"), Patience)).Outcome);
        var cancelled = await a.FishForMessageAsync<RunCancelled>(_ => true, Patience);
        Assert.Equal(Stage.Train, cancelled.Stage);
        await c.FishForMessageAsync<RunStarted>(_ => true, Patience);

        Assert.Equal(["queued a", "started a", "queued b", "started b", "queued c"], _journal.Entries.Where(e => e.StartsWith("queued", StringComparison.Ordinal) || e.StartsWith("started", StringComparison.Ordinal)).Take(5));
        Assert.Contains("finished a RunCancelled", _journal.Entries);
        Assert.True(_journal.Entries.IndexOf("finished a RunCancelled") < _journal.Entries.IndexOf("started c"));
    }

    [Fact]
    public async Task A_queued_run_cancelled_ends_at_once_without_starting()
    {
        var runs = await ActorRegistry.GetAsync<RunsActor>();
        var waiting = CreateTestProbe();
        runs.Tell(new RunPipeline("x", Settings(), CreateTestProbe().Ref));
        runs.Tell(new RunPipeline("y", Settings(), CreateTestProbe().Ref));
        runs.Tell(new RunPipeline("z", Settings(), waiting.Ref));

        var response = await runs.Ask<CancelRunResponse>(new CancelRun("z"), Patience);

        Assert.Equal(CancelOutcome.Cancelled, response.Outcome);
        Assert.Equal("queue", (await waiting.FishForMessageAsync<RunCancelled>(_ => true, Patience)).Stage);
        Assert.DoesNotContain("started z", _journal.Entries);
        Assert.Contains("finished z RunCancelled", _journal.Entries);
        Assert.Equal(CancelOutcome.NotActive, (await runs.Ask<CancelRunResponse>(new CancelRun("z"), Patience)).Outcome);
    }

    [Fact]
    public async Task A_follower_gets_what_happened_so_far_then_every_event_to_the_end()
    {
        var runs = await ActorRegistry.GetAsync<RunsActor>();
        var listener = CreateTestProbe();
        var follower = CreateTestProbe();
        runs.Tell(new RunPipeline("f", Settings(), listener.Ref));
        await InTraining(listener);

        var subscription = await runs.Ask<RunSubscription>(new FollowRun("f", follower.Ref), Patience);
        runs.Tell(new CancelRun("f"));

        Assert.True(subscription.Active);
        Assert.IsType<RunQueued>(subscription.SoFar[0]);
        Assert.IsType<RunStarted>(subscription.SoFar[1]);
        Assert.Contains(subscription.SoFar, e => e is StageStarted { Stage: Stage.Train });
        await follower.FishForMessageAsync<RunCancelled>(_ => true, Patience);
        var after = await runs.Ask<RunSubscription>(new FollowRun("f", follower.Ref), Patience);
        Assert.False(after.Active);
    }

    [Fact]
    public async Task A_follower_of_every_run_gets_what_the_active_runs_did_so_far_then_every_event_of_every_run_in_order()
    {
        var runs = await ActorRegistry.GetAsync<RunsActor>();
        var (early, late) = (CreateTestProbe(), CreateTestProbe());
        var watcher = CreateTestProbe();
        runs.Tell(new RunPipeline("early", Settings(), early.Ref));
        await InTraining(early);

        var followed = await runs.Ask<AllRunsFollowed>(new FollowAllRuns(watcher.Ref), Patience);
        runs.Tell(new RunPipeline("late", Settings(RunMode.Prepare), late.Ref));
        var heard = new List<IRunEvent>();
        while (heard.Count == 0 || heard[^1] is not RunSucceeded)
        {
            heard.Add(await late.ExpectMsgAsync<IRunEvent>(Patience));
        }
        runs.Tell(new CancelRun("early"));
        await early.FishForMessageAsync<RunCancelled>(_ => true, Patience);

        Assert.IsType<RunQueued>(followed.SoFar[0]);
        Assert.All(followed.SoFar, e => Assert.Equal("early", e.RunId));
        Assert.Contains(followed.SoFar, e => e is StageStarted { Stage: Stage.Train });
        var told = new List<IRunEvent>();
        while (!told.Any(e => e is RunCancelled { RunId: "early" }))
        {
            told.Add(await watcher.ExpectMsgAsync<IRunEvent>(Patience));
        }
        // The late run's every event, from its queueing to its end, in the order its own listener got them; the early
        // run's from where the reply left off (no second queued or started).
        Assert.IsType<RunQueued>(heard[0]);
        Assert.Equal(heard, told.Where(e => e.RunId == "late"));
        Assert.DoesNotContain(told, e => e is RunQueued { RunId: "early" } or RunStarted { RunId: "early" });
    }

    [Fact]
    public async Task Stopping_all_runs_cancels_queued_and_running_ones_refuses_new_ones_and_answers_when_done()
    {
        var runs = await ActorRegistry.GetAsync<RunsActor>();
        var (a, b, c) = (CreateTestProbe(), CreateTestProbe(), CreateTestProbe());
        runs.Tell(new RunPipeline("s1", Settings(), a.Ref));
        runs.Tell(new RunPipeline("s2", Settings(), b.Ref));
        runs.Tell(new RunPipeline("s3", Settings(), c.Ref));
        await InTraining(a);

        await runs.Ask<AllRunsStopped>(new StopAllRuns(TimeSpan.FromSeconds(20)), Patience);

        foreach (var (probe, id) in new[] { (a, "s1"), (b, "s2"), (c, "s3") })
        {
            var cancelled = await probe.FishForMessageAsync<RunCancelled>(_ => true, Patience);
            Assert.Equal("the host shut down", cancelled.Reason);
            Assert.Contains($"finished {id} RunCancelled", _journal.Entries);
        }

        var refused = await runs.Ask<RunRejected>(new RunPipeline("late", Settings(), CreateTestProbe().Ref), Patience);
        Assert.Contains("shutting down", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_journal_that_fails_does_not_stop_the_runs()
    {
        _journal.Fail = true;
        var runs = await ActorRegistry.GetAsync<RunsActor>();
        var listener = CreateTestProbe();

        runs.Tell(new RunPipeline("unrecorded", Settings(RunMode.Prepare), listener.Ref));

        await listener.FishForMessageAsync<RunSucceeded>(_ => true, Patience);
        Assert.Empty(_journal.Entries);
    }

    private static async Task InTraining(Akka.TestKit.TestProbe listener) =>
        await listener.FishForMessageAsync<StageStarted>(s => s.Stage == Stage.Train, Patience);

    /// <summary>Trains forever: answers only a stop, as the real trainer does between epochs.</summary>
    private sealed class IdleTrainer : ReceiveActor
    {
        public IdleTrainer()
        {
            IActorRef? replyTo = null;
            Receive<TrainModel>(m => replyTo = m.ReplyTo);
            Receive<StopTraining>(m => replyTo?.Tell(new TrainingStopped(m.RunId, 0)));
        }
    }

    /// <summary>Writes down every call, in order; or, with <see cref="Fail"/>, throws on every call like a full disk.</summary>
    private sealed class RecordingJournal : IRunJournal
    {
        private readonly ConcurrentQueue<string> _entries = new();

        public bool Fail { get; set; }

        public List<string> Entries => [.. _entries];

        public void RunQueued(string runId, RunSettings settings, DateTimeOffset at) => Add($"queued {runId}");

        public void RunStarted(string runId, DateTimeOffset at) => Add($"started {runId}");

        public void StageStarted(string runId, string stage, DateTimeOffset at) => Add($"stage {runId} {stage}");

        public void StageCompleted(string runId, string stage, string detail, TimeSpan elapsed, DateTimeOffset at) => Add($"completed {runId} {stage}");

        public void EpochRecorded(string runId, EpochMetrics metrics, TimeSpan elapsed, DateTimeOffset at) => Add($"epoch {runId} {metrics.Epoch}");

        public void RunFinished(string runId, IRunEvent outcome, DateTimeOffset at) => Add($"finished {runId} {outcome.GetType().Name}");

        private void Add(string entry)
        {
            if (Fail)
            {
                throw new IOException("disk full");
            }

            _entries.Enqueue(entry);
        }
    }
}
