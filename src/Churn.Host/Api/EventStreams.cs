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
