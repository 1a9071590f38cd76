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
    /// left), sends the <c>text/event-stream</c> headers, and runs <paramref name="write"/> until it returns, the
    /// client goes away or the host has been stopping for <see cref="StopGrace"/>; then frees the place.
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

        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        using var give = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        using var stop = stopping.Register(() => give.CancelAfter(StopGrace));
        var stream = new EventStream(response, give.Token);
        try
        {
            // The headers go at once, so the client knows its stream is open before the first event.
            await response.Body.FlushAsync(give.Token);
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
            stream.Close();
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

/// <summary>One open event stream: how to write its frames and wait for what comes next, and when to give up.</summary>
internal sealed class EventStream(HttpResponse response, CancellationToken cancel)
{
    private readonly List<Action> _onClose = [];
    private long _lastWrite = Environment.TickCount64;

    /// <summary>Cancelled when the client goes away or the host has stopped for long enough.</summary>
    public CancellationToken Cancel => cancel;

    /// <summary>Writes one event; <paramref name="flush"/> false leaves it buffered for the next one.</summary>
    public async Task WriteAsync(string name, string data, bool flush = true)
    {
        await response.WriteAsync(RunEventStream.Frame(name, data), cancel);
        _lastWrite = Environment.TickCount64;
        if (flush)
        {
            await FlushAsync();
        }
    }

    public Task WriteAsync((string Name, string Data) frame) => WriteAsync(frame.Name, frame.Data);

    public Task FlushAsync() => response.Body.FlushAsync(cancel);

    /// <summary>
    /// Awaits <paramref name="next"/>, writing a keep-alive comment each time <see cref="EventStreams.KeepAlive"/>
    /// passes first. The same read is awaited throughout: a channel's single reader must not start a second one while
    /// one is pending.
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
                await WriteKeepAliveAsync();
            }
        }
    }

    /// <summary>Writes a keep-alive comment if nothing was written for <see cref="EventStreams.KeepAlive"/>: for streams that wait on more than one thing.</summary>
    public Task KeepAliveAsync() =>
        Environment.TickCount64 - _lastWrite >= EventStreams.KeepAlive.TotalMilliseconds ? WriteKeepAliveAsync() : Task.CompletedTask;

    private async Task WriteKeepAliveAsync()
    {
        await response.WriteAsync(": keep-alive\n\n", cancel);
        _lastWrite = Environment.TickCount64;
        await FlushAsync();
    }

    /// <summary>An actor to name as a follower, whose events come out of the channel; stopped when the stream ends.</summary>
    public (IActorRef Relay, ChannelReader<TEvent> Events) Relay<TEvent>(ActorSystem system)
    {
        var (relay, events) = EventRelay.Open<TEvent>(system);
        _onClose.Add(() => system.Stop(relay));
        return (relay, events);
    }

    internal void Close() => _onClose.ForEach(close => close());
}
