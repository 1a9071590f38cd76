using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Actors.Runs;
using Churn.Host.Cli;
using Churn.Host.Configuration;
using Churn.Host.Logging;
using Churn.Host.Store;
using Churn.Numerics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Churn.Host.Api;

/// <summary>
/// The HTTP API. It only translates: a submitted run becomes a <see cref="RunPipeline"/> told to the runs actor, a
/// cancel a <see cref="CancelRun"/>, an event stream a <see cref="FollowRun"/>; everything else is read from the run
/// store. Errors are RFC 7807 problem details naming the field at fault.
/// </summary>
internal sealed class RunApi(IServiceProvider services, SqliteRunStore store, JsonNode defaults, ChurnConfig config, ConfinedPaths paths, EventStreams streams)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public void Map(WebApplication app)
    {
        app.MapGet("/health", () => Results.Json(new Health("ok"), JsonFormat.Options));
        app.MapPost("/runs", (Delegate)SubmitAsync);
        app.MapGet("/runs", List);
        app.MapGet("/runs/{id}", Get);
        app.MapGet("/runs/{id}/events", EventsAsync);
        app.MapDelete("/runs/{id}", CancelAsync);
        app.MapGet("/runs/{id}/logs", Logs);
        app.MapGet("/runs/{id}/artifacts", Artifacts);
        app.MapGet("/runs/{id}/artifacts/{**name}", Artifact);
        app.MapFallback(() => Problem(StatusCodes.Status404NotFound, "not found", "no such resource"));
    }

    private async Task<IResult> SubmitAsync(HttpContext context)
    {
        var limit = config.Host.MaxRequestBytes;
        if (context.Request.ContentLength > limit)
        {
            // The unread body is still on its way; closing the connection keeps a client from sending its next request after it.
            context.Response.Headers.Connection = "close";
            return TooLarge(limit);
        }

        string body;
        try
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(limit);
        }

        var runId = EmbeddedRun.NewRunId();
        var parsed = RunRequest.Parse(body, defaults, runId, paths).Bind(settings => RequestLimits.Check(settings.Model, config.Host.Limits).Map(_ => settings));
        if (parsed is Result<RunSettings>.Error error)
        {
            var field = error.Problem.Column ?? RunRequest.BodyField;
            return Problem(StatusCodes.Status400BadRequest, "invalid run configuration", $"{field}: {error.Problem.Reason}", field);
        }

        var reply = await AskRunsAsync<object>(new RunPipeline(runId, parsed.Unwrap(), ActorRefs.Nobody), context.RequestAborted);
        switch (reply)
        {
            case RunAccepted accepted:
                context.Response.Headers.Location = RunLinks.For(runId).Self;
                return Results.Json(new RunSubmitted(runId, RunStatus.Queued, accepted.Position, RunLinks.For(runId)), JsonFormat.Options, statusCode: StatusCodes.Status202Accepted);
            case RunRejected { Why: Rejection.QueueFull } full:
                context.Response.Headers.RetryAfter = "30";
                return Problem(StatusCodes.Status429TooManyRequests, "queue full", full.Reason);
            case RunRejected rejected:
                return Problem(StatusCodes.Status503ServiceUnavailable, "not accepting runs", rejected.Reason);
            default:
                return Unavailable();
        }
    }

    private IResult List(HttpRequest request)
    {
        var status = request.Query["status"].FirstOrDefault();
        if (status is not null && !RunStatus.All.Contains(status))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid query", $"status: expected one of {string.Join(", ", RunStatus.All)}", "status");
        }

        var limit = 100;
        if (request.Query["limit"].FirstOrDefault() is { } text && (!int.TryParse(text, out limit) || limit is < 1 or > 10_000))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid query", "limit: expected a whole number from 1 to 10000", "limit");
        }

        var before = request.Query["before"].FirstOrDefault();
        if (before is not null && store.Get(before) is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid query", $"before: no run with id '{before}'", "before");
        }

        // One more than the page: whether a next page exists is known without a second query.
        var rows = store.List(status, limit + 1, before);
        var page = rows.Length > limit ? rows[..limit] : rows;
        var now = DateTimeOffset.UtcNow;
        var next = rows.Length > limit
            ? $"/runs?limit={limit}&before={Uri.EscapeDataString(page[^1].Id)}{(status is null ? "" : $"&status={status}")}"
            : null;
        return Results.Json(new RunList([.. page.Select(r => RunSummary.From(r, now))], next), JsonFormat.Options);
    }

    private IResult Get(string id) =>
        store.Get(id) is { } run
            ? Results.Json(RunView.From(run, store.Stages(id), store.Epochs(id)), JsonFormat.Options)
            : UnknownRun(id);

    private async Task<IResult> CancelAsync(string id, CancellationToken cancel)
    {
        var reply = await AskRunsAsync<CancelRunResponse>(new CancelRun(id), cancel);
        switch (reply?.Outcome)
        {
            case CancelOutcome.Cancelled:
                return Results.Json(new RunCancelRequested(id, RunStatus.Cancelled, RunLinks.For(id)), JsonFormat.Options);
            case CancelOutcome.Cancelling:
                return Results.Json(new RunCancelRequested(id, "cancelling", RunLinks.For(id)), JsonFormat.Options, statusCode: StatusCodes.Status202Accepted);
            case CancelOutcome.NotActive:
                return store.Get(id) is { } run
                    ? Problem(StatusCodes.Status409Conflict, "run already ended", $"run {id} has already ended: {run.Status}")
                    : UnknownRun(id);
            default:
                return Unavailable();
        }
    }

    private IResult Artifacts(string id) =>
        store.Get(id) is { } run
            ? Results.Json(new RunArtifactList(id, RunArtifacts.List(id, run.Artifacts)), JsonFormat.Options)
            : UnknownRun(id);

    /// <summary>One file the run wrote, by its name in the run's list; any other name is 404, whatever it points at.</summary>
    private IResult Artifact(string id, string name, HttpContext context)
    {
        if (store.Get(id) is not { } run)
        {
            return UnknownRun(id);
        }

        if (!RunArtifacts.Named(run.Artifacts).TryGetValue(name, out var path))
        {
            return Problem(StatusCodes.Status404NotFound, "unknown artifact", $"run {id} wrote no file named '{name}' (GET /runs/{id}/artifacts lists them)");
        }

        if (!File.Exists(path))
        {
            return Problem(StatusCodes.Status404NotFound, "artifact gone", $"run {id} wrote '{name}', but it is no longer on the host's disk");
        }

        context.Response.Headers.XContentTypeOptions = "nosniff";
        var type = RunArtifacts.ContentType(name);
        return Results.File(path, type, type.StartsWith("image/", StringComparison.Ordinal) ? null : Path.GetFileName(name));
    }

    private IResult Logs(string id, HttpRequest request)
    {
        if (store.Get(id) is not { } run)
        {
            return UnknownRun(id);
        }

        var limit = 1000;
        if (request.Query["limit"].FirstOrDefault() is { } limitText && (!int.TryParse(limitText, out limit) || limit is < 1 or > 10_000))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid query", "limit: expected a whole number from 1 to 10000", "limit");
        }

        var level = Microsoft.Extensions.Logging.LogLevel.Trace;
        if (request.Query["level"].FirstOrDefault() is { } text)
        {
            if (LogEntry.ParseLevel(text) is not { } parsed)
            {
                return Problem(StatusCodes.Status400BadRequest, "invalid query", "level: expected debug, info, warning or error", "level");
            }

            level = parsed;
        }

        var query = new LogQuery(id, request.Query["actor"].FirstOrDefault(), level);
        // Only the days since the run was queued, streamed; at most `limit` lines (the first ones).
        return Results.Json(new RunLogs(id, [.. LogFiles.Read(config.Logs, query, limit, run.QueuedAt.AddDays(-1))]), JsonFormat.Options);
    }

    /// <summary>
    /// Server-sent events of one run: what happened so far, then live events, then <c>finished</c>; the stream ends
    /// after it. A run that has already ended is told from the store.
    /// </summary>
    private async Task EventsAsync(string id, HttpContext context)
    {
        if (store.Get(id) is null)
        {
            await UnknownRun(id).ExecuteAsync(context);
            return;
        }

        using var place = streams.TryOpen();
        if (place is null)
        {
            await streams.RefuseAsync(context, $"runs/{id}");
            return;
        }

        await StreamAsync(id, context);
    }

    private async Task StreamAsync(string id, HttpContext context)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";

        // Should a run never report its end while the host stops, the stream still closes so the server can stop.
        using var give = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        using var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping
            .Register(() => give.CancelAfter(ChurnActorsSetup.StopGrace + TimeSpan.FromSeconds(2)));
        var events = Channel.CreateUnbounded<IRunEvent>(new UnboundedChannelOptions { SingleReader = true });
        var system = services.GetRequiredService<ActorSystem>();
        var relay = system.ActorOf(EventRelayActor<IRunEvent>.Props(e => events.Writer.TryWrite(e)));
        try
        {
            var subscription = await AskRunsAsync<RunSubscription>(new FollowRun(id, relay), give.Token);
            if (subscription is not { Active: true })
            {
                var run = store.Get(id)!;
                foreach (var (name, data) in RunEventStream.Replay(run, store.Stages(id), store.Epochs(id)))
                {
                    await WriteAsync(response, name, data, give.Token);
                }

                await WriteFinishedAsync(response, id, give.Token);
                return;
            }

            foreach (var e in subscription.SoFar)
            {
                await SendAsync(response, e, give.Token);
            }

            while (true)
            {
                var e = await EventStreams.WhileAliveAsync(events.Reader.ReadAsync(give.Token), response, give.Token);

                if (await SendAsync(response, e, give.Token))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away, or the host is stopping.
        }
        finally
        {
            system.Stop(relay);
        }
    }

    /// <summary>Writes one event; for the run's outcome writes <c>finished</c> from the store and returns true.</summary>
    private async Task<bool> SendAsync(HttpResponse response, IRunEvent e, CancellationToken cancel)
    {
        if (e is RunSucceeded or RunFailed or RunCancelled)
        {
            await WriteFinishedAsync(response, e.RunId, cancel);
            return true;
        }

        if (RunEventStream.Encode(e) is var (name, data))
        {
            await WriteAsync(response, name, data, cancel);
        }

        return false;
    }

    private async Task WriteFinishedAsync(HttpResponse response, string id, CancellationToken cancel)
    {
        var view = RunView.From(store.Get(id)!, store.Stages(id), store.Epochs(id));
        await WriteAsync(response, RunEventStream.Finished, JsonSerializer.Serialize(view, RunEventStream.Json), cancel);
    }

    private static async Task WriteAsync(HttpResponse response, string name, string data, CancellationToken cancel)
    {
        await response.WriteAsync(RunEventStream.Frame(name, data), cancel);
        await response.Body.FlushAsync(cancel);
    }

    /// <summary>The runs actor's reply, or null when it did not come in time (the actor system is stopping).</summary>
    private async Task<T?> AskRunsAsync<T>(object message, CancellationToken cancel)
        where T : class
    {
        try
        {
            var runs = await services.GetRequiredService<ActorRegistry>().GetAsync<RunsActor>(cancel);
            return await runs.Ask<T>(message, AskTimeout, cancel);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private static IResult UnknownRun(string id) => Problem(StatusCodes.Status404NotFound, "unknown run", $"no run with id '{id}'");

    private static IResult TooLarge(long limit) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "request too large", $"the body may be at most {limit} bytes (host.maxRequestBytes)");

    private static IResult Unavailable() =>
        Problem(StatusCodes.Status503ServiceUnavailable, "actor system unavailable", "the runs actor did not answer in time; the host may be stopping");

    private static IResult Problem(int status, string title, string detail, string? field = null) => ApiProblem.Of(status, title, detail, field);
}
