using System.Collections.Immutable;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Churn.Actors;
using Churn.Host.Api;
using Churn.Host.Configuration;
using Churn.Host.Logging;
using Churn.Host.Search;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Search;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Churn.Host.Dashboard;

/// <summary>
/// The dashboard at <c>/</c>: its files (a page, a style sheet, a script per page) embedded in the executable (no request leaves the host: the page's content
/// security policy allows only its own origin), the defaults its forms start from, and its charts as server-drawn SVG.
/// </summary>
internal sealed class DashboardApi(SqliteRunStore runs, SearchStore searches, JsonNode defaults, string logs, EventStreams streams, bool embedRuns)
{
    /// <summary>How often a followed run's log files are read again for new lines.</summary>
    private static readonly TimeSpan LogPoll = TimeSpan.FromMilliseconds(500);

    /// <summary>Lines a log stream holds for a slow client: past it the oldest go (the files keep them all; the page shows the last 500).</summary>
    private const int LogBacklog = 2000;

    /// <summary>How long after a run's end its last lines may still reach the files (the logger writes them in the background).</summary>
    private static readonly TimeSpan LogGrace = TimeSpan.FromSeconds(1);

    /// <summary>The page and its assets load without the token: the page is what asks for it.</summary>
    public static bool IsPublic(PathString path) => path == "/" || path.StartsWithSegments("/assets");

    private const string Policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

    private static readonly ImmutableDictionary<string, (string Resource, string Type)> Assets = new Dictionary<string, (string, string)>
    {
        ["/"] = ("dashboard/index.html", "text/html; charset=utf-8"),
        ["/assets/app.js"] = ("dashboard/app.js", "text/javascript; charset=utf-8"),
        ["/assets/runs.js"] = ("dashboard/runs.js", "text/javascript; charset=utf-8"),
        ["/assets/compare.js"] = ("dashboard/compare.js", "text/javascript; charset=utf-8"),
        ["/assets/searches.js"] = ("dashboard/searches.js", "text/javascript; charset=utf-8"),
        ["/assets/campaign.js"] = ("dashboard/campaign.js", "text/javascript; charset=utf-8"),
        ["/assets/models.js"] = ("dashboard/models.js", "text/javascript; charset=utf-8"),
        ["/assets/app.css"] = ("dashboard/app.css", "text/css; charset=utf-8"),
    }.ToImmutableDictionary();

    private static readonly ImmutableDictionary<string, byte[]> Contents = Assets.Values.ToImmutableDictionary(a => a.Resource, a => Read(a.Resource));

    public void Map(WebApplication app)
    {
        foreach (var (path, (resource, type)) in Assets)
        {
            // HEAD as well as GET: a monitor or a link checker asks with HEAD.
            app.MapMethods(path, ["GET", "HEAD"], (HttpContext context) => path == "/" ? Page(context, resource, type) : Asset(context, Contents[resource], type));
        }

        app.MapGet("/defaults", Defaults);
        app.MapGet("/settings", Settings);
        app.MapGet("/runs/{id}/logs/events", LogEventsAsync);
        app.MapGet("/runs/{id}/charts/{chart}.svg", RunChart);
        app.MapGet("/runs/{id}/charts/partial-dependence/{feature}.svg", (string id, string feature) => BehaviourChart(id, feature, ExplanationCharts.PartialDependence));
        app.MapGet("/runs/{id}/charts/dependence/{feature}.svg", (string id, string feature) => BehaviourChart(id, feature, ExplanationCharts.Dependence));
        app.MapGet("/compare/{chart}.svg", Compare);
        app.MapGet("/searches/{id}/charts/curves.svg", SearchCurves);
        app.MapGet("/searches/{id}/charts/effect/{parameter}.svg", Effect);
        app.MapGet("/searches/{id}/charts/history.svg", (string id) => WithSearch(id, s => Svg(SearchAnalysis.History(s.Trials, s.Request.Plan.Criterion))));
        app.MapGet("/searches/{id}/charts/parallel.svg", (string id) => WithSearch(id, s =>
            Svg(SearchAnalysis.Parallel(Ranked(s), DashboardCharts.Varied(s.Trials.Select(t => t.Spec)), s.Request.Plan.Criterion))));
        app.MapGet("/searches/{id}/importance", (string id) => WithSearch(id, s => Results.Json(
            new { method = SearchAnalysis.ImportanceMethod, importance = SearchAnalysis.Importances(Ranked(s), DashboardCharts.Varied(s.Trials.Select(t => t.Spec))) },
            JsonFormat.Options)));
    }

