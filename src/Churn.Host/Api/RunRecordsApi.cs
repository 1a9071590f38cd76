using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Hosting;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Actors.Runs;
using Churn.Host.Store;
using Churn.Numerics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Churn.Host.Api;

/// <summary>
/// What people keep about runs: <c>PATCH /runs/{id}</c> sets a run's name, tags, notes and archived flag;
/// <c>DELETE /runs/{id}/record</c> forgets an ended run, and with <c>?files=true</c> removes its output folder too,
/// only when that folder is inside the host's output root (and is not the root itself).
/// </summary>
internal sealed class RunRecordsApi(SqliteRunStore store, ConfinedPaths paths, IRequiredActor<RunsActor> runsActor)
{
    /// <summary>The fields of a request that label a run rather than configure it (<c>POST /runs</c> takes them too).</summary>
    public static readonly ImmutableArray<string> LabelFields = ["name", "tags", "notes", "archived"];

    public void Map(WebApplication app)
    {
        app.MapPatch("/runs/{id}", (Delegate)PatchAsync);
        app.MapDelete("/runs/{id}/record", Remove);
    }

    /// <summary>
    /// Takes the label fields out of a run request's body: the labels they give (over <paramref name="current"/>) and
    /// the body without them. A body that is not a JSON object is left as it is, for the run's own parser to refuse.
    /// </summary>
    public static Result<(RunLabels Labels, string Body)> Take(string body, RunLabels current)
    {
        // Parsed as the run's own parser does (duplicate fields refused): a body it would refuse is left as it is,
        // so that the refusal names the field, and a body without labels is passed on unchanged.
        if (JsonInput.ParseObject(body, null, lenient: false) is not Result<JsonObject>.Ok { Value: var node }
            || !LabelFields.Any(f => node.ContainsKey(f)))
        {
            return Result.Ok((current, body));
        }

        var labels = current;
        foreach (var field in LabelFields)
        {
            if (!node.TryGetPropertyValue(field, out var value))
            {
                continue;
            }

            node.Remove(field);
            var read = Read(labels, field, value);
            if (read is Result<RunLabels>.Error error)
            {
                return error.Problem;
            }

            labels = read.Unwrap();
        }

        return labels.Check().Map(checkedLabels => (checkedLabels, node.ToJsonString()));
    }

    private static Result<RunLabels> Read(RunLabels labels, string field, JsonNode? value)
    {
        bool Text(out string? text)
        {
            text = null;
            return value is null || (value is JsonValue v && v.TryGetValue(out text));
        }

        switch (field)
        {
            case "name" when Text(out var name):
                return Result.Ok(labels with { Name = name });
            case "notes" when Text(out var notes):
                return Result.Ok(labels with { Notes = notes });
            case "archived" when value is JsonValue v && v.TryGetValue<bool>(out var archived):
                return Result.Ok(labels with { Archived = archived });
            case "tags" when value is null:
                return Result.Ok(labels with { Tags = [] });
            case "tags" when value is JsonArray list && list.All(t => t is JsonValue tv && tv.TryGetValue<string>(out _)):
                return Result.Ok(labels with { Tags = [.. list.Select(t => t!.GetValue<string>())] });
            default:
                return new Problem(field switch
                {
                    "archived" => "expected true or false",
                    "tags" => "expected a list of strings",
                    _ => "expected a string or null",
                }, Column: field);
        }
    }

    private async Task<IResult> PatchAsync(string id, HttpContext context)
    {
        if (store.Get(id) is not { } run)
        {
            return Unknown(id);
        }

        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var taken = Take(body, run.Labels ?? RunLabels.None);
        if (taken is Result<(RunLabels, string)>.Error error)
        {
            return Invalid(error.Problem);
        }

        var (labels, rest) = taken.Unwrap();
        if (JsonNode.Parse(rest) is not JsonObject { Count: 0 })
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "invalid labels",
                $"body: expected a JSON object of {string.Join(", ", LabelFields)} only; a run's settings do not change after it is queued", "body");
        }

        store.Label(id, labels);
        if (!RunStatus.IsFinished(run.Status))
        {
            // Whoever follows the run's events (the list of every run) hears of the new labels; an ended run's are only stored.
            (await runsActor.GetAsync(context.RequestAborted)).Tell(new RunLabelled(id, labels));
        }

        return Results.Json(RunView.From(store.Get(id)!), JsonFormat.Options);
    }

    private IResult Remove(string id, HttpRequest request)
    {
        if (store.Get(id) is not { } run)
        {
            return Unknown(id);
        }

        if (!RunStatus.IsFinished(run.Status))
        {
            return ApiProblem.Of(StatusCodes.Status409Conflict, "run not ended", $"run {id} is {run.Status}: cancel it first (DELETE /runs/{id})");
        }

        var files = request.Query["files"].FirstOrDefault();
        if (files is not (null or "true" or "false"))
        {
            return ApiProblem.Of(StatusCodes.Status400BadRequest, "invalid query", "files: expected true or false", "files");
        }

        string? removed = null;
        if (files == "true")
        {
            var folder = run.Config?["out"] is JsonValue v && v.TryGetValue<string>(out var o) ? o : null;
            if (folder is null || paths.Output(folder, "out") is not Result<string>.Ok { Value: var confined } || SamePath(confined, paths.OutputRoot))
            {
                return ApiProblem.Of(StatusCodes.Status409Conflict, "folder not removable",
                    $"run {id}'s output folder is not a folder of its own inside the host's output root; nothing was removed", "files");
            }

            if (Directory.Exists(confined))
            {
                Directory.Delete(confined, recursive: true);
                removed = confined;
            }
        }

        store.Remove(id);
        return Results.Json(new RunRemoved(id, removed is not null), JsonFormat.Options);
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(a), Path.TrimEndingDirectorySeparator(b), StringComparison.Ordinal);

    private static IResult Invalid(Problem problem) =>
        ApiProblem.Of(StatusCodes.Status400BadRequest, "invalid labels", $"{problem.Column}: {problem.Reason}", problem.Column);

    private static IResult Unknown(string id) => ApiProblem.Of(StatusCodes.Status404NotFound, "unknown run", $"no run with id '{id}'");
}

/// <summary>The reply to <c>DELETE /runs/{id}/record</c>: the run is forgotten; <see cref="FilesRemoved"/> says whether its folder went too.</summary>
public sealed record RunRemoved(string Id, bool FilesRemoved);
