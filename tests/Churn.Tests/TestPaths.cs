using System.Diagnostics;

namespace Churn.Tests;

/// <summary>Where the repository, the bundled data and the built executable are, seen from the test assembly.</summary>
public static class TestPaths
{
    public static string RepoRoot => Data.TestFiles.RepositoryRoot;

    public static string BundledData => Data.TestFiles.BundledCsv;

    /// <summary>The saved model of the first manifest format, kept to prove that old models still load and score.</summary>
    public static string ModelV1 => Path.Combine(RepoRoot, "tests", "Churn.Tests", "Model", "Fixtures", "model-v1");

    /// <summary>The <c>churn</c> executable built in the same configuration as these tests.</summary>
    public static string Churn
    {
        get
        {
            // .../tests/Churn.Tests/bin/<configuration>/net10.0/
            var configuration = Path.GetFileName(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)))!;
            return Path.Combine(RepoRoot, "src", "Churn.Host", "bin", configuration, "net10.0", "churn");
        }
    }

    /// <summary>
    /// How to start <c>churn</c> with <paramref name="args"/> in <paramref name="workingDirectory"/>, output redirected.
    /// It goes through <c>env --default-signal=INT,QUIT</c>: a shell starts background jobs with SIGINT ignored, an
    /// ignored signal stays ignored across exec, and then the tests' Ctrl-C would never reach the command when the
    /// suite itself runs in the background. A terminal's foreground command, which these tests play, has it.
    /// </summary>
    public static ProcessStartInfo ChurnStart(string workingDirectory, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("/usr/bin/env")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
            StandardErrorEncoding = System.Text.Encoding.UTF8,
        };
        start.ArgumentList.Add("--default-signal=INT,QUIT");
        start.ArgumentList.Add(Churn);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        return start;
    }

    /// <summary>A new empty directory for one test's outputs, removed when the test run ends.</summary>
    public static string NewTempDirectory() => Data.TestFiles.NewDirectory();
}
