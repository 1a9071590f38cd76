using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Hosting;
using Churn.Actors.Messages;
using Churn.Actors.Search;
using Churn.Host.Configuration;
using Churn.Host.Logging;
using Churn.Host.Search;
using Churn.Numerics;
using Churn.Numerics.Search;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Churn.Host.Api;

/// <summary>
/// <c>/searches</c>: a submitted search becomes a <see cref="StartSearch"/> told to the searches actor, a cancel a
/// <see cref="CancelSearch"/>; a search's state is read from the run store, where its coordinator records every change.
/// At start the host resumes the searches whose process died. Errors are RFC 7807 problem details naming the field.
/// </summary>
internal sealed class SearchApi(IServiceProvider services, IRequiredActor<SearchesActor> searchesActor, SearchStore store, ChurnConfig config, ConfinedPaths paths, EventStreams streams)
{
    /// <summary>How a problem in the request names where it is: the body's fields are a space file's, plus these.</summary>
    public const string BodyName = "request body";

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public void Map(WebApplication app)
    {
        app.MapPost("/searches", (Delegate)SubmitAsync);
        app.MapGet("/searches", List);
        app.MapGet("/searches/{id}", GetAsync);
        app.MapDelete("/searches/{id}", CancelAsync);
        app.MapPost("/searches/{id}/resume", ResumeAsync);
        app.MapGet("/searches/{id}/logs", Logs);
        app.MapGet("/searches/{id}/events", EventsAsync);
    }

    /// <summary>
    /// Server-sent events of one search (<see cref="SearchEventStream"/>): what it is, what happened so far, then live
    /// events, then <c>finished</c>; the stream ends after it. A search not running in this host is told from the store.
    /// </summary>
    private async Task EventsAsync(string id, HttpContext context)
    {
        // The overview (no epoch rows) is enough to know the search and its plan.
        if (store.Overview(id) is not Result<SearchOverview>.Ok { Value: var stored })
        {
            await Unknown(id).ExecuteAsync(context);
            return;
        }
        await streams.ServeAsync(context, $"searches/{id}", stream => StreamAsync(id, stored, stream));
    }

    private async Task StreamAsync(string id, SearchOverview stored, EventStream stream)
    {
        var (relay, events) = stream.Relay<ISearchEvent>(services.GetRequiredService<ActorSystem>());
        var plan = stored.Request.Plan;
        SearchEventStream.HeaderData Header(string status, string? phase, int parallel) => new(
            id, status, phase, stored.Request.Scheduler.ToString().ToLowerInvariant(), plan.Configurations, plan.Seeds, plan.Trials.Length, parallel, plan.Criterion);
        if (await AskAsync(new FollowSearch(id, relay), stream.Cancel) is not SearchFollowed followed)
        {
            // Not running here: the store has all there is.
            var search = store.Load(id).Unwrap();
            await WriteSoFarAsync(stream, Header(search.Status, null, search.Request.Parallel), search.Trials, search.Decisions);
            await WriteFinishedAsync(stream, id);
            return;
        }

        var snapshot = followed.Snapshot;
        await WriteSoFarAsync(stream, Header("running", SearchPhaseNames.Of(snapshot.Phase), followed.Parallel), snapshot.Trials, snapshot.Decisions);
        while (true)
        {
            var e = await stream.NextAsync(events.ReadAsync(stream.Cancel));
            if (e is SearchCompleted or SearchCancelled or SearchFailed)
            {
                await WriteFinishedAsync(stream, id);
                return;
            }
            if (SearchEventStream.Encode(e) is { } frame)
            {
                await stream.WriteAsync(frame);
            }
        }
    }

    /// <summary>What the search is, then what happened so far as the live events would have told it.</summary>
    private static async Task WriteSoFarAsync(EventStream stream, SearchEventStream.HeaderData header, ImmutableArray<TrialRecord> trials, ImmutableArray<RungDecision> decisions)
    {
        await stream.WriteAsync(SearchEventStream.Head(header));
        foreach (var frame in SearchEventStream.Replay(header.SearchId, trials, decisions))
        {
            await stream.WriteAsync(frame);
        }
    }

