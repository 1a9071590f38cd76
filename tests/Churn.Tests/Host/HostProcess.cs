using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Churn.Tests.Host;

/// <summary>One <c>churn host</c> process on a free port, and an HTTP client for it.</summary>
internal sealed class HostProcess : IAsyncDisposable
{
    /// <summary>How long a start, a run or a search may take before the test gives up (a loaded 2-core machine is slow).</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(180);

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    /// <summary>The host's process id (the starter execs churn in place).</summary>
    public int Pid => _process.Id;

    private HostProcess(Process process, int port)
    {
        _process = process;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>An HTTP client for the host's API.</summary>
    public HttpClient Http { get; }

    /// <summary>Starts <c>churn host</c> on a free port with <paramref name="store"/> (and <paramref name="config"/>, and <paramref name="extra"/> options), and waits until it answers.</summary>
    public static Task<HostProcess> StartAsync(string directory, string store, string? config = null, params string[] extra) =>
        StartAsync(directory, store, new Dictionary<string, string>(), config, extra);

    /// <summary>As above, with <paramref name="environment"/> added to the process's environment.</summary>
    public static async Task<HostProcess> StartAsync(string directory, string store, IReadOnlyDictionary<string, string> environment, string? config, params string[] extra)
    {
        var port = FreePort();

        // The host may read and write every test's scratch directory and the bundled data, as the in-process test hosts do.
        // A relative config is the host's, in its working directory.
        var settings = config is null ? new JsonObject() : JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(directory, config), TestContext.Current.CancellationToken))!.AsObject();
        if (settings["host"] is not JsonObject host)
        {
            host = [];
            settings["host"] = host;
        }
        foreach (var (key, value) in TestHost.Confinement())
        {
            host[key] ??= value?.DeepClone();
        }
        config = Path.Combine(directory, $"host-{port}.json");
        await File.WriteAllTextAsync(config, settings.ToJsonString(), TestContext.Current.CancellationToken);
        string[] args = ["host", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--store", store, "--config", config, .. extra];
        var start = TestPaths.ChurnStart(directory, args);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        var started = new HostProcess(Process.Start(start)!, port);
        started._process.OutputDataReceived += (_, e) => started.Append(e.Data);
        started._process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        started._process.BeginOutputReadLine();
        started._process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            Assert.False(started._process.HasExited, $"churn host exited early:\n{started.Output}");
            try
            {
                using var health = await started.Http.GetAsync("health", TestContext.Current.CancellationToken);
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return started;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, $"churn host did not answer in time:\n{started.Output}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>What the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async Task<string> SubmitAsync(JsonObject run)
    {
        using var response = await Http.PostAsync("runs", new StringContent(run.ToJsonString(), Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        return JsonNode.Parse(body)!["id"]!.GetValue<string>();
    }

    public async Task<JsonNode> GetAsync(string path) =>
        JsonNode.Parse(await Http.GetStringAsync(path, TestContext.Current.CancellationToken))!;

    public async Task<JsonNode> WaitForAsync(string runId, Func<JsonNode, bool> until)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var run = await GetAsync($"runs/{runId}");
            if (until(run))
            {
                return run;
            }

            Assert.True(DateTime.UtcNow < deadline, $"run {runId} did not get there: {run.ToJsonString()}\n{Output}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>SIGKILL: the host gets no chance to record anything.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>SIGTERM, as a service manager stops a service; returns the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
