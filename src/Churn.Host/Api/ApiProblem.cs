using System.Collections.Immutable;
using Churn.Host.Logging;
using Churn.Numerics;
using Microsoft.AspNetCore.Http;

namespace Churn.Host.Api;

/// <summary>The one shape of every error the API returns: RFC 9457 problem details, naming the bad field when there is one.</summary>
internal static class ApiProblem
{
    public static IResult Of(int status, string title, string detail, string? field = null) =>
        Results.Problem(
            detail: detail,
            statusCode: status,
            title: title,
            extensions: field is null ? null : ImmutableDictionary<string, object?>.Empty.Add("field", field));

    /// <summary>
    /// A 400 naming every field at fault: <c>errors</c> lists each (<c>field</c>, <c>reason</c>) so that a form marks
    /// them all; <c>field</c> and <c>detail</c> lead with the first, as a single problem's do.
    /// </summary>
    public static IResult Fields(string title, IReadOnlyList<Problem> problems) =>
        Results.Problem(
            detail: string.Join("; ", problems.Select(p => $"{p.Column}: {p.Reason}")),
            statusCode: StatusCodes.Status400BadRequest,
            title: title,
            extensions: ImmutableDictionary<string, object?>.Empty
                .Add("field", problems[0].Column)
                .Add("errors", problems.Select(p => new FieldError(p.Column ?? "", p.Reason)).ToArray()));

    /// <summary>One field a request got wrong, and why.</summary>
    public sealed record FieldError(string Field, string Reason);

    /// <summary>A 400 for a query parameter the problem names.</summary>
    public static IResult InvalidQuery(Problem problem) => Of(StatusCodes.Status400BadRequest, "invalid query", problem.Reason, problem.Column);
}

/// <summary>The query parameters several endpoints take, read and checked once.</summary>
internal static class ApiQuery
{
    /// <summary>The lines a log endpoint answers with when the request gives no <c>?limit=</c>.</summary>
    public const int LogLines = 1000;

    /// <summary><c>?limit=</c>: a whole number from 1 to 10000, <paramref name="fallback"/> when absent.</summary>
    public static Result<int> Limit(HttpRequest request, int fallback) =>
        request.Query["limit"].FirstOrDefault() is not { } text ? Result.Ok(fallback)
        : int.TryParse(text, out var limit) && limit is >= 1 and <= 10_000 ? Result.Ok(limit)
        : Result.Fail<int>("limit: expected a whole number from 1 to 10000", column: "limit");

    /// <summary><c>?level=</c> and <c>?actor=</c> of the lines of one run or search.</summary>
    public static Result<LogQuery> Logs(string id, HttpRequest request) =>
        LogQuery.Parse(id, request.Query["actor"].FirstOrDefault(), request.Query["level"].FirstOrDefault());
}
