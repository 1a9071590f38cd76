using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Churn.Tests.Host;

/// <summary>What the host refuses, and how: problem details (RFC 7807) that name the field at fault.</summary>
public class HostValidationTests
{
    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"mode": "prepare", """, "body" },
        { """[1, 2]""", "body" },
        { """{"colour": "blue"}""", "colour" },
        { """{"host": {"port": 1}}""", "host" },
        { """{"model": {"colour": "blue"}}""", "model.colour" },
        { """{"seed": "abc"}""", "seed" },
        { """{"seed": -1}""", "seed" },
        { """{"stratify": "yes"}""", "stratify" },
        { """{"balance": "sideways"}""", "balance" },
        { """{"logFeatures": ["price_avg", "colour"]}""", "logFeatures" },
        { """{"logFeatures": {"price_avg": true}}""", "logFeatures" },
        { """{"device": "abacus"}""", "device" },
        { """{"model": {"batchSize": "many"}}""", "model.batchSize" },
        { """{"model": {"batchSize": 0}}""", "model.batchSize" },
        { """{"model": {"learningRate": 5}}""", "model.learningRate" },
        { """{"model": {"dropout": 1}}""", "model.dropout" },
        { """{"split": "0.5,0.2"}""", "split" },
        { """{"split": "0.8,0.3,0.1"}""", "split" },
        { """{"mode": "fly"}""", "mode" },
        { """{"data": "/no/such/customers.csv"}""", "data" },
        { """{"data": null}""", "data" },
        { """{"model": null}""", "model" },
        { """{"seed": 1, "seed": 2}""", "seed" },
        { """{"model": {"maxEpochs": 1e12}}""", "model.maxEpochs" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_body_is_a_400_problem_naming_the_field(string body, string field)
    {
        await using var host = await TestHost.StartAsync();

        using var response = await host.PostAsync(body);

        var problem = await Problem(response, HttpStatusCode.BadRequest);
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        Assert.StartsWith($"{field}: ", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var runs = await host.GetJsonAsync("runs");
        Assert.Empty(runs["runs"]!.AsArray());
    }

    [Fact]
    public async Task A_body_with_several_bad_fields_is_one_400_naming_every_field_and_why()
    {
        await using var host = await TestHost.StartAsync();

        using var response = await host.PostAsync("""
            {"mode": "fly", "seed": -1, "balance": "sideways", "colour": "blue", "prefix": "../x",
             "model": {"width": 5000, "dropout": 2, "batchSize": "many", "learningRate": 5, "shade": 1}}
            """);

        var problem = await Problem(response, HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsArray().Select(e => (Field: e!["field"]!.GetValue<string>(), Reason: e["reason"]!.GetValue<string>())).ToList();
        Assert.Equal(
            ["balance", "colour", "mode", "model.batchSize", "model.dropout", "model.learningRate", "model.shade", "model.width", "prefix", "seed"],
            errors.Select(e => e.Field).Order(StringComparer.Ordinal));
        // The fields of the table come in its order (the form's), after those of the body it does not know.
        Assert.True(errors.FindIndex(e => e.Field == "seed") < errors.FindIndex(e => e.Field == "balance"));
        Assert.True(errors.FindIndex(e => e.Field == "balance") < errors.FindIndex(e => e.Field == "model.width"));
        // The width names this host's limit, not the model's own.
        Assert.Contains("between 1 and 1024", errors.Single(e => e.Field == "model.width").Reason, StringComparison.Ordinal);
        Assert.Equal(errors[0].Field, problem["field"]!.GetValue<string>());
        Assert.All(errors, e => Assert.Contains($"{e.Field}: {e.Reason}", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.Empty((await host.GetJsonAsync("runs"))["runs"]!.AsArray());
    }

    [Fact]
    public async Task A_width_over_the_host_limit_but_within_the_models_is_named_with_the_other_bad_fields()
    {
        await using var host = await TestHost.StartAsync();

        using var response = await host.PostAsync("""{"model": {"width": 2000, "depth": 0, "patience": 5000}}""");

        var problem = await Problem(response, HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsArray().ToDictionary(e => e!["field"]!.GetValue<string>(), e => e!["reason"]!.GetValue<string>());
        Assert.Equal(["model.depth", "model.patience", "model.width"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("host.limits.maxWidth", errors["model.width"], StringComparison.Ordinal);
        Assert.Contains("host.limits.maxPatience", errors["model.patience"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "runs/no-such-run")]
    [InlineData("GET", "runs/no-such-run/events")]
    [InlineData("GET", "runs/no-such-run/logs")]
    [InlineData("DELETE", "runs/no-such-run")]
    [InlineData("GET", "no/such/resource")]
    public async Task An_unknown_id_is_a_404_problem(string method, string path)
    {
        await using var host = await TestHost.StartAsync();

        using var response = await host.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), TestContext.Current.CancellationToken);

        await Problem(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("GET", "runs")]
    [InlineData("POST", "runs")]
    [InlineData("GET", "runs/any")]
    [InlineData("GET", "runs/any/events")]
    [InlineData("GET", "runs/any/logs")]
    [InlineData("DELETE", "runs/any")]
    public async Task With_an_api_token_every_endpoint_but_health_needs_it(string method, string path)
    {
        await using var host = await TestHost.StartAsync(apiToken: "s3cret-s3cret-s3cret");

        using var none = await host.Http.SendAsync(Request(method, path, null), TestContext.Current.CancellationToken);
        using var wrong = await host.Http.SendAsync(Request(method, path, "guess"), TestContext.Current.CancellationToken);
        using var right = await host.Http.SendAsync(Request(method, path, "s3cret-s3cret-s3cret"), TestContext.Current.CancellationToken);

        await Problem(none, HttpStatusCode.Unauthorized);
        await Problem(wrong, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        Assert.NotEqual(HttpStatusCode.Unauthorized, right.StatusCode);
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_a_413_problem()
    {
        await using var host = await TestHost.StartAsync(maxRequestBytes: 2048);
        var padded = $$"""{"mode": "prepare", "data": "{{new string('x', 4000)}}"}""";

        using var declared = await host.PostAsync(padded);
        var streamed = new HttpRequestMessage(HttpMethod.Post, "runs") { Content = new StringContent(padded, Encoding.UTF8, "application/json") };
        streamed.Headers.TransferEncodingChunked = true;
        using var chunked = await host.Http.SendAsync(streamed, TestContext.Current.CancellationToken);

        await Problem(declared, HttpStatusCode.RequestEntityTooLarge);
        await Problem(chunked, HttpStatusCode.RequestEntityTooLarge);
    }

    private static HttpRequestMessage Request(string method, string path, string? token)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent("""{"mode": "prepare"}""", Encoding.UTF8, "application/json");
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    private static async Task<JsonNode> Problem(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!;
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(problem["detail"]?.GetValue<string>()));
        return problem;
    }
}
