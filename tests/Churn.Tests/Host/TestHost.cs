using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Churn.Host.Api;
using Churn.Host.Configuration;
using Microsoft.Extensions.Logging;

namespace Churn.Tests.Host;

/// <summary>
/// <c>churn host</c> started in this process on a free port of 127.0.0.1, with its store, logs and run outputs in a
/// temp directory, and a real HTTP client pointed at it.
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    private bool _stopped;

    private TestHost(string directory, ChurnServer server)
    {
        Directory = directory;
        Server = server;
        Http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(3) };
    }

    public string Directory { get; }

    public ChurnServer Server { get; }

    public HttpClient Http { get; }

    public string StorePath => Path.Combine(Directory, "runs", "churn.db");

    public string LogsDirectory => Path.Combine(Directory, "logs");

    /// <summary>Starts a host; <paramref name="directory"/> reuses an earlier host's store and logs (a restart).</summary>
    public static async Task<TestHost> StartAsync(
        int maxConcurrentRuns = 1,
        string? apiToken = null,
        long maxRequestBytes = 65536,
        Func<IUntypedActorContext, IActorRef>? trainerFactory = null,
        string? directory = null,
        long maxScoreBytes = 16_777_216,
        JsonObject? hostSettings = null,
        JsonObject? runSettings = null)
    {
        directory ??= TestPaths.NewTempDirectory();
        var overrides = new JsonObject
        {
            ["out"] = Path.Combine(directory, "out"),
            ["logs"] = Path.Combine(directory, "logs"),
            ["device"] = "cpu",
            ["host"] = new JsonObject
            {
                ["bind"] = "127.0.0.1",
                ["port"] = 0,
                ["store"] = Path.Combine(directory, "runs", "churn.db"),
                ["maxConcurrentRuns"] = maxConcurrentRuns,
                ["apiToken"] = apiToken,
                ["maxRequestBytes"] = maxRequestBytes,
                ["maxScoreBytes"] = maxScoreBytes,
            },
        };
        foreach (var (key, value) in Confinement())
        {
            overrides["host"]![key] = value?.DeepClone();
        }
        var defaults = ChurnConfig.Merge(ChurnConfig.LoadNode(null).Unwrap(), overrides);
        if (runSettings is not null)
        {
            defaults = ChurnConfig.Merge(defaults, runSettings);
        }
        if (hostSettings is not null)
        {
            defaults = ChurnConfig.Merge(defaults, new JsonObject { ["host"] = hostSettings.DeepClone() });
        }
        var config = ChurnConfig.FromNode(defaults, "test host").Unwrap();
        var server = ChurnServer.Create(config, defaults, LogLevel.None, trainerFactory).Unwrap();
        await server.StartAsync(TestContext.Current.CancellationToken);
        return new TestHost(directory, server);
    }

    /// <summary>
    /// The roots test hosts use: every test's scratch directory (inside one root per test run) and the repository's
    /// bundled data. Paths elsewhere (the system's temp directory, <c>/etc</c>) are outside.
    /// </summary>
    public static JsonObject Confinement() => new()
    {
        ["dataRoots"] = new JsonArray(Data.TestFiles.RunRoot, Path.GetDirectoryName(TestPaths.BundledData)),
        ["outputRoot"] = Data.TestFiles.RunRoot,
    };

    /// <summary>POSTs <paramref name="body"/> to <c>/runs</c>.</summary>
    public Task<HttpResponseMessage> PostAsync(string body) =>
        Http.PostAsync("runs", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

    /// <summary>Submits a run that must be accepted; returns its id.</summary>
    public async Task<string> SubmitAsync(JsonObject run)
    {
        using var response = await PostAsync(run.ToJsonString());
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!["id"]!.GetValue<string>();
    }

    public async Task<JsonNode> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(path, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>
    /// One request written by hand, as no client would normalize it (its path, Host header and body as given); the
    /// answer's status and body. The connection is closed after it.
    /// </summary>
    public async Task<(int Status, string Body)> RawAsync(string method, string target, string? body = null, params string[] headers)
    {
        using var tcp = new System.Net.Sockets.TcpClient(Server.Address.HostNameType == UriHostNameType.IPv6 ? System.Net.Sockets.AddressFamily.InterNetworkV6 : System.Net.Sockets.AddressFamily.InterNetwork);
        await tcp.ConnectAsync(IPAddress.Parse(Server.Address.Host.Trim('[', ']')), Server.Address.Port, TestContext.Current.CancellationToken);
        await using var stream = tcp.GetStream();
        var lines = new List<string> { $"{method} {target} HTTP/1.1" };
        if (!headers.Any(h => h.StartsWith("Host:", StringComparison.OrdinalIgnoreCase)))
        {
            lines.Add($"Host: {Server.Address.Authority}");
        }
        lines.AddRange(headers);
        var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        if (body is not null)
        {
            lines.Add($"Content-Length: {bytes.Length}");
            if (!headers.Any(h => h.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase)))
            {
                lines.Add("Content-Type: application/json");
            }
        }
        lines.Add("Connection: close");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(string.Join("\r\n", lines) + "\r\n\r\n"), TestContext.Current.CancellationToken);
        await stream.WriteAsync(bytes, TestContext.Current.CancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync(TestContext.Current.CancellationToken);
        var status = int.Parse(answer.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        var split = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = answer[..split];
        var content = answer[(split + 4)..];
        return (status, head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase) ? Unchunk(content) : content);
    }

    private static string Unchunk(string chunked)
    {
        var text = new StringBuilder();
        var at = 0;
        while (at < chunked.Length)
        {
            var end = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[at..end], 16);
            if (size == 0)
            {
                break;
            }
            text.Append(chunked, end + 2, size);
            at = end + 2 + size + 2;
        }
        return text.ToString();
    }

    /// <summary>Every event of the run's stream, read until the host ends it (after <c>finished</c>).</summary>
    public async Task<IReadOnlyList<(string Name, JsonNode Data)>> EventsAsync(string runId)
    {
        using var response = await Http.GetAsync($"runs/{runId}/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
        var events = new List<(string, JsonNode)>();
        await foreach (var (name, data) in RunEventStream.Read(stream, TestContext.Current.CancellationToken))
        {
            events.Add((name, JsonNode.Parse(data)!));
        }

        return events;
    }

    /// <summary>Polls <c>GET /runs/{id}</c> until <paramref name="until"/> holds.</summary>
    public async Task<JsonNode> WaitForAsync(string runId, Func<JsonNode, bool> until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var run = await GetJsonAsync($"runs/{runId}");
            if (until(run))
            {
                return run;
            }

            Assert.True(DateTime.UtcNow < deadline, $"run {runId} did not get there in {timeout}: {run.ToJsonString()}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await Server.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await StopAsync();
        await Server.DisposeAsync();
    }
}
