using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Churn.Numerics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Churn.Host.Api;

/// <summary>
/// A request body read as the host reads every one: at most a configured number of bytes (a 413 naming the setting
/// beyond it), JSON into a record that refuses unknown fields, and a 400 naming the field that is wrong.
/// </summary>
internal static class ApiBody
{
    private static readonly JsonSerializerOptions ReadOptions = JsonInput.Options(new JsonSerializerOptions(JsonFormat.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    });

    /// <summary>The body as a <typeparamref name="T"/>, or the answer to give instead; <paramref name="title"/> heads a 400.</summary>
    public static async Task<(T? Value, IResult? Refusal)> ReadAsync<T>(HttpContext context, long limit, string setting, string title)
        where T : class
    {
        if (Limit(context, limit, setting) is { } tooLarge)
        {
            return (null, tooLarge);
        }
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(context.Request.Body, ReadOptions, context.RequestAborted);
            return value is null ? (null, Bad(title, JsonInput.Body, "expected a JSON object")) : (value, null);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(limit, setting));
        }
        catch (JsonException ex)
        {
            var problem = JsonInput.Explain(ex, typeof(T));
            return (null, Bad(title, problem.Column ?? JsonInput.Body, problem.Reason));
        }
    }

    /// <summary>The body's bytes, or the answer to give instead when there are more than <paramref name="limit"/>.</summary>
    public static async Task<(byte[]? Bytes, int Length, IResult? Refusal)> ReadBytesAsync(HttpContext context, long limit, string setting)
    {
        if (Limit(context, limit, setting) is { } tooLarge)
        {
            return (null, 0, tooLarge);
        }
        var buffer = new byte[context.Request.ContentLength is { } length ? (int)length : 4096];
        var used = 0;
        try
        {
            while (true)
            {
                if (used == buffer.Length)
                {
                    if (buffer.Length >= limit)
                    {
                        // One byte more than the limit allows shows the body is too large.
                        var probe = new byte[1];
                        if (await context.Request.Body.ReadAsync(probe, context.RequestAborted) > 0)
                        {
                            context.Response.Headers.Connection = "close";
                            return (null, 0, TooLarge(limit, setting));
                        }
                        break;
                    }
                    Array.Resize(ref buffer, (int)Math.Min(limit, (long)buffer.Length * 2));
                }
                var read = await context.Request.Body.ReadAsync(buffer.AsMemory(used), context.RequestAborted);
                if (read == 0)
                {
                    break;
                }
                used += read;
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, 0, TooLarge(limit, setting));
        }
        return (buffer, used, null);
    }

    /// <summary>What a request's <c>baseRate</c> must be when it is given: <see cref="IsBaseRate"/> says whether it is.</summary>
    public const string BaseRateRule = "the population's buying rate, a number between 0 and 1 (exclusive)";

    public static bool IsBaseRate(double rate) => rate > 0 && rate < 1;

    public static IResult Bad(string title, string field, string detail) =>
        ApiProblem.Of(StatusCodes.Status400BadRequest, title, $"{field}: {detail}", field);

    /// <summary>Raises the server's body limit to <paramref name="limit"/> for this request, or refuses a declared length beyond it.</summary>
    private static IResult? Limit(HttpContext context, long limit, string setting)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }
        if (context.Request.ContentLength > limit)
        {
            context.Response.Headers.Connection = "close";
            return TooLarge(limit, setting);
        }
        return null;
    }

    private static IResult TooLarge(long limit, string setting) =>
        ApiProblem.Of(StatusCodes.Status413PayloadTooLarge, "request too large", $"the body may be at most {limit} bytes ({setting})");

    /// <summary>
    /// <paramref name="use"/> given the path of a private temporary copy of <paramref name="text"/> (posted CSV goes
    /// through the same loader as a file), removed afterwards.
    /// </summary>
    public static Result<T> Staged<T>(string text, Func<string, Result<T>> use)
    {
        var path = Path.Combine(Path.GetTempPath(), $"churn-posted-{Guid.NewGuid():N}.csv");
        try
        {
            using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(Encoding.UTF8.GetBytes(text));
            }
            return use(path);
        }
        catch (IOException e)
        {
            return Result.Fail<T>($"cannot stage the customers: {e.Message}");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
