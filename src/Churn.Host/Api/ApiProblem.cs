using System.Collections.Immutable;
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
}
