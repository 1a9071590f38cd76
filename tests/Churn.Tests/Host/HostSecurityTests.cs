using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Churn.Host.Api;
using Churn.Host.Configuration;
using Microsoft.Extensions.Logging;

namespace Churn.Tests.Host;

/// <summary>
/// What a web page in the user's browser, a careless script or a hostile request can make a host read, write or do:
/// paths outside the roots, cross-site and rebinding requests, weak tokens, open binds.
/// </summary>
public class HostSecurityTests
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<(HttpStatusCode Status, JsonNode Problem)> SendAsync(HttpClient http, HttpRequestMessage request)
    {
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, JsonNode.Parse(text.Length == 0 ? "{}" : text)!);
    }

    private static async Task<(HttpStatusCode Status, string Body)> PostRawAsync(TestHost host, string path, string body)
    {
        using var response = await host.Http.PostAsync(path, Json(body), TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private static async Task AssertNoRunsAsync(TestHost host) => Assert.Empty((await host.GetJsonAsync("runs"))["runs"]!.AsArray());

    [Fact]
    public async Task A_file_outside_the_data_roots_gets_the_same_answer_as_a_missing_one_and_is_not_read()
    {
        await using var host = await TestHost.StartAsync();
        var outside = Path.Combine(Path.GetTempPath(), $"churn-outside-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(outside, "not,a,customer,file\n", TestContext.Current.CancellationToken);
        try
        {
            var existing = await PostRawAsync(host, "runs", new JsonObject { ["mode"] = "prepare", ["data"] = outside }.ToJsonString());
            var missing = await PostRawAsync(host, "runs", new JsonObject { ["mode"] = "prepare", ["data"] = outside + ".missing" }.ToJsonString());
            var system = await PostRawAsync(host, "runs", """{"mode": "prepare", "data": "/etc/passwd"}""");
            var systemMissing = await PostRawAsync(host, "runs", """{"mode": "prepare", "data": "/etc/no-such-file"}""");
            var searchExisting = await PostRawAsync(host, "searches", """{"data": "/etc/passwd"}""");
            var searchMissing = await PostRawAsync(host, "searches", """{"data": "/etc/no-such-file"}""");

            Assert.Equal(HttpStatusCode.BadRequest, existing.Status);
            Assert.Equal(existing, missing);
            Assert.Equal(existing, system);
            Assert.Equal(existing, systemMissing);
            Assert.Equal(HttpStatusCode.BadRequest, searchExisting.Status);
            Assert.Equal(searchExisting, searchMissing);
            var problem = JsonNode.Parse(existing.Body)!;
            Assert.Equal("data", problem["field"]!.GetValue<string>());
            Assert.Contains("data roots", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.DoesNotContain("root:", existing.Body, StringComparison.Ordinal);
            await AssertNoRunsAsync(host);
        }
        finally
        {
            File.Delete(outside);
        }
    }

    [Fact]
    public async Task A_link_inside_a_data_root_to_a_file_outside_is_refused_and_a_device_is_refused_even_inside_a_root()
    {
        var dir = TestPaths.NewTempDirectory();
        var link = Path.Combine(dir, "customers.csv");
        File.CreateSymbolicLink(link, "/etc/passwd");
        var parent = Path.Combine(dir, "sub");
        Directory.CreateDirectory(parent);
        await using var host = await TestHost.StartAsync(hostSettings: new JsonObject { ["dataRoots"] = new JsonArray(dir, "/dev") });

        var linked = await PostRawAsync(host, "runs", new JsonObject { ["mode"] = "prepare", ["data"] = link }.ToJsonString());
        var dotted = await PostRawAsync(host, "runs", new JsonObject { ["mode"] = "prepare", ["data"] = $"{parent}/../../../../../etc/passwd" }.ToJsonString());
        var device = await PostRawAsync(host, "runs", """{"mode": "prepare", "data": "/dev/zero"}""");
        var directory = await PostRawAsync(host, "runs", new JsonObject { ["mode"] = "prepare", ["data"] = parent }.ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, linked.Status);
        Assert.Equal(linked, dotted);
        Assert.Equal(linked, device);
        Assert.Equal(linked, directory);
        await AssertNoRunsAsync(host);
    }

    [Fact]
    public async Task An_output_outside_the_output_root_is_refused_and_nothing_is_written_there()
    {
        var outside = Path.Combine(Path.GetTempPath(), $"churn-out-{Guid.NewGuid():N}");
        await using var host = await TestHost.StartAsync();
        var escape = Path.Combine(host.Directory, "link");
        Directory.CreateDirectory(outside);
        Directory.CreateSymbolicLink(escape, outside);
        try
        {
            foreach (var body in new[]
            {
                new JsonObject { ["mode"] = "prepare", ["out"] = $"{outside}/a/../b" },
                new JsonObject { ["mode"] = "prepare", ["out"] = Path.Combine(host.Directory, "..", "..", "..", "escaped") },
                new JsonObject { ["mode"] = "prepare", ["out"] = Path.Combine(escape, "run") },
                new JsonObject { ["mode"] = "prepare", ["out"] = "/etc" },
            })
            {
                var (status, text) = await PostRawAsync(host, "runs", body.ToJsonString());
                Assert.True(status == HttpStatusCode.BadRequest, text);
                Assert.Equal("out", JsonNode.Parse(text)!["field"]!.GetValue<string>());
            }
            var search = await PostRawAsync(host, "searches", new JsonObject { ["out"] = Path.Combine(escape, "search") }.ToJsonString());
            var prefix = await PostRawAsync(host, "runs", new JsonObject { ["mode"] = "prepare", ["out"] = Path.Combine(host.Directory, "p"), ["prefix"] = "../../x" }.ToJsonString());

            Assert.Equal(HttpStatusCode.BadRequest, search.Status);
            Assert.Equal("out", JsonNode.Parse(search.Body)!["field"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.BadRequest, prefix.Status);
            Assert.Equal("prefix", JsonNode.Parse(prefix.Body)!["field"]!.GetValue<string>());
            Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
            await AssertNoRunsAsync(host);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public async Task A_run_inside_the_roots_resolves_its_paths_and_writes_under_the_output_root()
    {
        await using var host = await TestHost.StartAsync();
        var id = await host.SubmitAsync(new JsonObject { ["mode"] = "prepare", ["out"] = Path.Combine(host.Directory, "x", "..", "inside") });

        var run = await host.WaitForAsync(id, r => r["status"]!.GetValue<string>() is not ("queued" or "running"), TimeSpan.FromSeconds(120));

        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        Assert.Equal(Path.Combine(host.Directory, "inside"), run["config"]!["out"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(host.Directory, "inside", "manifest.json")));
    }

    [Theory]
    [InlineData("runs", "text/plain")]
    [InlineData("runs", "application/x-www-form-urlencoded")]
    [InlineData("runs", "multipart/form-data; boundary=x")]
    [InlineData("runs", null)]
    [InlineData("searches", "text/plain")]
    public async Task A_post_that_is_not_json_is_a_415_and_starts_nothing(string path, string? contentType)
    {
        await using var host = await TestHost.StartAsync();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"mode": "prepare"}"""));
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        var (status, problem) = await SendAsync(host.Http, new HttpRequestMessage(HttpMethod.Post, path) { Content = content });

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal("Content-Type", problem["field"]!.GetValue<string>());
        await AssertNoRunsAsync(host);
    }

    [Fact]
    public async Task A_foreign_origin_is_refused_the_hosts_own_and_listed_origins_are_served()
    {
        await using var host = await TestHost.StartAsync(hostSettings: new JsonObject { ["allowedOrigins"] = new JsonArray("https://dashboard.example") });
        HttpRequestMessage Post(string origin)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "runs") { Content = Json("""{"mode": "prepare", "model": {"colour": 1}}""") };
            request.Headers.TryAddWithoutValidation("Origin", origin);
            return request;
        }
        var own = host.Server.Address.ToString().TrimEnd('/');

        var foreign = await SendAsync(host.Http, Post("https://evil.example"));
        var opaque = await SendAsync(host.Http, Post("null"));
        var sameHostOtherPort = await SendAsync(host.Http, Post("http://127.0.0.1:1"));
        var ownOrigin = await SendAsync(host.Http, Post(own));
        var listed = await SendAsync(host.Http, Post("https://dashboard.example"));
        var deleteRequest = new HttpRequestMessage(HttpMethod.Delete, "runs/any");
        deleteRequest.Headers.TryAddWithoutValidation("Origin", "https://evil.example");
        var delete = await SendAsync(host.Http, deleteRequest);

        Assert.Equal(HttpStatusCode.Forbidden, foreign.Status);
        Assert.Equal("Origin", foreign.Problem["field"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, opaque.Status);
        Assert.Equal(HttpStatusCode.Forbidden, sameHostOtherPort.Status);
        Assert.Equal(HttpStatusCode.Forbidden, delete.Status);

        // Past the guard, the body's own fault is what is reported.
        Assert.Equal(HttpStatusCode.BadRequest, ownOrigin.Status);
        Assert.Equal("model.colour", ownOrigin.Problem["field"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, listed.Status);
        await AssertNoRunsAsync(host);
    }

    [Fact]
    public async Task A_host_header_other_than_the_bound_address_localhost_or_a_listed_name_is_refused()
    {
        await using var host = await TestHost.StartAsync(hostSettings: new JsonObject { ["allowedHosts"] = new JsonArray("churn.internal") });
        var port = host.Server.Address.Port;
        async Task<HttpStatusCode> GetAsync(string hostHeader)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "runs");
            request.Headers.Host = hostHeader;
            return (await SendAsync(host.Http, request)).Status;
        }

        Assert.Equal(HttpStatusCode.MisdirectedRequest, await GetAsync($"evil.example:{port}"));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, await GetAsync("attacker.rebind.example"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync($"127.0.0.1:{port}"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync($"localhost:{port}"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync($"churn.internal:{port}"));
    }

    /// <summary>One request written by hand (no client normalizes its path or fixes its headers); the answer's status.</summary>
    private static async Task<int> RawStatusAsync(TestHost host, string requestLine, string[] headers, string body = "")
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(host.Server.Address.Host, host.Server.Address.Port, TestContext.Current.CancellationToken);
        await using var stream = tcp.GetStream();
        var text = $"{requestLine}\r\n{string.Join("", headers.Select(h => h + "\r\n"))}Connection: close\r\n\r\n{body}";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text), TestContext.Current.CancellationToken);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var status = await reader.ReadLineAsync(TestContext.Current.CancellationToken) ?? "";
        return int.Parse(status.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task With_a_token_only_health_and_reading_the_dashboards_page_and_assets_need_none()
    {
        const string token = "security-test-token-0123456789";
        await using var host = await TestHost.StartAsync(apiToken: token);
        var hostHeader = $"Host: 127.0.0.1:{host.Server.Address.Port}";
        Task<int> Get(string target, params string[] more) => RawStatusAsync(host, $"GET {target} HTTP/1.1", [hostHeader, .. more]);

        Assert.Equal(200, await Get("/"));
        Assert.Equal(200, await Get("/assets/app.js"));
        Assert.Equal(200, await Get("/assets/app.css"));
        Assert.Equal(200, await Get("/health"));
        Assert.Equal(200, await Get("/runs", $"Authorization: Bearer {token}"));

        // Everything else needs the header: the API, the dashboard's data and charts, writes to the public paths, and
        // paths that only look public before they are decoded and resolved.
        foreach (var target in new[]
        {
            "/runs", "/defaults", "/searches", "/runs/x/charts/loss.svg", "/compare/loss.svg?ids=a,b", "/assets/../runs",
            "/assets/%2e%2e/runs", "/assets/%2E%2E/defaults", "/assets/..%2fruns", "/%61ssets/../runs", "//runs",
        })
        {
            var status = await Get(target);
            Assert.True(status is 401 or 404, $"GET {target}: {status}");
        }
        Assert.Equal(401, await Get("/runs"));
        Assert.Equal(401, await Get("/assets/%2e%2e/runs"));
        // A token in the query string is no token: it would end up in logs and browser history.
        Assert.Equal(401, await Get($"/runs?access_token={token}"));
        Assert.Equal(401, await Get($"/runs?token={token}"));
        Assert.Equal(401, await Get("/runs", $"Authorization: Bearer {token}x"));
        Assert.Equal(401, await Get("/runs", $"Authorization: Basic {Convert.ToBase64String(Encoding.ASCII.GetBytes("u:" + token))}"));
        Assert.Equal(401, await RawStatusAsync(host, "POST / HTTP/1.1", [hostHeader, "Content-Type: application/json", "Content-Length: 2"], "{}"));
        Assert.Equal(401, await RawStatusAsync(host, "POST /runs HTTP/1.1", [hostHeader, "Content-Type: application/json", "Content-Length: 2"], "{}"));
        Assert.Equal(401, await RawStatusAsync(host, "DELETE /assets/app.js HTTP/1.1", [hostHeader]));
        // HEAD reads as GET does (a monitor's or a link checker's question): the page, not its data.
        Assert.Equal(200, await RawStatusAsync(host, "HEAD / HTTP/1.1", [hostHeader]));
        Assert.Equal(401, await RawStatusAsync(host, "HEAD /runs HTTP/1.1", [hostHeader]));
    }

    private static Churn.Numerics.Result<ChurnServer> Create(JsonObject host)
    {
        var defaults = ChurnConfig.Merge(ChurnConfig.LoadNode(null).Unwrap(), new JsonObject
        {
            ["logs"] = Path.Combine(TestPaths.NewTempDirectory(), "logs"),
            ["host"] = ChurnConfig.Merge(new JsonObject { ["port"] = 0, ["store"] = Path.Combine(TestPaths.NewTempDirectory(), "churn.db") }, host),
        });
        return ChurnServer.Create(ChurnConfig.FromNode(defaults, "test").Unwrap(), defaults, LogLevel.None);
    }

    [Theory]
    [InlineData("""{"apiToken": "short"}""", "host.apiToken")]
    [InlineData("""{"apiToken": "fifteen-chars!!"}""", "host.apiToken")]
    [InlineData("""{"bind": "0.0.0.0"}""", "host.bind")]
    [InlineData("""{"bind": "::"}""", "host.bind")]
    [InlineData("""{"limits": {"maxQueuedRuns": 0}}""", "host.limits.maxQueuedRuns")]
    public void The_host_refuses_to_start_with_a_weak_token_or_an_open_bind_without_one(string host, string field)
    {
        var created = Create(JsonNode.Parse(host)!.AsObject());

        var problem = Assert.IsType<Churn.Numerics.Result<ChurnServer>.Error>(created).Problem;
        Assert.Equal(field, problem.Column);
    }

    [Theory]
    [InlineData("""{"bind": "0.0.0.0", "apiToken": "0123456789abcdef"}""")]
    [InlineData("""{"bind": "0.0.0.0", "trustedNetwork": true}""")]
    [InlineData("""{"bind": "127.0.0.1"}""")]
    public async Task An_open_bind_is_allowed_with_a_long_token_or_an_explicitly_trusted_network(string host)
    {
        // Created, never started: the test listens on nothing beyond loopback.
        var created = Create(JsonNode.Parse(host)!.AsObject());

        await using var server = Assert.IsType<Churn.Numerics.Result<ChurnServer>.Ok>(created).Value;
    }

    [Fact]
    public async Task Churn_host_bound_beyond_loopback_without_a_token_exits_1_naming_the_remedy()
    {
        var dir = TestPaths.NewTempDirectory();

        var result = await Churn.Tests.Cli.ChurnProcess.RunAsync(dir, "host", "--bind", "0.0.0.0", "--port", "0", "--store", Path.Combine(dir, "churn.db"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("host.bind", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--trusted-network", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "churn.db")));
    }
}