    private Task WriteFinishedAsync(EventStream stream, string id) =>
        stream.WriteAsync(SearchEventStream.Finished, JsonSerializer.Serialize(View(store.Overview(id).Unwrap(), null), RunEventStream.Json));

    /// <summary>The search's log lines, its trials' from every node included (a worker's lines reach the host's log files).</summary>
    private IResult Logs(string id, HttpRequest request)
    {
        if (store.StatusOf(id) is null)
        {
            return Unknown(id);
        }
        var parsed = ApiQuery.Limit(request, ApiQuery.LogLines).Bind(limit => ApiQuery.Logs(id, request).Map(query => (limit, query)));
        if (parsed is Result<(int, LogQuery)>.Error invalid)
        {
            return ApiProblem.InvalidQuery(invalid.Problem);
        }
        var (limit, query) = parsed.Unwrap();
        // At most `limit` lines, the first ones, read as the files are streamed: a long search's log is never read whole.
        return Results.Json(new RunLogs(id, [.. LogFiles.Read(config.Logs, query, limit)]), JsonFormat.Options);
    }

    /// <summary>Resumes every search the store marks running whose process is gone: finished trials kept, the others run again.</summary>
    public void ResumeOrphans(ILogger log)
    {
        var searches = searchesActor.ActorRef;
        foreach (var id in store.Orphaned())
        {
            if (store.Load(id) is Result<StoredSearch>.Ok { Value: var search } && store.TryClaim(id, search.Owner))
            {
                var kept = search.Trials.Count(t => t.Ended);
                if (log.IsEnabled(LogLevel.Information))
                {
                    log.LogInformation("resuming search {SearchId}: {Kept} of {Total} trials kept, {Decisions} scheduler decisions kept", id, kept, search.Trials.Length, search.Decisions.Length);
                }
                searches.Tell(new StartSearch(search.Request, ActorRefs.Nobody, search.Progress));
            }
        }
    }

    private async Task<IResult> SubmitAsync(HttpContext context)
    {
        var limit = config.Host.MaxRequestBytes;
        if (context.Request.ContentLength > limit)
        {
            context.Response.Headers.Connection = "close";
            return Problem(StatusCodes.Status413PayloadTooLarge, "request too large", $"the body may be at most {limit} bytes (host.maxRequestBytes)");
        }
        string text;
        try
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            text = await reader.ReadToEndAsync(context.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "request too large", $"the body may be at most {limit} bytes (host.maxRequestBytes)");
        }

