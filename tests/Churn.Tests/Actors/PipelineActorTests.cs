using Akka.Actor;
using Akka.Hosting;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Actors.Runs;
using Churn.Actors.Training;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Tests.Actors;

/// <summary>The pipeline's actors wired exactly as the host wires them, driven with pipeline-run messages.</summary>
public class PipelineActorTests(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private Func<IUntypedActorContext, IActorRef>? _trainers;

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.WithChurn(new ChurnParts { Pipeline = new PipelinePart(MaxConcurrentRuns: 2, TrainerFactory: context => (_trainers ?? DefaultTrainer)(context)) });

    private static IActorRef DefaultTrainer(IUntypedActorContext context) => context.ActorOf(TrainerActor.Props(), "trainer");

    private static RunSettings Settings(RunMode mode, string outDir, string? data = null, ModelConfig? model = null) =>
        new(mode, new RunSpec(data ?? TestPaths.BundledData, outDir, Preparation.DefaultPrefix, 0, BalanceStrategy.First, SplitRatios.Default, false,
            DeviceChoice.Cpu, model ?? ModelConfig.Default with { MaxEpochs = 3 }, LogFeatureNames: []), Threads: 1);

    private async Task<IRunEvent> RunToEnd(string runId, RunSettings settings, Akka.TestKit.TestProbe listener)
    {
        var runs = await ActorRegistry.GetAsync<RunsActor>();
        runs.Tell(new RunPipeline(runId, settings, listener.Ref));
        return (IRunEvent)await listener.FishForMessageAsync(m => m is RunSucceeded or RunFailed or RunCancelled, Patience);
    }

    [Fact]
    public async Task Prepare_run_goes_through_every_data_stage_and_writes_the_splits()
    {
        var listener = CreateTestProbe();
        var outDir = TestPaths.NewTempDirectory();
        var runs = await ActorRegistry.GetAsync<RunsActor>();

        runs.Tell(new RunPipeline("prep-1", Settings(RunMode.Prepare, outDir), listener.Ref));

        var stages = new List<string>();
        var outcome = await listener.FishForMessageAsync(m =>
        {
            if (m is StageCompleted s)
            {
                stages.Add(s.Stage);
            }

            return m is RunSucceeded or RunFailed;
        }, Patience);
        var succeeded = Assert.IsType<RunSucceeded>(outcome);
        Assert.Equal([Stage.Load, Stage.Balance, Stage.Scale, Stage.Split, Stage.Write], stages);
        var manifest = succeeded.Outputs.Manifest!;
        Assert.Equal(new ClassCounts(2237, 2237), manifest.After);
        Assert.Equal(new SplitSizes(3579, 447, 448), manifest.Splits);
        Assert.All(SplitFiles.FileNames(Preparation.DefaultPrefix), name => Assert.True(File.Exists(Path.Combine(outDir, name))));
    }

    [Fact]
    public async Task A_missing_file_fails_the_run_in_the_load_stage_naming_the_file()
    {
        var listener = CreateTestProbe();
        var outDir = TestPaths.NewTempDirectory();

        var outcome = await RunToEnd("missing-1", Settings(RunMode.Prepare, outDir, data: "/nonexistent/customers.csv"), listener);

        var failed = Assert.IsType<RunFailed>(outcome);
        Assert.Equal(Stage.Load, failed.Stage);
        Assert.Contains("/nonexistent/customers.csv", failed.Reason);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outDir));
    }

    [Fact]
    public async Task Full_run_trains_evaluates_and_saves_and_reports_every_epoch()
    {
        var listener = CreateTestProbe();
        var outDir = TestPaths.NewTempDirectory();
        var runs = await ActorRegistry.GetAsync<RunsActor>();

        runs.Tell(new RunPipeline("full-1", Settings(RunMode.Full, outDir), listener.Ref));

        var epochs = new List<int>();
        var outcome = await listener.FishForMessageAsync(m =>
        {
            if (m is EpochCompleted e)
            {
                epochs.Add(e.Metrics.Epoch);
            }

            return m is RunSucceeded or RunFailed;
        }, Patience);
        var succeeded = Assert.IsType<RunSucceeded>(outcome);
        Assert.Equal([1, 2, 3], epochs);
        Assert.Equal("cpu", succeeded.Outputs.Model!.Device);
        Assert.InRange(succeeded.Outputs.Report!.Test.Accuracy, 0.5, 1.0);
        Assert.True(File.Exists(Path.Combine(outDir, "metrics.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "report.png")));
        Assert.True(File.Exists(Path.Combine(outDir, "model", ModelArtifact.ManifestFile)));
    }

    [Fact]
    public async Task Trainer_falls_back_to_cpu_with_one_warning_when_its_device_fails()
    {
        var splits = await PreparedSplits();
        var devicesTried = new List<string>();
        SessionFactory failingCuda = (config, train, validation, seed, device, threads, weights, rate) =>
        {
            lock (devicesTried)
            {
                devicesTried.Add(device);
            }

            return device == "cuda"
                ? Result.Fail<TrainingSession>("CUDA error: out of memory (injected)")
                : TrainingSession.Create(config, train, validation, seed, device, threads, weights, rate);
        };
        var trainer = Sys.ActorOf(TrainerActor.Props(failingCuda, Devices.Probe));
        var listener = CreateTestProbe();

        await EventFilter.Warning(contains: "device 'cuda' failed: CUDA error: out of memory (injected); falling back to cpu")
            .ExpectOneAsync(async () =>
            {
                trainer.Tell(new TrainModel("fallback-1", splits, ModelConfig.Default with { MaxEpochs = 2 }, DeviceChoice.Cuda, 0, 1, listener.Ref));
                var trained = await listener.FishForMessageAsync(m => m is ModelTrained or TrainingFailed, Patience);
                Assert.Equal("cpu", Assert.IsType<ModelTrained>(trained).Model.Device);
            });
        Assert.Equal(["cuda", "cpu"], devicesTried);
    }

    [Fact]
    public async Task The_running_model_actor_stops_after_patience_epochs_without_improvement_and_returns_the_best_epochs_weights()
    {
        var splits = await PreparedSplits();
        var trainer = Sys.ActorOf(TrainerActor.Props());
        var listener = CreateTestProbe();
        var config = ModelConfig.Default with { MaxEpochs = 200, Patience = 3, MinDelta = 0 };

        trainer.Tell(new TrainModel("early-1", splits, config, DeviceChoice.Cpu, 7, 1, listener.Ref));
        var reported = new List<EpochMetrics>();
        object outcome;
        while ((outcome = await listener.FishForMessageAsync(m => m is EpochCompleted or ModelTrained or TrainingFailed, Patience)) is EpochCompleted epoch)
        {
            reported.Add(epoch.Metrics);
        }

        var model = Assert.IsType<ModelTrained>(outcome).Model;
        // Early stopping fed the epochs the actor reported: the epoch at which it says stop, and the best one.
        var stopping = EarlyStopping.Start(config.Patience, config.MinDelta);
        var stopAt = 0;
        foreach (var m in reported)
        {
            (stopping, var decision) = stopping.Observe(m.Epoch, m.ValidationLoss);
            if (decision == StopDecision.Stop)
            {
                stopAt = m.Epoch;
                break;
            }
        }

        Assert.True(stopAt is > 0 and < 200, $"early stopping never said stop in {reported.Count} epochs");
        Assert.Equal(Enumerable.Range(1, stopAt), reported.Select(m => m.Epoch));
        Assert.Equal((stopAt, stopAt - config.Patience), (model.EpochsRun, model.BestEpoch));
        Assert.Equal(stopping.BestEpoch, model.BestEpoch);
        Assert.Equal(reported, model.History);

        // The weights it returns are the best epoch's, not the last one's: scored on the validation split they give
        // that epoch's validation loss.
        var p = Scoring.Probabilities(model, splits.Validation.Inputs);
        var loss = -p.Select((q, i) => Math.Log(splits.Validation.Targets[i] == 1 ? q : 1 - q)).Average();
        var best = reported[model.BestEpoch - 1].ValidationLoss;
        var last = reported[^1].ValidationLoss;
        Assert.True(Math.Abs(loss - best) < 1e-4, $"validation loss of the returned weights {loss:F6}; best epoch's {best:F6}, last epoch's {last:F6}");
        Assert.True(Math.Abs(loss - last) > 1e-4, $"the last epoch's loss {last:F6} is the best's {best:F6}: this case cannot tell them apart");
    }

    [Fact]
    public async Task A_native_failure_in_training_ends_the_run_in_the_train_stage_and_the_system_goes_on()
    {
        SessionFactory broken = (_, _, _, _, _, _, _, _) => throw new System.Runtime.InteropServices.ExternalException("libtorch: simulated native failure");
        _trainers = context => context.ActorOf(TrainerActor.Props(broken, Devices.Probe), "trainer");
        var listener = CreateTestProbe();

        var outcome = await RunToEnd("native-1", Settings(RunMode.Full, TestPaths.NewTempDirectory()), listener);

        var failed = Assert.IsType<RunFailed>(outcome);
        Assert.Equal(Stage.Train, failed.Stage);
        Assert.Contains("simulated native failure", failed.Reason);
        Assert.Contains("epoch 1", failed.Reason);

        _trainers = null;
        var next = await RunToEnd("after-native", Settings(RunMode.Prepare, TestPaths.NewTempDirectory()), CreateTestProbe());
        Assert.IsType<RunSucceeded>(next);
    }

    [Fact]
    public async Task A_coordinator_that_breaks_still_ends_its_run_with_a_failure()
    {
        _trainers = _ => throw new InvalidOperationException("trainer factory bug");
        var listener = CreateTestProbe();

        var outcome = await RunToEnd("broken-1", Settings(RunMode.Full, TestPaths.NewTempDirectory()), listener);

        var failed = Assert.IsType<RunFailed>(outcome);
        Assert.Contains("trainer factory bug", failed.Reason);
    }

    [Fact]
    public async Task Cancelling_during_training_stops_between_epochs()
    {
        var listener = CreateTestProbe();
        var runs = await ActorRegistry.GetAsync<RunsActor>();
        var endless = ModelConfig.Default with { MaxEpochs = 10_000, Patience = 10_000 };
        var outDir = TestPaths.NewTempDirectory();

        runs.Tell(new RunPipeline("cancel-1", Settings(RunMode.Full, outDir, model: endless), listener.Ref));
        await listener.FishForMessageAsync(m => m is EpochCompleted, Patience);
        runs.Tell(new CancelRun("cancel-1"));

        var outcome = await listener.FishForMessageAsync(m => m is RunSucceeded or RunFailed or RunCancelled, TimeSpan.FromSeconds(5));
        Assert.Equal(Stage.Train, Assert.IsType<RunCancelled>(outcome).Stage);
        Assert.False(File.Exists(Path.Combine(outDir, "metrics.json")));
    }

    private static Task<Splits> PreparedSplits()
    {
        var loaded = CustomerCsv.Load(TestPaths.BundledData).Unwrap();
        return Task.FromResult(Preparation.Prepare(loaded, new PrepareOptions(BalanceStrategy.First, 0, SplitRatios.Default, false)).Unwrap().Splits);
    }
}
