using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Churn.Tests.Host;

/// <summary>One <c>churn worker --join</c> process on loopback with one slot, its output kept for failure messages.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(240);

    private readonly StringBuilder _output = new();

    public WorkerProcess(string directory, int clusterPort, string config, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = TestPaths.ChurnStart(directory, ["worker", "--join", $"127.0.0.1:{clusterPort}", "--slots", "1", "--config", config]);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        Process = Process.Start(start)!;
        Process.OutputDataReceived += (_, e) => Append(e.Data);
        Process.ErrorDataReceived += (_, e) => Append(e.Data);
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
    }

    public Process Process { get; }

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

    /// <summary>The node name it printed (<c>churn@127.0.0.1:PORT</c>), once it has.</summary>
    public string? Name => Output.Split('\n').FirstOrDefault(l => l.StartsWith("churn worker: node ", StringComparison.Ordinal))?.Split(' ')[3];

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill();
            Process.WaitForExit();
        }
        Process.Dispose();
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>Polls <paramref name="path"/> on the host until <paramref name="done"/>; fails with every process's output after the patience.</summary>
    public static async Task<JsonNode> Until(HostProcess host, string path, Func<JsonNode, bool> done, string what, params WorkerProcess[] workers)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var node = await host.GetAsync(path);
            if (done(node))
            {
                return node;
            }
            Assert.True(DateTime.UtcNow < deadline, $"{what}: {node.ToJsonString()}\nhost:\n{host.Output}\n{string.Join("\n", workers.Select(w => "worker:\n" + w.Output))}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
