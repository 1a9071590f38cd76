using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Churn.Tests.Host;

/// <summary>
/// Requests a careless script or a hostile page could send: JSON nested a thousand deep, names given twice, numbers
/// no field can hold, enum values by number, Host headers in every spelling, every method on every route, ids and
/// names that try to walk out, query values out of range. Each gets a 4xx naming what is wrong, none a 500, and none
/// queues a run or starts a search.
/// </summary>
public class HostileRequestTests
{
    private static string Nested(int depth) => string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);

    private static JsonNode Problem(string body) => JsonNode.Parse(body)!;

    private static async Task AssertNothingStartedAsync(TestHost host)
    {
        Assert.Empty((await host.GetJsonAsync("runs"))["runs"]!.AsArray());
        Assert.Empty((await host.GetJsonAsync("searches"))["searches"]!.AsArray());
    }

    [Fact]
    public async Task Json_nested_a_thousand_deep_is_a_400_about_the_body_on_every_endpoint_that_takes_json()
    {
        await using var host = await TestHost.StartAsync();
        var body = Nested(1000);

        foreach (var path in new[] { "/runs", "/searches", "/runs/any/target" })
        {
            var (status, text) = await host.RawAsync("POST", path, body);
            // The target of an unknown run is a 404 before its body is read; the others read it and refuse it.
            if (path.Contains("target", StringComparison.Ordinal))
            {
                Assert.Equal(404, status);
                continue;
            }
            Assert.True(status == 400, $"{path}: {status} {text}");
            Assert.Equal("body", Problem(text)["field"]!.GetValue<string>());
            Assert.Contains("depth", Problem(text)["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        await AssertNothingStartedAsync(host);
    }

    [Theory]
    [InlineData("/runs", """{"mode": "prepare", "seed": 1, "seed": 2}""", "seed")]
    [InlineData("/runs", """{"mode": "prepare", "seed": 1, "Seed": 2}""", "Seed")]
    [InlineData("/runs", """{"mode": "prepare", "model": {"width": 8, "width": 9}}""", "model.width")]
    [InlineData("/runs", """{"mode": "prepare", "campaign": {"contactCost": 1, "ContactCost": 3}}""", "campaign.ContactCost")]
    [InlineData("/searches", """{"seed": 1, "seed": 2}""", "seed")]
    [InlineData("/searches", """{"trials": 1, "trials": 2}""", "trials")]
    [InlineData("/searches", """{"space": {"width": {"values": [8]}, "width": {"values": [9]}}}""", "space.width")]
    public async Task A_name_given_twice_is_a_400_naming_it_whichever_spelling_came_second(string path, string body, string field)
    {
        await using var host = await TestHost.StartAsync();

        var (status, text) = await host.RawAsync("POST", path, body);

        Assert.True(status == 400, $"{status} {text}");
        Assert.Equal(field, Problem(text)["field"]!.GetValue<string>());
        Assert.Contains("given twice", Problem(text)["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertNothingStartedAsync(host);
    }

    public static TheoryData<string, string, string> WrongValues => new()
    {
        // Enum values by number (or a number in a string) would pass as values the enum does not have.
        { """{"balance": 99}""", "balance", "\"first\", \"random\", \"none\" or \"weighted\"" },
        { """{"balance": 1}""", "balance", "\"first\", \"random\", \"none\" or \"weighted\"" },
        { """{"balance": "1"}""", "balance", "\"first\", \"random\", \"none\" or \"weighted\"" },
        { """{"device": 0}""", "device", "\"auto\", \"mps\", \"cuda\" or \"cpu\"" },
        { """{"model": {"activation": 1}}""", "model.activation", "\"relu\" or \"tanh\"" },
        // Numbers no field can hold, named by what the field takes.
        { """{"model": {"width": 1e400}}""", "model.width", "expected a whole number" },
        { """{"model": {"width": 1.5}}""", "model.width", "expected a whole number" },
        { """{"model": {"maxEpochs": "10"}}""", "model.maxEpochs", "expected a whole number" },
        { """{"seed": -1}""", "seed", "expected a whole number from 0" },
        { """{"seed": 18446744073709551616}""", "seed", "expected a whole number from 0" },
        { """{"model": {"learningRate": "NaN"}}""", "model.learningRate", "expected a number" },
        { """{"model": {"learningRate": 1e400}}""", "model.learningRate", "Infinity" },
        { """{"model": {"width": -0}}""", "model.width", "got 0" },
        { """{"campaign": {"contactCost": "Infinity"}}""", "campaign.contactCost", "expected a number" },
        { """{"stratify": "yes"}""", "stratify", "expected true or false" },
        { """{"split": 0.8}""", "split", "\"0.8,0.1,0.1\"" },
        { """{"model": 5}""", "model", "expected an object" },
        { """{"data": ["a"]}""", "data", "expected a string" },
        { """{"model": {"colour": 1}}""", "model.colour", "unknown field" },
        { """{"seed": NaN}""", "body", "malformed JSON at line 1" },
        { """{"seed": 1} trailing""", "body", "malformed JSON at line 1" },
        { "[1, 2]", "body", "one JSON object" },
    };

    [Theory]
    [MemberData(nameof(WrongValues))]
    public async Task A_run_field_of_the_wrong_type_or_beyond_range_is_a_400_naming_the_field_and_what_it_takes(string body, string field, string expected)
    {
        await using var host = await TestHost.StartAsync();

        var (status, text) = await host.RawAsync("POST", "/runs", body);

        Assert.True(status == 400, $"{status} {text}");
        var problem = Problem(text);
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        var detail = problem["detail"]!.GetValue<string>();
        Assert.Contains(expected, detail, StringComparison.Ordinal);
        // The user's terms, not .NET's.
        Assert.DoesNotContain("System.", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Churn.", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Dto", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Path:", detail, StringComparison.Ordinal);
        await AssertNothingStartedAsync(host);
    }

    [Theory]
    [InlineData("""{"trials": 1e400}""", "trials", "finite")]
    [InlineData("""{"seeds": 1.5}""", "seeds", "whole number")]
    [InlineData("""{"parallel": -0}""", "parallel", "whole number from 1")]
    [InlineData("""{"minDelta": "NaN"}""", "minDelta", "must be a number")]
    [InlineData("""{"seed": NaN}""", "body", "malformed JSON at line 1")]
    public async Task A_search_field_beyond_range_is_a_400_naming_the_field(string body, string field, string expected)
    {
        await using var host = await TestHost.StartAsync();

        var (status, text) = await host.RawAsync("POST", "/searches", body);

        Assert.True(status == 400, $"{status} {text}");
        Assert.Equal(field, Problem(text)["field"]!.GetValue<string>());
        Assert.Contains(expected, Problem(text)["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertNothingStartedAsync(host);
    }

    [Theory]
    [InlineData("/runs", "out", 300, 1)]
    [InlineData("/runs", "out", 100, 45)]
    [InlineData("/runs", "prefix", 300, 1)]
    [InlineData("/searches", "out", 300, 1)]
    public async Task An_output_name_the_system_could_not_write_is_refused_before_the_run_starts(string path, string field, int nameLength, int folders)
    {
        await using var host = await TestHost.StartAsync();
        var value = field == "prefix"
            ? new string('p', nameLength)
            : Path.Combine([host.Directory, "out", .. Enumerable.Repeat(new string('d', nameLength), folders)]);
        var body = new JsonObject { ["data"] = TestPaths.BundledData, [field] = value };
        if (path == "/runs")
        {
            body["mode"] = "prepare";
        }

        var (status, text) = await host.RawAsync("POST", path, body.ToJsonString());

        Assert.True(status == 400, $"{status} {text}");
        Assert.Equal(field, Problem(text)["field"]!.GetValue<string>());
        Assert.True(text.Length < 2000, "the refusal does not echo the path");
        await AssertNothingStartedAsync(host);
    }

    [Fact]
    public async Task A_prefix_with_control_characters_is_refused()
    {
        await using var host = await TestHost.StartAsync();

        var (status, text) = await host.RawAsync("POST", "/runs", new JsonObject { ["mode"] = "prepare", ["prefix"] = "a\u001b[31mred" }.ToJsonString());

        Assert.True(status == 400, $"{status} {text}");
        Assert.Equal("prefix", Problem(text)["field"]!.GetValue<string>());
        await AssertNothingStartedAsync(host);
    }

    [Fact]
    public async Task The_hosts_own_names_pass_in_any_case_with_or_without_a_port_or_a_trailing_dot_and_others_do_not()
    {
        await using var host = await TestHost.StartAsync();
        var port = host.Server.Address.Port;
        async Task<int> Get(string hostHeader) => (await host.RawAsync("GET", "/runs", null, $"Host: {hostHeader}")).Status;

        foreach (var name in new[] { $"127.0.0.1:{port}", "127.0.0.1", $"LOCALHOST:{port}", $"LocalHost", $"localhost.:{port}", $"[::1]:{port}", "[::1]" })
        {
            Assert.True(await Get(name) == 200, name);
        }
        foreach (var name in new[] { $"evil.example:{port}", $"localhost.evil.example:{port}", $"127.0.0.1.nip.io:{port}", "localhost..", $"127.0.0.2:{port}", $"[::2]:{port}", "" })
        {
            var status = await Get(name);
            Assert.True(status is 421 or 400, $"{name}: {status}");
        }
    }

    [Fact]
    public async Task Every_method_on_every_route_is_answered_without_a_server_error()
    {
        await using var host = await TestHost.StartAsync();
        string[] routes =
        [
            "/", "/health", "/runs", "/runs/x", "/runs/x/events", "/runs/x/logs", "/runs/x/logs/events", "/runs/x/artifacts", "/runs/x/artifacts/model.json",
            "/runs/x/target", "/runs/x/explain", "/runs/x/charts/loss.svg", "/searches", "/searches/x", "/searches/x/resume", "/searches/x/logs", "/searches/x/events",
            "/cluster", "/defaults", "/assets/app.js", "/compare/loss.svg", "/nowhere",
        ];
        var failures = new List<string>();
        foreach (var route in routes)
        {
            foreach (var method in new[] { "HEAD", "OPTIONS", "PUT", "PATCH", "TRACE", "FOO", "DELETE", "POST" })
            {
                if (method == "POST" && route is "/runs" or "/searches")
                {
                    // An empty body there is a valid request: it would start work.
                    continue;
                }
                var (status, _) = await host.RawAsync(method, route, method is "PUT" or "PATCH" or "POST" ? "{}" : null);
                if (status is < 200 or >= 500)
                {
                    failures.Add($"{method} {route}: {status}");
                }
            }
        }
        Assert.Empty(failures);
        await AssertNothingStartedAsync(host);
    }

    [Fact]
    public async Task Ids_and_artifact_names_that_try_to_walk_out_or_break_the_store_find_nothing()
    {
        await using var host = await TestHost.StartAsync();
        string[] ids = ["..", "%2e%2e", "..%2f..%2fetc", "a%00b", "%ff", "'%20OR%201=1%20--", new string('x', 5000)];
        string[] suffixes = ["", "/events", "/logs", "/artifacts", "/artifacts/..%2f..%2fetc%2fpasswd", "/artifacts/%2e%2e/%2e%2e/config.json", "/artifacts/a%00b"];
        var failures = new List<string>();
        foreach (var id in ids)
        {
            foreach (var (method, path) in suffixes.Select(s => ("GET", $"/runs/{id}{s}"))
                .Concat([("DELETE", $"/runs/{id}"), ("GET", $"/searches/{id}"), ("GET", $"/searches/{id}/events"), ("DELETE", $"/searches/{id}"), ("POST", $"/searches/{id}/resume")]))
            {
                var (status, body) = await host.RawAsync(method, path);
                // ".." and "%2e%2e" are resolved by the server before routing: /runs/.. is the dashboard's page.
                var normalizedToPage = id is ".." or "%2e%2e" && method == "GET" && status == 200 && body.Contains("<!doctype html>", StringComparison.OrdinalIgnoreCase);
                if (!(status is 400 or 404 or 405 or 414 || normalizedToPage))
                {
                    failures.Add($"{method} {path[..Math.Min(path.Length, 80)]}: {status}");
                }
            }
        }
        Assert.Empty(failures);
        await AssertNothingStartedAsync(host);
    }

    [Theory]
    [InlineData("runs?limit=-1", "limit")]
    [InlineData("runs?limit=0", "limit")]
    [InlineData("runs?limit=999999999", "limit")]
    [InlineData("runs?limit=99999999999999999999", "limit")]
    [InlineData("runs?limit=1e3", "limit")]
    [InlineData("runs?limit=", "limit")]
    [InlineData("runs?status=bogus", "status")]
    [InlineData("runs?status=", "status")]
    [InlineData("runs?before=nope", "before")]
    [InlineData("runs/events?limit=0", "limit")]
    [InlineData("runs/events?status=bogus", "status")]
    [InlineData("runs/events?before=nope", "before")]
    [InlineData("searches?limit=-1", "limit")]
    [InlineData("searches?limit=999999999", "limit")]
    public async Task Query_values_out_of_range_are_a_400_naming_the_parameter(string path, string field)
    {
        await using var host = await TestHost.StartAsync();

        using var response = await host.Http.GetAsync(path, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {text}");
        Assert.Equal(field, Problem(text)["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_host_bound_to_the_ipv6_loopback_serves_a_run_end_to_end()
    {
        if (!Socket.OSSupportsIPv6 || !CanBind(IPAddress.IPv6Loopback))
        {
            Assert.Skip("this machine has no IPv6 loopback");
        }
        await using var host = await TestHost.StartAsync(hostSettings: new JsonObject { ["bind"] = "::1" });
        Assert.Equal("[::1]", host.Server.Address.Host);

        var id = await host.SubmitAsync(new JsonObject { ["mode"] = "prepare", ["data"] = TestPaths.BundledData });
        var run = await host.WaitForAsync(id, r => r["status"]!.GetValue<string>() is "succeeded" or "failed", TimeSpan.FromMinutes(3));

        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        var own = $"http://[::1]:{host.Server.Address.Port}";
        Assert.Equal(200, (await host.RawAsync("GET", $"/runs/{id}", null, $"Origin: {own}")).Status);
        Assert.Equal(403, (await host.RawAsync("GET", $"/runs/{id}", null, "Origin: http://evil.example")).Status);
        Assert.Equal(421, (await host.RawAsync("GET", $"/runs/{id}", null, "Host: evil.example")).Status);
    }

    private static bool CanBind(IPAddress address)
    {
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