    /// <summary>Runs the page holds from the start when the host needs no token.</summary>
    private const int EmbeddedRuns = 50;

    /// <summary>
    /// The page, holding the first page of runs when the host needs no token (when it does, its data is not public):
    /// the runs page draws it before any request, so even a reader that does not wait for the page's requests
    /// (<c>chromium --dump-dom</c>) sees the runs.
    /// </summary>
    private IResult Page(HttpContext context, string resource, string type)
    {
        if (!embedRuns)
        {
            return Asset(context, Contents[resource], type);
        }

        var list = RunList.Page(runs, new RunListQuery(null, EmbeddedRuns, null), DateTimeOffset.UtcNow);
        // A JSON data block is not run (the content security policy allows no inline script); "<" escaped so no value can close it.
        var json = JsonSerializer.Serialize(list, JsonFormat.Options).Replace("<", "\\u003c", StringComparison.Ordinal);
        var page = Encoding.UTF8.GetString(Contents[resource]).Replace("</body>", $"<script id=\"runs-data\" type=\"application/json\">{json}</script>\n</body>", StringComparison.Ordinal);
        return Asset(context, Encoding.UTF8.GetBytes(page), type);
    }

    private static IResult Asset(HttpContext context, byte[] content, string type)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        return Results.Bytes(content, type);
    }

    /// <summary>What the forms start from: the run configuration the host lays requests over (no host settings, no token) and the default search space.</summary>
    private IResult Defaults()
    {
        var run = defaults.DeepClone().AsObject();
        run.Remove("host");
        run.Remove("logs");
        var search = JsonNode.Parse(File.ReadAllText(SearchPlanner.DefaultSpacePath), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return Results.Json(new JsonObject { ["run"] = run, ["search"] = search }, JsonFormat.Options);
    }

    /// <summary>
    /// The run specification's field table as the run form builds from it: each field a request may set, with its
    /// label, help, kind, choices and the host's default.
    /// </summary>
    private IResult Settings() =>
        Results.Json(new JsonObject { ["run"] = RunFields.Describe(RunFields.Read(defaults.AsObject(), RunSpec.Default).Unwrap()) }, JsonFormat.Options);

    /// <summary>
    /// Server-sent events of one run's log lines with <c>GET /runs/{id}/logs</c>'s <c>level</c> and <c>actor</c> filters:
    /// one <c>line</c> event a line (the line as that endpoint shows it), those written so far and then new ones as
    /// they come, and <c>end</c> once the run has ended and its last lines are sent; the stream closes after it.
    /// </summary>
    private async Task LogEventsAsync(string id, HttpContext context)
    {
        if (runs.Get(id) is not { } run)
        {
            await ApiProblem.Of(StatusCodes.Status404NotFound, "unknown run", $"no run with id '{id}'").ExecuteAsync(context);
            return;
        }

        var query = ApiQuery.Logs(id, context.Request);
        if (query is Result<LogQuery>.Error invalid)
        {
            await ApiProblem.InvalidQuery(invalid.Problem).ExecuteAsync(context);
            return;
        }

        await streams.ServeAsync(context, $"runs/{id}/logs", stream => FollowLogsAsync(run, query.Unwrap(), stream));
    }

    private async Task FollowLogsAsync(StoredRun run, LogQuery query, EventStream stream)
    {
        var lines = Channel.CreateBounded<LogEntry>(new BoundedChannelOptions(LogBacklog) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        bool Ended() => runs.Get(run.Id) is not { Status: "queued" or "running" } r || r.FinishedAt is { } at && DateTimeOffset.UtcNow - at > LogGrace;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stream.Cancel);
        var follow = Task.Run(async () =>
        {
            try
            {
                await LogFiles.FollowAsync(logs, query, e => lines.Writer.TryWrite(e), LogPoll, stop.Token, run.QueuedAt.AddDays(-1), Ended);
            }
            finally
            {
                lines.Writer.TryComplete();
            }
        }, CancellationToken.None);
        try
        {
            while (await stream.NextAsync(lines.Reader.WaitToReadAsync(stream.Cancel)))
            {
                while (lines.Reader.TryRead(out var entry))
                {
                    await stream.WriteAsync("line", JsonSerializer.Serialize(entry, RunEventStream.Json));
                }
            }

            await stream.WriteAsync("end", JsonSerializer.Serialize(new { runId = run.Id }, RunEventStream.Json));
        }
        finally
        {
            await stop.CancelAsync();
            await follow;
        }
    }

    private IResult RunChart(string id, string chart)
    {
        if (runs.Get(id) is not { } run)
        {
            return ApiProblem.Of(StatusCodes.Status404NotFound, "unknown run", $"no run with id '{id}'");
        }

        string? svg = chart switch
        {
            "loss" => DashboardCharts.Loss(runs.Epochs(id)),
            "gains" => DashboardCharts.Gains(run.Metrics),
            "reliability" => DashboardCharts.Reliability(run.Metrics),
            "profit" => DashboardCharts.Profit(run.Metrics),
            "importance" => ExplanationCharts.Importance(run.Metrics),
            "permutation" => ExplanationCharts.Permutation(run.Metrics),
            _ => null,
        };
        return svg is null ? ApiProblem.Of(StatusCodes.Status404NotFound, "unknown chart", $"no chart '{chart}': loss, gains, reliability, profit, importance or permutation") : Svg(svg);
    }

    /// <summary>A chart of one behaviour the run explained.</summary>
    private IResult BehaviourChart(string id, string feature, Func<JsonNode?, string, string?> draw)
    {
        if (runs.Get(id) is not { } run)
        {
            return ApiProblem.Of(StatusCodes.Status404NotFound, "unknown run", $"no run with id '{id}'");
        }

        return draw(run.Metrics, feature) is { } svg
            ? Svg(svg)
            : ApiProblem.Of(StatusCodes.Status404NotFound, "unknown behaviour", $"run '{id}' explained no behaviour '{feature}'");
    }

    private IResult Compare(string chart, HttpRequest request)
    {
        if (chart is not ("loss" or "gains" or "profit"))
        {
            return ApiProblem.Of(StatusCodes.Status404NotFound, "unknown chart", $"no chart '{chart}': loss, gains or profit");
        }

        var ids = (request.Query["ids"].FirstOrDefault() ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        if (ids.Count is < 1 or > 10)
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "invalid query", "ids: expected 1 to 10 run ids separated by commas", "ids");
        }

        if (ids.FirstOrDefault(id => runs.Get(id) is null) is { } unknown)
        {
            return ApiProblem.Of(StatusCodes.Status404NotFound, "unknown run", $"no run with id '{unknown}'");
        }

        var compared = ids.Select(id => runs.Get(id)!).ToList();
        string Label(StoredRun run) => run.Labels?.Name is { } name ? $"{name} ({run.Id})" : run.Id;
        return Svg(chart switch
        {
            "gains" => DashboardCharts.CompareGains([.. compared.Select(r => (Label(r), r.Metrics))]),
            "profit" => DashboardCharts.CompareProfit([.. compared.Select(r => (Label(r), r.Metrics))]),
            _ => DashboardCharts.CompareLoss([.. compared.Select(r => (Label(r), runs.Epochs(r.Id)))]),
        });
    }

    private IResult SearchCurves(string id) =>
        searches.Overview(id) is Result<SearchOverview>.Ok { Value: var s }
            ? Svg(DashboardCharts.SearchCurves(s, trials => searches.Histories(id, trials)))
            : UnknownSearch(id);

    private IResult Effect(string id, string parameter)
    {
        if (searches.Overview(id) is not Result<SearchOverview>.Ok { Value: var s })
        {
            return UnknownSearch(id);
        }

        return DashboardCharts.Effect(Leaderboard.Rank(s.Trials, s.Request.Plan.Seeds, s.Request.Plan.Criterion), parameter, s.Request.Plan.Criterion) is { } svg
            ? Svg(svg)
            : ApiProblem.Of(StatusCodes.Status404NotFound, "unknown hyperparameter", $"no hyperparameter '{parameter}'");
    }

    private IResult WithSearch(string id, Func<SearchOverview, IResult> answer) =>
        searches.Overview(id) is Result<SearchOverview>.Ok { Value: var s } ? answer(s) : UnknownSearch(id);

    private static ImmutableArray<LeaderboardRow> Ranked(SearchOverview s) => Leaderboard.Rank(s.Trials, s.Request.Plan.Seeds, s.Request.Plan.Criterion);

    private static IResult UnknownSearch(string id) => ApiProblem.Of(StatusCodes.Status404NotFound, "unknown search", $"no search with id '{id}'");

    private static IResult Svg(string svg) => Results.Text(svg, "image/svg+xml; charset=utf-8");

    private static byte[] Read(string resource)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the executable lacks its dashboard file {resource}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
