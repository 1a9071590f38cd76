using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using Churn.Actors.Messages;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Model;

namespace Churn.Host.Api;

/// <summary>
/// The server-sent events of <c>GET /runs/{id}/events</c>, for the host that writes them and the CLI that reads them.
/// Events: <c>queued</c>, <c>started</c>, <c>stage</c>, <c>stage-completed</c>, <c>epoch</c>, <c>device-fallback</c>
/// (the device asked for failed and training went on on the cpu), then one <c>finished</c> whose data is the run as
/// <c>GET /runs/{id}</c> shows it; the stream ends after it.
/// </summary>
public static class RunEventStream
{
    public const string Queued = "queued";
    public const string Started = "started";
    public const string StageStartedEvent = "stage";
    public const string StageCompletedEvent = "stage-completed";
    public const string Epoch = "epoch";
    public const string DeviceFallback = "device-fallback";
    public const string Finished = "finished";

    /// <summary><c>GET /runs/events</c>'s first event: a page of runs as <c>GET /runs</c> gives it.</summary>
    public const string RunsEvent = "runs";

    /// <summary><c>GET /runs/events</c>'s event for a run that was queued, started, changed stage or epoch, or ended: its summary.</summary>
    public const string RunEvent = "run";

    /// <summary>One line per event; relaxed escaping keeps the text readable (event data is never put into HTML).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonFormat.Options) { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private sealed record QueuedData(string RunId, int Position);

    private sealed record StartedData(string RunId);

    private sealed record StageData(string RunId, string Stage);

    private sealed record StageCompletedData(string RunId, string Stage, string Detail, double ElapsedMs);

    private sealed record DeviceFallbackData(string RunId, string Device, string Reason);

    private sealed record EpochData(string RunId, int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy, double ElapsedMs);

    /// <summary>The event for a progress event of a run; null for its outcome, which the host reports from the store.</summary>
    public static (string Name, string Data)? Encode(IRunEvent e) => e switch
    {
        RunQueued q => (Queued, Serialize(new QueuedData(q.RunId, q.Position))),
        RunStarted s => (Started, Serialize(new StartedData(s.RunId))),
        StageStarted s => (StageStartedEvent, Serialize(new StageData(s.RunId, s.Stage))),
        StageCompleted c => (StageCompletedEvent, Serialize(new StageCompletedData(c.RunId, c.Stage, c.Detail, c.Elapsed.TotalMilliseconds))),
        EpochCompleted m => (Epoch, Serialize(new EpochData(
            m.RunId, m.Metrics.Epoch, m.Metrics.TrainLoss, m.Metrics.TrainAccuracy, m.Metrics.ValidationLoss, m.Metrics.ValidationAccuracy, m.Elapsed.TotalMilliseconds))),
        DeviceFellBack d => (DeviceFallback, Serialize(new DeviceFallbackData(d.RunId, d.Device, d.Reason))),
        _ => null,
    };

    /// <summary>
    /// What a finished run's stored stages and epochs say, in the order a live follower would have seen it. A device
    /// fallback is not stored: the run's metrics name the device it trained on.
    /// </summary>
    public static IEnumerable<(string Name, string Data)> Replay(StoredRun run, IReadOnlyList<StoredStage> stages, IReadOnlyList<StoredEpoch> epochs)
    {
        yield return (Queued, Serialize(new QueuedData(run.Id, 0)));
        if (run.StartedAt is null)
        {
            yield break;
        }

        yield return (Started, Serialize(new StartedData(run.Id)));
        foreach (var stage in stages)
        {
            yield return (StageStartedEvent, Serialize(new StageData(run.Id, stage.Stage)));
            if (stage.Stage == Stage.Train)
            {
                foreach (var e in epochs)
                {
                    yield return (Epoch, Serialize(new EpochData(run.Id, e.Epoch, e.TrainLoss, e.TrainAccuracy, e.ValidationLoss, e.ValidationAccuracy, e.ElapsedMs)));
                }
            }

            if (stage.CompletedAt is not null)
            {
                yield return (StageCompletedEvent, Serialize(new StageCompletedData(run.Id, stage.Stage, stage.Detail ?? "", stage.ElapsedMs ?? 0)));
            }
        }
    }

    /// <summary>The run event a progress frame stands for, for the CLI's progress lines; null for frames without one.</summary>
    public static IRunEvent? Decode(string name, string data) => name switch
    {
        StageStartedEvent => Deserialize<StageData>(data) is { } s ? new StageStarted(s.RunId, s.Stage) : null,
        StageCompletedEvent => Deserialize<StageCompletedData>(data) is { } c
            ? new StageCompleted(c.RunId, c.Stage, c.Detail, TimeSpan.FromMilliseconds(c.ElapsedMs))
            : null,
        Epoch => Deserialize<EpochData>(data) is { } m
            ? new EpochCompleted(m.RunId, new EpochMetrics(m.Epoch, m.TrainLoss, m.TrainAccuracy, m.ValidationLoss, m.ValidationAccuracy), TimeSpan.FromMilliseconds(m.ElapsedMs))
            : null,
        Queued => Deserialize<QueuedData>(data) is { } q ? new RunQueued(q.RunId, q.Position) : null,
        Started => Deserialize<StartedData>(data) is { } r ? new RunStarted(r.RunId) : null,
        DeviceFallback => Deserialize<DeviceFallbackData>(data) is { } d ? new DeviceFellBack(d.RunId, d.Device, d.Reason) : null,
        _ => null,
    };

    /// <summary>
    /// The events of a stream as they arrive, read by .NET's parser; events without data (keep-alives) and comments
    /// are skipped.
    /// </summary>
    public static async IAsyncEnumerable<(string Name, string Data)> Read(Stream stream, [EnumeratorCancellation] CancellationToken cancel)
    {
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancel))
        {
            if (item.Data.Length > 0)
            {
                yield return (item.EventType, item.Data);
            }
        }
    }

    /// <summary>One event's data: compact JSON in the one style (see <see cref="Json"/>).</summary>
    internal static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Json);

    /// <summary>One event's data, or null when it is not that event's.</summary>
    internal static T? Deserialize<T>(string data)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(data, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
