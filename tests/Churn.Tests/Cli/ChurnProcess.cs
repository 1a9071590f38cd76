using System.Diagnostics;

namespace Churn.Tests.Cli;

/// <summary>The outcome of running the real <c>churn</c> executable.</summary>
public sealed record ChurnResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the built <c>churn</c> executable as a user would, in its own process.</summary>
public static class ChurnProcess
{
    public static async Task<ChurnResult> RunAsync(string workingDirectory, params string[] args)
    {
        using var process = Start(workingDirectory, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return new ChurnResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Starts churn, sends it <paramref name="signal"/> (by name, e.g. TERM) as soon as a line of its stderr matches
    /// <paramref name="when"/>, and returns how it ended and how long after the signal.
    /// </summary>
    public static async Task<(ChurnResult Result, TimeSpan AfterSignal)> SignalAsync(string workingDirectory, string signal, Func<string, bool> when, params string[] args)
    {
        using var process = Start(workingDirectory, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var stderr = new System.Text.StringBuilder();
        while (await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
        {
            stderr.AppendLine(line);
            if (when(line))
            {
                break;
            }
        }
        var clock = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(timeout.Token);
        }
        stderr.Append(await process.StandardError.ReadToEndAsync(timeout.Token));
        using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(exited.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"churn {string.Join(' ', args)} did not exit within 30 s of SIG{signal}:\n{stderr}");
        }
        return (new ChurnResult(process.ExitCode, await stdout, stderr.ToString()), clock.Elapsed);
    }

    internal static Process Start(string workingDirectory, string[] args) => Process.Start(TestPaths.ChurnStart(workingDirectory, args))!;
}
