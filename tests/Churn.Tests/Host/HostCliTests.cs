using System.Diagnostics;
using Churn.Host.Store;

namespace Churn.Tests.Host;

/// <summary><c>churn run --host</c> and <c>churn logs</c> as a user runs them, against a host in this process.</summary>
public partial class HostCliTests
{
    [Fact]
    public async Task Run_with_host_prints_the_progress_and_summary_of_an_embedded_run_and_exits_0()
    {
        await using var host = await TestHost.StartAsync();
        var dir = TestPaths.NewTempDirectory();
        await File.WriteAllTextAsync(Path.Combine(dir, "small.json"), """{"model": {"maxEpochs": 2}}""", TestContext.Current.CancellationToken);

        var remote = await Churn(dir, null, "run", "--host", host.Server.Address.ToString(), "--config", "small.json", "--out", "remote");
        var embedded = await Churn(dir, null, "run", "--config", "small.json", "--out", "embedded");

        Assert.True(remote.ExitCode == 0, remote.Stderr);
        Assert.True(embedded.ExitCode == 0, embedded.Stderr);
        Assert.Equal(ProgressShape(embedded.Stderr), ProgressShape(remote.Stderr));
        Assert.Equal(Labels(embedded.Stdout), Labels(remote.Stdout));
        Assert.Contains(Path.Combine(dir, "remote", "metrics.json"), remote.Stdout, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(dir, "remote", "model")));
    }

    [Fact]
    public async Task Run_with_host_shows_a_device_fallback_as_the_one_warning_line_a_run_here_shows()
    {
        await using var host = await TestHost.StartAsync();
        var dir = TestPaths.NewTempDirectory();
        await File.WriteAllTextAsync(Path.Combine(dir, "small.json"), """{"model": {"maxEpochs": 2}}""", TestContext.Current.CancellationToken);

        var remote = await Churn(dir, null, "run", "--host", host.Server.Address.ToString(), "--config", "small.json", "--out", "remote", "--device", "cuda");

        Assert.True(remote.ExitCode == 0, remote.Stderr);
        var warning = Assert.Single(remote.Stderr.Split('\n'), l => l.Contains("warning", StringComparison.Ordinal));
        Assert.StartsWith("churn: warning: device 'cuda' failed (", warning, StringComparison.Ordinal);
        Assert.EndsWith("); training on the cpu instead", warning.TrimEnd(), StringComparison.Ordinal);
        // Said once, before training reports its first epoch.
        Assert.True(remote.Stderr.IndexOf(warning, StringComparison.Ordinal) < remote.Stderr.IndexOf("  epoch", StringComparison.Ordinal), remote.Stderr);
    }

    [Fact]
    public async Task Run_with_host_reports_the_hosts_reason_for_bad_input_and_exits_1()
    {
        await using var host = await TestHost.StartAsync();

        var result = await Churn(TestPaths.NewTempDirectory(), null, "run", "--host", host.Server.Address.ToString(), "--data", "nowhere.csv");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("data:", result.Stderr, StringComparison.Ordinal);

        // The host answers a missing file as it answers one outside its data roots, naming neither.
        Assert.Contains("host.dataRoots", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_flag_value_is_the_same_usage_error_with_or_without_host()
    {
        await using var host = await TestHost.StartAsync();
        var dir = TestPaths.NewTempDirectory();

        var remote = await Churn(dir, null, "run", "--host", host.Server.Address.ToString(), "--split", "0.5,0.2");
        var local = await Churn(dir, null, "run", "--split", "0.5,0.2");

        Assert.Equal(2, remote.ExitCode);
        Assert.Equal(2, local.ExitCode);
        Assert.Contains("--split:", remote.Stderr, StringComparison.Ordinal);
        Assert.Equal(local.Stderr, remote.Stderr);
        Assert.Empty(host.Server.Store.List(null, 10));
    }

    [Fact]
    public async Task Prepare_with_host_needs_the_hosts_token_and_takes_it_from_the_environment()
    {
        await using var host = await TestHost.StartAsync(apiToken: "s3cret-s3cret-s3cret");
        var dir = TestPaths.NewTempDirectory();

        var refused = await Churn(dir, null, "prepare", "--host", host.Server.Address.ToString(), "--out", "a");
        var accepted = await Churn(dir, "s3cret-s3cret-s3cret", "prepare", "--host", host.Server.Address.ToString(), "--out", "b");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("CHURN_API_TOKEN", refused.Stderr, StringComparison.Ordinal);
        Assert.True(accepted.ExitCode == 0, accepted.Stderr);
        Assert.Contains("11,267 / 1,408 / 1,409", accepted.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_c_on_a_run_sent_to_a_host_cancels_it_there_and_exits_130()
    {
        await using var host = await TestHost.StartAsync();
        var dir = TestPaths.NewTempDirectory();
        await File.WriteAllTextAsync(Path.Combine(dir, "endless.json"), """{"model": {"maxEpochs": 1000, "patience": 1000}}""", TestContext.Current.CancellationToken);
        using var process = Start(dir, null, "run", "--host", host.Server.Address.ToString(), "--config", "endless.json", "--out", "endless");
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);

        var runs = await host.GetJsonAsync("runs");
        var clock = Stopwatch.StartNew();
        while (runs["runs"]!.AsArray().FirstOrDefault()?["epoch"] is null)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), "the run never reached training");
            await Task.Delay(100, TestContext.Current.CancellationToken);
            runs = await host.GetJsonAsync("runs");
        }

        Assert.Equal(0, Interrupt(process.Id));
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(process.ExitCode == 130, await stderr + await stdout);
        Assert.Contains("cancelled during train", await stderr, StringComparison.Ordinal);
        var id = runs["runs"]![0]!["id"]!.GetValue<string>();
        Assert.Equal(RunStatus.Cancelled, (await host.GetJsonAsync($"runs/{id}"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Logs_prints_one_runs_lines_filtered_by_actor_and_level()
    {
        await using var host = await TestHost.StartAsync();
        var id = await host.SubmitAsync(RunBodies.Prepare(Path.Combine(host.Directory, "p")));
        await host.EventsAsync(id);
        var other = await host.SubmitAsync(RunBodies.Prepare(Path.Combine(host.Directory, "q")));
        await host.EventsAsync(other);

        var all = await Churn(host.Directory, null, "logs", "--run", id, "--dir", host.LogsDirectory);
        var loader = await Churn(host.Directory, null, "logs", "--run", id, "--dir", host.LogsDirectory, "--actor", "*/loader/*");
        var warnings = await Churn(host.Directory, null, "logs", "--run", id, "--dir", host.LogsDirectory, "--level", "warning");
        var unknown = await Churn(host.Directory, null, "logs", "--run", "nope", "--dir", host.LogsDirectory);

        Assert.Equal(0, all.ExitCode);
        var lines = all.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 5, all.Stdout);
        Assert.All(lines, l => Assert.Contains($"run={id} ", l, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(" INFO  /user/runs/run-", StringComparison.Ordinal));
        var loaderLines = loader.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(loaderLines);
        Assert.All(loaderLines, l => Assert.Contains("/user/loader/", l, StringComparison.Ordinal));
        Assert.Equal("", warnings.Stdout);
        Assert.Equal(0, warnings.ExitCode);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no run or search 'nope'", unknown.Stderr, StringComparison.Ordinal);
    }

    /// <summary>The progress lines with their numbers blanked: which stages and epochs were reported, in order.</summary>
    private static string[] ProgressShape(string stderr) =>
        [.. stderr.Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => Digits().Replace(l.Trim().Split(' ')[0], "#"))];

    private static string[] Labels(string stdout) =>
        [.. stdout.Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal) && l.Length > 24).Select(l => l[..24].Trim()).Where(l => l.Length > 0)];

    private static async Task<(int ExitCode, string Stdout, string Stderr)> Churn(string dir, string? token, params string[] args)
    {
        using var process = Start(dir, token, args);
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static Process Start(string dir, string? token, params string[] args)
    {
        var start = TestPaths.ChurnStart(dir, args);
        start.Environment.Remove("CHURN_API_TOKEN");
        if (token is not null)
        {
            start.Environment["CHURN_API_TOKEN"] = token;
        }

        return Process.Start(start)!;
    }

    /// <summary>Sends SIGINT as a terminal does on Ctrl-C (.NET has no managed way to send it); returns kill's exit code.</summary>
    private static int Interrupt(int pid)
    {
        using var kill = Process.Start("kill", ["-INT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        return kill.ExitCode;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\d")]
    private static partial System.Text.RegularExpressions.Regex Digits();
}
