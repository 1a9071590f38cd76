using Microsoft.AspNetCore.Http;

namespace Churn.Host.Api;

/// <summary>
/// The host's open event streams, runs' and searches' together: each holds a connection and an actor for as long as
/// its client stays, so together they may be at most <c>host.limits.maxEventStreams</c>.
/// </summary>
internal sealed class EventStreams(int limit)
{
    private int _open;

    public int Limit => limit;

    /// <summary>How long a stream may stay silent before it writes a comment line, so both ends notice a connection that has gone.</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Awaits <paramref name="next"/>, writing a keep-alive comment each time <see cref="KeepAlive"/> passes first. The
    /// same read is awaited throughout: a channel's single reader must not start a second one while one is pending.
    /// </summary>
    public static async Task<T> WhileAliveAsync<T>(ValueTask<T> next, HttpResponse response, CancellationToken cancel)
    {
        var pending = next.AsTask();
        while (true)
        {
            try
            {
                return await pending.WaitAsync(KeepAlive, cancel);
            }
            catch (TimeoutException)
            {
                await response.WriteAsync(": keep-alive\n\n", cancel);
                await response.Body.FlushAsync(cancel);
            }
        }
    }

    /// <summary>A place for one more stream, freed when disposed; null when every place is taken.</summary>
    public IDisposable? TryOpen()
    {
        if (Interlocked.Increment(ref _open) > limit)
        {
            Interlocked.Decrement(ref _open);
            return null;
        }
        return new Place(this);
    }

    /// <summary>The answer when every place is taken: 429, and what to poll instead.</summary>
    public async Task RefuseAsync(HttpContext context, string poll)
    {
        context.Response.Headers.RetryAfter = "10";
        await ApiProblem.Of(StatusCodes.Status429TooManyRequests, "too many event streams",
            $"{limit} event streams are open (host.limits.maxEventStreams); close one or poll GET /{poll}").ExecuteAsync(context);
    }

    private sealed class Place(EventStreams streams) : IDisposable
    {
        private int _freed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _freed, 1) == 0)
            {
                Interlocked.Decrement(ref streams._open);
            }
        }
    }
}
