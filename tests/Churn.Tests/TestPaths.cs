namespace Churn.Tests;

/// <summary>Where the repository, the bundled data and the built executable are, seen from the test assembly.</summary>
public static class TestPaths
{
    public static string RepoRoot => Data.TestFiles.RepositoryRoot;

    public static string BundledData => Data.TestFiles.BundledCsv;

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

    /// <summary>A new empty directory for one test's outputs, removed when the test run ends.</summary>
    public static string NewTempDirectory() => Data.TestFiles.NewDirectory();
}
