using System.Diagnostics;
using System.Text.Json;

namespace Churn.Tests.Data;

/// <summary>
/// Debian's numpy as an independent client of our .npz files. Always /usr/bin/python3: the `python3` on PATH may
/// be an interpreter without numpy. A missing numpy fails the test loudly (./test installs it), never skips it.
/// </summary>
public static class Numpy
{
    private const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> Missing = new(FindMissing);

    /// <summary>Runs a Python script with arguments and returns its standard output parsed as JSON.</summary>
    public static JsonElement Run(string script, params string[] arguments)
    {
        if (Missing.Value is { } why)
        {
            Assert.Fail(why);
        }
        var (exit, output, error) = Execute(["-c", script, .. arguments]);
        if (exit != 0)
        {
            Assert.Fail($"{Python} exited with {exit}:\n{error}");
        }
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static string? FindMissing()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} is missing: the numpy interop tests need Debian's python3 with python3-numpy (./test installs it)";
        }
        var (exit, _, error) = Execute(["-c", "import numpy"]);
        return exit == 0
            ? null
            : $"{Python} cannot import numpy ({error.Trim()}): install python3-numpy, or run ./test which installs it";
    }

    private static (int Exit, string Output, string Error) Execute(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {Python}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill();
            Assert.Fail($"{Python} did not finish within 2 minutes");
        }
        return (process.ExitCode, output.Result, error.Result);
    }
}
