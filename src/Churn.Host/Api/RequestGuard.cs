using System.Net;
using System.Security.Cryptography;
using System.Text;
using Churn.Host.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace Churn.Host.Api;

/// <summary>
/// What every request passes before an endpoint sees it, in this order: a <c>Host</c> header naming this host (a DNS
/// rebinding page sends its own name), an <c>Origin</c> that is the host's own or listed in <c>host.allowedOrigins</c>
/// (a page elsewhere in the user's browser), the API token when one is set, and JSON for any request body (a
/// cross-site form or <c>text/plain</c> fetch needs no preflight; JSON does).
/// </summary>
internal sealed class RequestGuard
{
    private readonly HostSettings _host;
    private readonly HashSet<string> _hosts;
    private readonly HashSet<string> _origins;

    public RequestGuard(HostSettings host)
    {
        _host = host;
        _hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "localhost", "127.0.0.1", "[::1]", "::1" };
        if (IPAddress.TryParse(host.Bind, out var bound) && !bound.Equals(IPAddress.Any) && !bound.Equals(IPAddress.IPv6Any))
        {
            _hosts.Add(bound.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{bound}]" : bound.ToString());
        }
        foreach (var name in host.AllowedHosts ?? [])
        {
            _hosts.Add(name.Trim());
        }
        _origins = new HashSet<string>((host.AllowedOrigins ?? []).Select(o => o.Trim().TrimEnd('/')), StringComparer.OrdinalIgnoreCase);
    }

    public void Use(WebApplication app) => app.Use(CheckAsync);

    private async Task CheckAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var refusal = CheckHost(request) ?? CheckOrigin(request) ?? CheckToken(context) ?? CheckContentType(context);
        if (refusal is not null)
        {
            // The body (if any) is left unread: closing the connection keeps a client from sending its next request after it.
            context.Response.Headers.Connection = "close";
            await refusal.ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    private IResult? CheckHost(HttpRequest request)
    {
        // "localhost." is the same name as "localhost" (the root's, fully qualified).
        var name = request.Host.Host is [.. var bare, '.'] ? bare : request.Host.Host;
        if (request.Host.HasValue && _hosts.Contains(name))
        {
            return null;
        }
        return ApiProblem.Of(StatusCodes.Status421MisdirectedRequest, "unknown host name",
            $"this host answers to {string.Join(", ", _hosts.Order(StringComparer.Ordinal))}, not '{Printable(request.Host.Value ?? "")}'; list other names in host.allowedHosts", "Host");
    }

    private IResult? CheckOrigin(HttpRequest request)
    {
        if (request.Headers.Origin.FirstOrDefault() is not { } origin)
        {
            return null;
        }
        var own = $"{request.Scheme}://{request.Host.Value}";
        if (origin.Equals(own, StringComparison.OrdinalIgnoreCase) || _origins.Contains(origin.TrimEnd('/')))
        {
            return null;
        }
        return ApiProblem.Of(StatusCodes.Status403Forbidden, "cross-site request refused",
            $"requests from origin '{Printable(origin)}' are refused; list trusted origins in host.allowedOrigins", "Origin");
    }

    /// <summary>
    /// With <c>host.apiToken</c> set, every request needs <c>Authorization: Bearer &lt;token&gt;</c> but <c>/health</c> and
    /// the reading of the dashboard's page and assets (which hold no data: the page asks the user for the token).
    /// </summary>
    private IResult? CheckToken(HttpContext context)
    {
        var request = context.Request;
        var isPublic = request.Path == "/health"
            || ((HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) && Dashboard.DashboardApi.IsPublic(request.Path));
        if (_host.ApiToken is not { Length: > 0 } token || isPublic || HasToken(request, token))
        {
            return null;
        }
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return ApiProblem.Of(StatusCodes.Status401Unauthorized, "unauthorized", "this host needs the header 'Authorization: Bearer <token>' (host.apiToken)");
    }

    private static IResult? CheckContentType(HttpContext context)
    {
        var request = context.Request;
        // A body (or a declared type) must be JSON; a bodiless command (POST /searches/{id}/resume) has nothing to
        // check, and a cross-site one is still refused by its Origin.
        var hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0 || request.ContentType is not null;
        var needsJson = hasBody && (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method) || HttpMethods.IsDelete(request.Method));
        if (!needsJson)
        {
            return null;
        }
        var accepted = context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes is { Count: > 0 } types
            ? types
            : ["application/json"];
        var mediaType = request.ContentType is { } type ? type.Split(';', 2)[0].Trim() : "";
        if (accepted.Any(a => a.Equals(mediaType, StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }
        return ApiProblem.Of(StatusCodes.Status415UnsupportedMediaType, "unsupported content type",
            $"the body must be sent as {string.Join(" or ", accepted)}, not '{Printable(mediaType)}'", "Content-Type");
    }

    private static bool HasToken(HttpRequest request, string token)
    {
        var header = request.Headers.Authorization.FirstOrDefault();
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[7..].Trim()), Encoding.UTF8.GetBytes(token));
    }

    /// <summary>A header value as it may be echoed: control characters escaped, long values cut.</summary>
    private static string Printable(string value)
    {
        var text = new StringBuilder();
        foreach (var c in value.Length > 100 ? value[..100] : value)
        {
            text.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c);
        }
        return text.ToString();
    }
}
