namespace Churn.Tests;

/// <summary>Where the repository, the bundled data and the built executable are, seen from the test assembly.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string BundledData => Path.Combine(RepoRoot, "data", "Audiobooks_data.csv");

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

    /// <summary>A new empty directory under the system temp folder, for one test's outputs.</summary>
    public static string NewTempDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "churn-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ChurnActors.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ChurnActors.sln not found above the test assembly");
    }
}
