using System.Diagnostics;
using Akka.Hosting;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Actors.Runs;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using Churn.Tests.Data;

namespace Churn.Tests.Actors;

/// <summary>Runs cancelled while their loader reads an endless file leave no loader behind: later runs still load.</summary>
public class LoaderCancelTests(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(output: output)
{
    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) => builder.WithChurn(new ChurnParts { Pipeline = new PipelinePart() });

    private static RunSettings Settings(string data, RunMode mode) =>
        new(mode, new RunSpec(data, TestPaths.NewTempDirectory(), Preparation.DefaultPrefix, 0, BalanceStrategy.Random, SplitRatios.Default, false,
            DeviceChoice.Cpu, ModelConfig.Default, LogFeatureNames: [], Limits: new DataLimits(MaxRows: long.MaxValue, MaxBytes: long.MaxValue)), Threads: 1);

    [Fact]
    public async Task Three_runs_cancelled_mid_read_of_an_endless_stream_then_a_normal_run_succeeds_within_30_seconds()
    {
        var runs = await ActorRegistry.GetAsync<RunsActor>();
        var writers = new List<Process>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var (fifo, writer) = LoaderLimitsTests.EndlessCustomers();
                writers.Add(writer);
                var probe = CreateTestProbe();
                runs.Tell(new RunPipeline($"endless-{i}", Settings(fifo, RunMode.Prepare), probe.Ref), probe.Ref);
                await probe.FishForMessageAsync<StageStarted>(s => s.Stage == Stage.Load, TimeSpan.FromSeconds(30));

                // Let the loader get well into the stream before the cancel.
                await Task.Delay(500, TestContext.Current.CancellationToken);
                runs.Tell(new CancelRun($"endless-{i}"), probe.Ref);
                await probe.FishForMessageAsync<RunCancelled>(_ => true, TimeSpan.FromSeconds(10));
            }

            var normal = CreateTestProbe();
            var clock = Stopwatch.StartNew();
            runs.Tell(new RunPipeline("normal", Settings(TestPaths.BundledData, RunMode.Prepare), normal.Ref), normal.Ref);
            var outcome = await normal.FishForMessageAsync(m => m is RunSucceeded or RunFailed or RunCancelled, TimeSpan.FromSeconds(30));

            Assert.IsType<RunSucceeded>(outcome);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        }
        finally
        {
            foreach (var writer in writers)
            {
                writer.Kill(entireProcessTree: true);
                writer.WaitForExit();
                writer.Dispose();
            }
        }
    }
}
