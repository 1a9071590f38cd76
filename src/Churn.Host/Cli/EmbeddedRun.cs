using Akka.Actor;
using Akka.Hosting;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Actors.Runs;
using Churn.Host.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Churn.Host.Cli;

/// <summary>Runs one pipeline in an actor system inside this process and streams its events back.</summary>
public static class EmbeddedRun
{
    /// <summary>
    /// Starts the host, sends the runs actor a <see cref="RunPipeline"/>, hands every event to <paramref name="onEvent"/>
    /// and returns the outcome. Cancelling <paramref name="cancel"/> asks the run to stop and waits for it to say so.
    /// </summary>
    public static async Task<IRunEvent> ExecuteAsync(
        string runId, ChurnConfig config, RunSettings settings, IRunJournal? journal, bool verbose, Action<IRunEvent> onEvent, CancellationToken cancel,
        Action<string, TimeSpan>? timing = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var host = ChurnHostBuilder.Embedded(config, verbose, new ChurnParts { Pipeline = new PipelinePart(Journal: journal, MaxQueuedRuns: config.Host.Limits.MaxQueuedRuns) });
        timing?.Invoke("host built", clock.Elapsed);
        await host.StartAsync(CancellationToken.None);
        timing?.Invoke("host and actor system start", clock.Elapsed);
        clock.Restart();
        try
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var runs = await host.Services.GetRequiredService<IRequiredActor<RunsActor>>().GetAsync(CancellationToken.None);
            var (relay, events) = EventRelay.Open<IRunEvent>(system, "cli-relay");
            runs.Tell(new RunPipeline(runId, settings, relay));
            await using var registration = cancel.Register(() => runs.Tell(new CancelRun(runId)));
            var started = false;
            await foreach (var e in events.ReadAllAsync(CancellationToken.None))
            {
                if (!started && e is StageStarted && timing is not null)
                {
                    started = true;
                    timing($"process start to first stage (processor time so far {StartupClock.ProcessorTime.TotalMilliseconds:F0} ms)", StartupClock.SinceProcessStart);
                }

                onEvent(e);
                if (e is RunSucceeded or RunFailed or RunCancelled)
                {
                    return e;
                }
            }

            return new RunFailed(runId, Stage.Run, "the actor system stopped before the run ended");
        }
        finally
        {
            timing?.Invoke("pipeline", clock.Elapsed);
            clock.Restart();
            await host.StopAsync(CancellationToken.None);
            timing?.Invoke("shutdown", clock.Elapsed);
        }
    }
}