        var submission = SearchSubmission.FromJson(text, BodyName);
        if (submission is Result<SearchSubmission>.Error bodyError)
        {
            return Invalid([bodyError.Problem]);
        }
        var (request, problems) = Check(submission.Unwrap());
        if (request is null)
        {
            return Invalid(problems);
        }
        var limits = config.Host.Limits;
        if (store.Running() >= limits.MaxConcurrentSearches)
        {
            return Problem(StatusCodes.Status429TooManyRequests, "too many searches",
                $"{limits.MaxConcurrentSearches} searches are already running on this host (host.limits.maxConcurrentSearches); wait for one to end or cancel one");
        }
        // Recorded before the answer, so a GET right after the 202 finds the search.
        store.SearchStarted(request, DateTimeOffset.UtcNow);
        var searches = await searchesActor.GetAsync(context.RequestAborted);
        searches.Tell(new StartSearch(request, ActorRefs.Nobody));
        var links = Links(request.SearchId);
        context.Response.Headers.Location = links.Self;
        return Results.Json(
            new SearchSubmitted(request.SearchId, "running", request.Plan.Configurations, request.Plan.Trials.Length, request.OutDir, links),
            JsonFormat.Options,
            statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// The search a request asks for, or every problem in it at once: the paths outside their roots, the space file's
    /// fields, the search's own, the trials over this host's limits and each planned network over them.
    /// </summary>
    private (SearchRequest? Request, ImmutableArray<Problem> Problems) Check(SearchSubmission submission)
    {
        var problems = ImmutableArray.CreateBuilder<Problem>();
        foreach (var (field, confine) in new (string, Func<string, string, Result<string>>)[] { ("data", paths.Data), ("out", paths.Output) })
        {
            if (submission.Fields[field] is JsonValue value && value.TryGetValue<string>(out var path))
            {
                // A path refused is left out, so that the rest of the request is still checked.
                (submission, var refused) = confine(path, field).Match(inside => (submission.With(field, inside), (Problem?)null), problem => (submission.With(field, null), problem));
                if (refused is not null)
                {
                    problems.Add(refused with { File = BodyName });
                }
            }
        }

        // Checked before planning: a plan of a million trials is itself the work the limit is there to refuse.
        var limits = config.Host.Limits;
        var (request, resolveProblems) = submission.ResolveAll(config, id => Path.Combine(config.Run.Out, "searches", id), BodyName, definition =>
            (long)definition.Trials * definition.Seeds > limits.MaxTrialsPerSearch
                ? new Problem(
                    $"{definition.Trials} configurations x {definition.Seeds} seeds = {(long)definition.Trials * definition.Seeds} trials, over this host's limit of {limits.MaxTrialsPerSearch} (host.limits.maxTrialsPerSearch)",
                    BodyName, Column: "trials")
                : null);
        problems.AddRange(resolveProblems);
        if (request is not null)
        {
            var over = request.Plan.Trials.DistinctBy(t => t.Configuration)
                .SelectMany(trial => RequestLimits.CheckAll(trial.Config, limits, "space."))
                .Select(p => p with { Column = p.Column is "space.maxEpochs" ? "maxEpochs" : p.Column, File = BodyName })
                .DistinctBy(p => p.Column);
            problems.AddRange(over);
            if (paths.Output(request.OutDir, "out") is Result<string>.Error outError)
            {
                problems.Add(outError.Problem with { File = BodyName });
            }
        }
        return problems.Count == 0 ? (request, []) : (null, problems.ToImmutable());
    }

    private async Task<IResult> GetAsync(string id, CancellationToken cancel)
    {
        if (store.Overview(id) is not Result<SearchOverview>.Ok { Value: var search })
        {
            return Unknown(id);
        }
        var live = await AskAsync(new GetSearch(id, ActorRefs.Nobody), cancel) as SearchSnapshot;
        return Results.Json(View(search, live), JsonFormat.Options);
    }

    private IResult List(HttpRequest request)
    {
        var limit = ApiQuery.Limit(request, 100);
        return limit is Result<int>.Error invalid
            ? ApiProblem.InvalidQuery(invalid.Problem)
            : Results.Json(new SearchList(store.List(limit.Unwrap())), JsonFormat.Options);
    }

    /// <summary>
    /// Continues a stored search that is not running (cancelled, failed, or its process gone): ended trials are kept,
    /// the others run again from epoch 1, recorded scheduler decisions stand.
    /// </summary>
    private async Task<IResult> ResumeAsync(string id, CancellationToken cancel)
    {
        if (store.Load(id) is not Result<StoredSearch>.Ok { Value: var search })
        {
            return Unknown(id);
        }
        if (search.Status is "completed")
        {
            return Problem(StatusCodes.Status409Conflict, "search completed", $"search {id} already completed; its report is in {search.Request.OutDir}");
        }
        if (await AskAsync(new GetSearch(id, ActorRefs.Nobody), cancel) is SearchSnapshot)
        {
            return Problem(StatusCodes.Status409Conflict, "search running", $"search {id} is already running in this host");
        }
        if (search.Status is "running" && Store.StoreOwner.ProcessAlive(search.Owner))
        {
            return Problem(StatusCodes.Status409Conflict, "search running", $"search {id} is being run by another process ({search.Owner.Split('|')[1]} on {search.Owner.Split('|')[0]})");
        }
        var searches = await searchesActor.GetAsync(cancel);
        // Marked running under this host first, so a GET right after the 202 and a second resume both see it.
        store.SearchResumed(id, search.Request.Parallel, DateTimeOffset.UtcNow);
        searches.Tell(new StartSearch(search.Request, ActorRefs.Nobody, search.Progress));
        return Results.Json(new SearchCancelRequested(id, "running", Links(id)), JsonFormat.Options, statusCode: StatusCodes.Status202Accepted);
    }

    private async Task<IResult> CancelAsync(string id, CancellationToken cancel)
    {
        if (store.StatusOf(id) is not { } status)
        {
            return Unknown(id);
        }
        if (await AskAsync(new GetSearch(id, ActorRefs.Nobody), cancel) is not SearchSnapshot)
        {
            return Problem(StatusCodes.Status409Conflict, "search not running here", $"search {id} is not running in this host: {status}");
        }
        var searches = await searchesActor.GetAsync(cancel);
        searches.Tell(new CancelSearch(id));
        return Results.Json(new SearchCancelRequested(id, "cancelling", Links(id)), JsonFormat.Options, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>The search as the store has it, with the coordinator's phase when it runs in this host.</summary>
    internal static SearchView View(SearchOverview s, SearchSnapshot? live)
    {
        var request = s.Request;
        int Count(TrialStatus status) => s.Trials.Count(t => t.Status == status);
        var trials = new SearchTrialCounts(
            s.Trials.Length, s.Trials.Count(t => t.Ended), Count(TrialStatus.Pending), Count(TrialStatus.Running), Count(TrialStatus.Held),
            Count(TrialStatus.Promoted), Count(TrialStatus.Completed), Count(TrialStatus.Pruned), Count(TrialStatus.Failed), Count(TrialStatus.Cancelled));
        return new SearchView(
            request.SearchId,
            s.Status,
            live is null ? null : SearchPhaseNames.Of(live.Phase),
            s.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
            s.UpdatedAt.ToString("O", CultureInfo.InvariantCulture),
            request.Run.Seed,
            request.Parallel,
            request.ThreadsPerTrial,
            request.Scheduler,
            request.Plan.Configurations,
            request.Plan.Seeds,
            request.Plan.Rungs,
            request.Plan.Criterion,
            request.Run.Data,
            request.OutDir,
            trials,
            s.EpochsSpent,
            LeaderboardNode(Leaderboard.Rank(s.Trials, request.Plan.Seeds, request.Plan.Criterion)),
            s.Decisions,
            [.. s.Trials.Select(SearchTrialView.From)],
            Dashboard.DashboardCharts.Varied(s.Trials.Select(t => t.Spec)),
            SearchFiles.TrialNodes(s.Trials),
            s.Summary is null ? null : JsonNode.Parse(s.Summary),
            s.Reason,
            SearchFiles.TestNote,
            Links(request.SearchId));
    }

    /// <summary>The leaderboard's rows, each data preparation the search chose also named as people read it (<c>balance none, log skewed</c>).</summary>
    private static JsonArray LeaderboardNode(ImmutableArray<LeaderboardRow> rows)
    {
        var node = JsonSerializer.SerializeToNode(rows, JsonFormat.Options)!.AsArray();
        for (var i = 0; i < rows.Length; i++)
        {
            if (rows[i].Data is { } data && node[i]?["data"] is JsonObject shown)
            {
                shown["description"] = data.Describe();
            }
        }
        return node;
    }

    private async Task<object?> AskAsync(object message, CancellationToken cancel)
    {
        try
        {
            var searches = await searchesActor.GetAsync(cancel);
            return await searches.Ask<object>(sender => message is GetSearch g ? g with { ReplyTo = sender } : message, AskTimeout, cancel);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private static SearchLinks Links(string id) => new($"/searches/{id}");

    /// <summary>A 400 naming every field at fault; a problem found in a file (not the request) says which.</summary>
    private static IResult Invalid(IReadOnlyList<Problem> problems) =>
        ApiProblem.Fields("invalid search request", [.. problems.Select(p => p with
        {
            Column = p.Column ?? "body",
            Reason = p.File is null or BodyName ? p.Reason : $"{p.Reason} (in {p.File})",
        })]);

    private static IResult Unknown(string id) => Problem(StatusCodes.Status404NotFound, "unknown search", $"no search with id '{id}'");

    private static IResult Problem(int status, string title, string detail, string? field = null) => ApiProblem.Of(status, title, detail, field);
}
