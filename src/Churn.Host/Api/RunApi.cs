using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Hosting;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Actors.Runs;
using Churn.Host.Configuration;
using Churn.Host.Logging;
using Churn.Host.Store;
using Churn.Numerics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Churn.Host.Api;

/// <summary>
/// The HTTP API. It only translates: a submitted run becomes a <see cref="RunPipeline"/> told to the runs actor, a
/// cancel a <see cref="CancelRun"/>, an event stream a <see cref="FollowRun"/>; everything else is read from the run
/// store. Errors are RFC 7807 problem details naming the field at fault.
/// </summary>
internal sealed class RunApi(IServiceProvider services, IRequiredActor<RunsActor> runsActor, SqliteRunStore store, JsonNode defaults, ChurnConfig config, ConfinedPaths paths, EventStreams streams)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How often the runs-wide stream looks for runs that other processes record into the host's store.</summary>
    private static readonly TimeSpan ElsewhereWatch = TimeSpan.FromSeconds(2);

    public void Map(WebApplication app)
    {
        app.MapGet("/health", () => Results.Json(new Health("ok"), JsonFormat.Options));
        app.MapPost("/runs", (Delegate)SubmitAsync);
        app.MapGet("/runs", List);
        // A literal segment outranks the {id} of the routes below: "events" is never taken for a run id (ids are generated).
        app.MapGet("/runs/events", AllEventsAsync);
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

        var runId = RunIds.New();
        if (RunRecordsApi.Take(body, RunLabels.None) is Result<(RunLabels, string)>.Error badLabel)
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid run configuration", $"{badLabel.Problem.Column}: {badLabel.Problem.Reason}", badLabel.Problem.Column);
        }

        (var labels, body) = RunRecordsApi.Take(body, RunLabels.None).Unwrap();
        var limits = config.Host.Limits;
        var (settings, problems) = RunRequest.ParseAll(body, defaults, runId, paths, spec => RequestLimits.Check(spec.Model, limits) is Result<Churn.Numerics.Model.ModelConfig>.Error over ? over.Problem : null);
        if (settings is null)
        {
            return ApiProblem.Fields("invalid run configuration", [.. problems.Select(p => RequestLimits.Explain(p, limits) is var explained && explained.Column is null ? explained with { Column = RunRequest.BodyField } : explained)]);
        }

        // Labelled before it is queued, so that the first the lists see of the run carries its name.
        if (!labels.IsEmpty)
        {
            store.Label(runId, labels);
        }

        var reply = await AskRunsAsync<object>(new RunPipeline(runId, settings, ActorRefs.Nobody, labels), context.RequestAborted);
        if (reply is RunRejected && !labels.IsEmpty)
        {
            store.Remove(runId);
        }

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

    private IResult List(HttpRequest request) => ListQuery(request) switch
    {
        Result<RunListQuery>.Error invalid => ApiProblem.InvalidQuery(invalid.Problem),
        var query => Results.Json(Page(query.Unwrap()), JsonFormat.Options),
    };

    private RunList Page(RunListQuery query) => RunList.Page(store, query, DateTimeOffset.UtcNow);

    /// <summary><c>?status=</c>, <c>?limit=</c> and <c>?before=</c> of a list of runs.</summary>
    private Result<RunListQuery> ListQuery(HttpRequest request)
    {
        var status = request.Query["status"].FirstOrDefault();
        if (status is not null && !RunStatus.All.Contains(status))
        {
            return Result.Fail<RunListQuery>($"status: expected one of {string.Join(", ", RunStatus.All)}", column: "status");
        }

        var before = request.Query["before"].FirstOrDefault();
        return ApiQuery.Limit(request, 100).Bind(limit => before is not null && store.Get(before) is null
            ? Result.Fail<RunListQuery>($"before: no run with id '{before}'", column: "before")
            : Result.Ok(new RunListQuery(status, limit, before)));
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
            ? Results.Json(new RunArtifactList(id, RunArtifacts.List(id, RunArtifacts.Of(run, paths))), JsonFormat.Options)
            : UnknownRun(id);

    /// <summary>One file the run wrote, by its name in the run's list; any other name is 404, whatever it points at.</summary>
    private IResult Artifact(string id, string name, HttpContext context)
    {
        if (store.Get(id) is not { } run)
        {
            return UnknownRun(id);
        }

        if (!RunArtifacts.Named(RunArtifacts.Of(run, paths)).TryGetValue(name, out var path))
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

        var parsed = ApiQuery.Limit(request, ApiQuery.LogLines).Bind(limit => ApiQuery.Logs(id, request).Map(query => (limit, query)));
        if (parsed is Result<(int, LogQuery)>.Error invalid)
        {
            return ApiProblem.InvalidQuery(invalid.Problem);
        }

        var (limit, query) = parsed.Unwrap();
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

        await streams.ServeAsync(context, $"runs/{id}", stream => StreamAsync(id, stream));
    }

    private async Task StreamAsync(string id, EventStream stream)
    {
        var (relay, events) = stream.Relay<IRunEvent>(services.GetRequiredService<ActorSystem>());
        var subscription = await AskRunsAsync<RunSubscription>(new FollowRun(id, relay), stream.Cancel);
        if (subscription is not { Active: true })
        {
            var run = store.Get(id)!;
            foreach (var frame in RunEventStream.Replay(run, store.Stages(id), store.Epochs(id)))
            {
                await stream.WriteAsync(frame);
            }

            await WriteFinishedAsync(stream, id);
            return;
        }

        foreach (var e in subscription.SoFar)
        {
            await SendAsync(stream, e);
        }

        while (true)
        {
            if (await SendAsync(stream, await stream.NextAsync(events.ReadAsync(stream.Cancel))))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Server-sent events of every run (<see cref="RunEventStream.RunsEvent"/>, <see cref="RunEventStream.RunEvent"/>):
    /// first the page <c>GET /runs</c> gives for the same query, then a run's summary each time one is queued, starts,
    /// changes stage or epoch, or ends; the stream does not end by itself. Every connection starts with the list, so a
    /// client that connects again has missed nothing.
    /// </summary>
    private async Task AllEventsAsync(HttpContext context)
    {
        var query = ListQuery(context.Request);
        if (query is Result<RunListQuery>.Error invalid)
        {
            await ApiProblem.InvalidQuery(invalid.Problem).ExecuteAsync(context);
            return;
        }

        await streams.ServeAsync(context, "runs", stream => StreamAllAsync(query.Unwrap(), stream));
    }

    private async Task StreamAllAsync(RunListQuery query, EventStream stream)
    {
        // Runs this host runs are told by their events, each change as it happens; runs other processes record into
        // the store (a churn run given the host's store) by looking there every ElsewhereWatch.
        var elsewhere = store.Elsewhere(null);
        var page = Page(query);
        var (relay, events) = stream.Relay<IRunEvent>(services.GetRequiredService<ActorSystem>());
        if (await AskRunsAsync<AllRunsFollowed>(new FollowAllRuns(relay), stream.Cancel) is not { } followed)
        {
            return;
        }

        // The page was read before the follow began: the runs' events so far bring it up to date, never back.
        var view = AllRunsState.Empty;
        foreach (var e in followed.SoFar)
        {
            (view, _) = view.Follow(e);
        }

        var listed = page.Runs.Select(r => r.Status is RunStatus.Queued or RunStatus.Running && !view.Here.ContainsKey(r.Id) && Summary(r.Id) is { } now
            ? now
            : view.Overlay(r, DateTimeOffset.UtcNow)).ToImmutableArray();
        view = view.Listed(listed);
        await stream.WriteAsync(RunEventStream.RunsEvent, RunEventStream.Serialize(page with { Runs = listed }));
        foreach (var id in view.Here.Keys.Where(id => !view.Told.ContainsKey(id)).ToList())
        {
            view = await TellAsync(stream, view, id, null);
        }

        var newest = elsewhere.Newest;
        var pending = events.ReadAsync(stream.Cancel).AsTask();
        Task? watch = null;
        while (true)
        {
            watch ??= Task.Delay(ElsewhereWatch, stream.Cancel);
            if (await Task.WhenAny(pending, watch) == pending)
            {
                var e = await pending;
                pending = events.ReadAsync(stream.Cancel).AsTask();
                (view, var changed) = view.Follow(e);
                if (changed)
                {
                    view = await TellAsync(stream, view, e.RunId, null);
                }

                continue;
            }

            await watch;
            watch = null;
            var seen = store.Elsewhere(newest);
            newest = seen.Newest;
            // Runs of other processes that moved, and those told as queued or running that have ended since.
            var told = view.Told;
            var moved = seen.Runs.Where(r => !told.TryGetValue(r.Key, out var last) || last != r.Value).Select(r => r.Key)
                .Concat(told.Keys.Where(id => !view.Here.ContainsKey(id) && !seen.Runs.ContainsKey(id)))
                .Distinct().ToList();
            foreach (var id in moved)
            {
                view = await TellAsync(stream, view, id, Summary(id));
            }

            await stream.KeepAliveAsync();
        }
    }

    /// <summary>A run's summary as the store has it now, or null for a run it does not know.</summary>
    private RunSummary? Summary(string id) => store.Get(id) is { } run ? RunSummary.From(run, DateTimeOffset.UtcNow) : null;

    /// <summary>Tells a run's summary unless the client already has it; <paramref name="fresh"/> is a new read of the store, if any.</summary>
    private static async Task<AllRunsState> TellAsync(EventStream stream, AllRunsState view, string id, RunSummary? fresh)
    {
        (view, var summary) = view.Tell(id, fresh, DateTimeOffset.UtcNow);
        if (summary is not null)
        {
            await stream.WriteAsync(RunEventStream.RunEvent, RunEventStream.Serialize(summary));
        }

        return view;
    }

    /// <summary>Writes one event; for the run's outcome writes <c>finished</c> from the store and returns true.</summary>
    private async Task<bool> SendAsync(EventStream stream, IRunEvent e)
    {
        if (e is RunSucceeded or RunFailed or RunCancelled)
        {
            await WriteFinishedAsync(stream, e.RunId);
            return true;
        }

        if (RunEventStream.Encode(e) is { } frame)
        {
            await stream.WriteAsync(frame);
        }

        return false;
    }

    private Task WriteFinishedAsync(EventStream stream, string id) =>
        stream.WriteAsync(RunEventStream.Finished, JsonSerializer.Serialize(RunView.From(store.Get(id)!, store.Stages(id), store.Epochs(id)), RunEventStream.Json));

    /// <summary>The runs actor's reply, or null when it did not come in time (the actor system is stopping).</summary>
    private async Task<T?> AskRunsAsync<T>(object message, CancellationToken cancel)
        where T : class
    {
        try
        {
            var runs = await runsActor.GetAsync(cancel);
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
