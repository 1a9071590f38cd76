using System.Net.ServerSentEvents;
using System.Threading.Channels;
using Akka.Actor;
using Churn.Actors;
using Microsoft.AspNetCore.Http;

namespace Churn.Host.Api;

/// <summary>
/// The host's open event streams, runs', searches' and logs' together: each holds a connection (and often an actor or
/// a file reader) for as long as its client stays, so together they may be at most <c>host.limits.maxEventStreams</c>.
/// </summary>
internal sealed class EventStreams(int limit, CancellationToken stopping)
{
    private int _open;

    /// <summary>How long a stream may stay silent before it writes a comment line, so both ends notice a connection that has gone.</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a stream stays open once the host begins to stop: long enough to tell how the runs it cancels ended,
    /// short enough that a stream whose end never comes does not keep the server from stopping.
    /// </summary>
    public static readonly TimeSpan StopGrace = ChurnActorsSetup.StopGrace + TimeSpan.FromSeconds(2);

    /// <summary>
    /// Serves one event stream: takes a place among the host's streams (429 and what to poll instead when none is
    /// left), then runs <paramref name="write"/>, whose events ASP.NET's server-sent events result
    /// (<see cref="TypedResults.ServerSentEvents{T}(IAsyncEnumerable{SseItem{T}})"/>) frames and sends as they come,
    /// until it returns, the client goes away or the host has been stopping for <see cref="StopGrace"/>; then frees
    /// the place.
    /// </summary>
    public async Task ServeAsync(HttpContext context, string poll, Func<EventStream, Task> write)
    {
        using var place = TryOpen();
        if (place is null)
        {
            context.Response.Headers.RetryAfter = "10";
            await ApiProblem.Of(StatusCodes.Status429TooManyRequests, "too many event streams",
                $"{limit} event streams are open (host.limits.maxEventStreams); close one or poll GET /{poll}").ExecuteAsync(context);
            return;
        }

        context.Response.Headers["X-Accel-Buffering"] = "no";
        using var give = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        using var stop = stopping.Register(() => give.CancelAfter(StopGrace));
        // Bounded: a client that reads slowly slows its writer down rather than growing the host's memory.
        var events = Channel.CreateBounded<SseItem<string>>(new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = true });
        var stream = new EventStream(events.Writer, give.Token);
        var writing = WriteAsync(stream, write, events.Writer);
        try
        {
            await TypedResults.ServerSentEvents(events.Reader.ReadAllAsync(give.Token)).ExecuteAsync(context);
        }
        catch (OperationCanceledException)
        {
            // The client went away, or the host is stopping.
        }
        finally
        {
            await give.CancelAsync();
            await writing;
            stream.Close();
        }
    }

    private static async Task WriteAsync(EventStream stream, Func<EventStream, Task> write, ChannelWriter<SseItem<string>> events)
    {
        try
        {
            // The result sends the headers with the first event: this one goes at once, so the client knows its
            // stream is open before the first real event, which may be minutes away (a log line, a search's trial).
            await stream.KeepAliveNowAsync();
            await write(stream);
        }
        catch (OperationCanceledException)
        {
            // The client went away, or the host is stopping.
        }
        catch (ChannelClosedException)
        {
            // The actor system stopped under a follower: there is nothing more to tell.
        }
        finally
        {
            events.TryComplete();
        }
    }

    private Place? TryOpen()
    {
        if (Interlocked.Increment(ref _open) > limit)
        {
            Interlocked.Decrement(ref _open);
            return null;
        }
        return new Place(this);
    }

    private sealed class Place(EventStreams streams) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref streams._open);
    }
}

/// <summary>One open event stream: how to send its events and wait for what comes next, and when to give up.</summary>
internal sealed class EventStream(ChannelWriter<SseItem<string>> events, CancellationToken cancel)
{
    /// <summary>
    /// The event a stream sends when it has been silent for <see cref="EventStreams.KeepAlive"/>, so both ends notice a
    /// connection that has gone. Its data is empty, and readers skip events without data (as <c>EventSource</c>
    /// dispatches nothing to a page that does not listen for it): the result has no comment line to send instead.
    /// </summary>
    public const string KeepAliveEvent = "keep-alive";

    private readonly List<Action> _onClose = [];
    private long _lastWrite = Environment.TickCount64;

    /// <summary>Cancelled when the client goes away or the host has stopped for long enough.</summary>
    public CancellationToken Cancel => cancel;

    /// <summary>Sends one event (its data one line of JSON).</summary>
    public async Task WriteAsync(string name, string data)
    {
        await events.WriteAsync(new SseItem<string>(data, name), cancel);
        _lastWrite = Environment.TickCount64;
    }

    public Task WriteAsync((string Name, string Data) frame) => WriteAsync(frame.Name, frame.Data);

    /// <summary>
    /// Awaits <paramref name="next"/>, sending a keep-alive each time <see cref="EventStreams.KeepAlive"/> passes
    /// first. The same read is awaited throughout: a channel's single reader must not start a second one while one is
    /// pending.
    /// </summary>
    public async Task<T> NextAsync<T>(ValueTask<T> next)
    {
        var pending = next.AsTask();
        while (true)
        {
            try
            {
                return await pending.WaitAsync(EventStreams.KeepAlive, cancel);
            }
            catch (TimeoutException)
            {
                await KeepAliveNowAsync();
            }
        }
    }

    /// <summary>Sends a keep-alive if nothing was sent for <see cref="EventStreams.KeepAlive"/>: for streams that wait on more than one thing.</summary>
    public Task KeepAliveAsync() =>
        Environment.TickCount64 - _lastWrite >= EventStreams.KeepAlive.TotalMilliseconds ? KeepAliveNowAsync() : Task.CompletedTask;

    internal Task KeepAliveNowAsync() => WriteAsync(KeepAliveEvent, "");

    /// <summary>An actor to name as a follower, whose events come out of the channel; stopped when the stream ends.</summary>
    public (IActorRef Relay, ChannelReader<TEvent> Events) Relay<TEvent>(ActorSystem system)
    {
        var (relay, events) = EventRelay.Open<TEvent>(system);
        _onClose.Add(() => system.Stop(relay));
        return (relay, events);
    }

    internal void Close() => _onClose.ForEach(close => close());
}
