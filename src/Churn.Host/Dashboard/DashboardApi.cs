using System.Collections.Immutable;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Host.Api;
using Churn.Host.Search;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Search;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Churn.Host.Dashboard;

/// <summary>
/// The dashboard at <c>/</c>: three files embedded in the executable (no request leaves the host: the page's content
/// security policy allows only its own origin), the defaults its forms start from, and its charts as server-drawn SVG.
/// </summary>
internal sealed class DashboardApi(SqliteRunStore runs, SearchStore searches, JsonNode defaults)
{
    /// <summary>The page and its assets load without the token: the page is what asks for it.</summary>
    public static bool IsPublic(PathString path) => path == "/" || path.StartsWithSegments("/assets");

    private const string Policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

    private static readonly ImmutableDictionary<string, (string Resource, string Type)> Assets = new Dictionary<string, (string, string)>
    {
        ["/"] = ("dashboard/index.html", "text/html; charset=utf-8"),
        ["/assets/app.js"] = ("dashboard/app.js", "text/javascript; charset=utf-8"),
        ["/assets/app.css"] = ("dashboard/app.css", "text/css; charset=utf-8"),
    }.ToImmutableDictionary();

    private static readonly ImmutableDictionary<string, byte[]> Contents = Assets.Values.ToImmutableDictionary(a => a.Resource, a => Read(a.Resource));

    public void Map(WebApplication app)
    {
        foreach (var (path, (resource, type)) in Assets)
        {
            app.MapGet(path, (HttpContext context) => Asset(context, resource, type));
        }

        app.MapGet("/defaults", Defaults);
        app.MapGet("/runs/{id}/charts/{chart}.svg", RunChart);
        app.MapGet("/compare/loss.svg", Compare);
        app.MapGet("/searches/{id}/charts/curves.svg", SearchCurves);
        app.MapGet("/searches/{id}/charts/effect/{parameter}.svg", Effect);
    }

    private static IResult Asset(HttpContext context, string resource, string type)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        return Results.Bytes(Contents[resource], type);
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
            "importance" => DashboardCharts.Importance(run.Metrics),
            _ => null,
        };
        return svg is null ? ApiProblem.Of(StatusCodes.Status404NotFound, "unknown chart", $"no chart '{chart}': loss, gains, reliability, profit or importance") : Svg(svg);
    }

    private IResult Compare(HttpRequest request)
    {
        var ids = (request.Query["ids"].FirstOrDefault() ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        if (ids.Count is < 1 or > 10)
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "invalid query", "ids: expected 1 to 10 run ids separated by commas", "ids");
        }

        if (ids.FirstOrDefault(id => runs.Get(id) is null) is { } unknown)
        {
            return ApiProblem.Of(StatusCodes.Status404NotFound, "unknown run", $"no run with id '{unknown}'");
        }

        return Svg(DashboardCharts.CompareLoss([.. ids.Select(id => (id, runs.Epochs(id)))]));
    }

    private IResult SearchCurves(string id) =>
        searches.Load(id) is Result<StoredSearch>.Ok { Value: var s }
            ? Svg(DashboardCharts.SearchCurves(Leaderboard.Rank(s.Trials, s.Request.Plan.Seeds, s.Request.Plan.Criterion), s.Trials))
            : UnknownSearch(id);

    private IResult Effect(string id, string parameter)
    {
        if (searches.Load(id) is not Result<StoredSearch>.Ok { Value: var s })
        {
            return UnknownSearch(id);
        }

        return DashboardCharts.Effect(Leaderboard.Rank(s.Trials, s.Request.Plan.Seeds, s.Request.Plan.Criterion), parameter) is { } svg
            ? Svg(svg)
            : ApiProblem.Of(StatusCodes.Status404NotFound, "unknown hyperparameter", $"no hyperparameter '{parameter}'");
    }

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
