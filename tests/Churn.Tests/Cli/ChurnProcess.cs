using System.Diagnostics;

namespace Churn.Tests.Cli;

/// <summary>The outcome of running the real <c>churn</c> executable.</summary>
public sealed record ChurnResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the built <c>churn</c> executable as a user would, in its own process.</summary>
public static class ChurnProcess
{
    public static async Task<ChurnResult> RunAsync(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(TestPaths.Churn)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return new ChurnResult(process.ExitCode, await stdout, await stderr);
    }
}
