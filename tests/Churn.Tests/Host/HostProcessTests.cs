using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Churn.Host.Store;

namespace Churn.Tests.Host;

/// <summary>The built <c>churn host</c> in its own process: killed with SIGKILL mid-run and started again, or stopped with SIGTERM.</summary>
public class HostProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task After_a_kill_mid_run_finished_runs_are_intact_the_killed_one_is_interrupted_and_new_runs_are_taken()
    {
        var dir = TestPaths.NewTempDirectory();
        var config = Path.Combine(dir, "host.json");
        await File.WriteAllTextAsync(config, new JsonObject
        {
            ["out"] = Path.Combine(dir, "out"),
            ["logs"] = Path.Combine(dir, "logs"),
            ["device"] = "cpu",
        }.ToJsonString(), TestContext.Current.CancellationToken);
        var store = Path.Combine(dir, "store", "churn.db");
        string finished, killed;

        await using (var first = await HostProcess.StartAsync(dir, store, config))
        {
            finished = await first.SubmitAsync(RunBodies.Train(Path.Combine(dir, "finished"), maxEpochs: 2));
            await first.WaitForAsync(finished, r => RunStatus.IsFinished(Status(r)));
            killed = await first.SubmitAsync(RunBodies.Endless(Path.Combine(dir, "killed")));
            await first.WaitForAsync(killed, r => r["epoch"] is not null);

            first.Kill();
        }

        await using var second = await HostProcess.StartAsync(dir, store, config);
        var intact = await second.GetAsync($"runs/{finished}");
        Assert.Equal(RunStatus.Succeeded, Status(intact));
        Assert.Equal(2, intact["metrics"]!["training"]!["epochsRun"]!.GetValue<int>());
        Assert.Equal(2, intact["epochs"]!.AsArray().Count);
        var interrupted = await second.GetAsync($"runs/{killed}");
        Assert.Equal(RunStatus.Interrupted, Status(interrupted));
        Assert.StartsWith("interrupted: the host stopped while the run was running", interrupted["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(interrupted["finishedAt"]);
        var fresh = await second.SubmitAsync(RunBodies.Prepare(Path.Combine(dir, "fresh")));
        Assert.Equal(RunStatus.Succeeded, Status(await second.WaitForAsync(fresh, r => RunStatus.IsFinished(Status(r)))));
    }

    [Fact]
    public async Task Sigterm_cancels_queued_and_running_runs_records_them_and_exits_0()
    {
        var dir = TestPaths.NewTempDirectory();
        var config = Path.Combine(dir, "host.json");
        await File.WriteAllTextAsync(config, new JsonObject { ["logs"] = Path.Combine(dir, "logs"), ["device"] = "cpu" }.ToJsonString(), TestContext.Current.CancellationToken);
        var store = Path.Combine(dir, "churn.db");
        string running, queued;
        int exitCode;

        await using (var host = await HostProcess.StartAsync(dir, store, config))
        {
            running = await host.SubmitAsync(RunBodies.Endless(Path.Combine(dir, "endless")));
            queued = await host.SubmitAsync(RunBodies.Prepare(Path.Combine(dir, "waiting")));
            await host.WaitForAsync(running, r => r["epoch"] is not null);

            exitCode = await host.TerminateAsync();
        }

        Assert.Equal(0, exitCode);
        using var runs = SqliteRunStore.Open(store, DateTimeOffset.UtcNow).Unwrap();
        Assert.Equal(RunStatus.Cancelled, runs.Get(running)!.Status);
        Assert.Equal("the host shut down", runs.Get(running)!.Error);
        Assert.Equal(RunStatus.Cancelled, runs.Get(queued)!.Status);
    }

    private static string Status(JsonNode run) => run["status"]!.GetValue<string>();

    /// <summary>One <c>churn host</c> process on a free port, and an HTTP client for it.</summary>
    private sealed class HostProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly HttpClient _http;

        private HostProcess(Process process, int port)
        {
            _process = process;
            _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        }

        public static async Task<HostProcess> StartAsync(string directory, string store, string config)
        {
            var port = FreePort();
            var start = TestPaths.ChurnStart(directory, ["host", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--store", store, "--config", config]);
            var host = new HostProcess(Process.Start(start)!, port);
            host._process.OutputDataReceived += (_, e) => host.Append(e.Data);
            host._process.ErrorDataReceived += (_, e) => host.Append(e.Data);
            host._process.BeginOutputReadLine();
            host._process.BeginErrorReadLine();
            var deadline = DateTime.UtcNow + Patience;
            while (true)
            {
                Assert.False(host._process.HasExited, $"churn host exited early:\n{host.Output}");
                try
                {
                    using var health = await host._http.GetAsync("health", TestContext.Current.CancellationToken);
                    if (health.StatusCode == HttpStatusCode.OK)
                    {
                        return host;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                Assert.True(DateTime.UtcNow < deadline, $"churn host did not answer in time:\n{host.Output}");
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }
        }

        private string Output
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
            using var response = await _http.PostAsync("runs", new StringContent(run.ToJsonString(), Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
            return JsonNode.Parse(body)!["id"]!.GetValue<string>();
        }

        public async Task<JsonNode> GetAsync(string path) =>
            JsonNode.Parse(await _http.GetStringAsync(path, TestContext.Current.CancellationToken))!;

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
            _http.Dispose();
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

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
