using System.Text;

namespace Churn.Tests.Data;

/// <summary>Where the tests find the bundled data and put their scratch files.</summary>
public static class TestFiles
{
    /// <summary>The repository root: the nearest ancestor of the test assembly holding ChurnActors.sln.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    public static string BundledCsv => Path.Combine(RepositoryRoot, "data", "Audiobooks_data.csv");

    /// <summary>This test run's scratch root (every <see cref="NewDirectory"/> is inside it), removed when the test process exits.</summary>
    public static string RunRoot => RunDirectory.Value;

    private static readonly Lazy<string> RunDirectory = new(() =>
    {
        var root = Path.Combine(Path.GetTempPath(), "churn-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // Scratch files in the temp directory; the OS cleans them eventually.
            }
        };
        return root;
    });

    /// <summary>A fresh, empty directory for one test.</summary>
    public static string NewDirectory()
    {
        var directory = Path.Combine(RunDirectory.Value, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a BOM into a fresh directory and returns the path.</summary>
    public static string Csv(string text, string name = "customers.csv") => Bytes(Encoding.UTF8.GetBytes(text), name);

    public static string Bytes(byte[] bytes, string name = "customers.csv")
    {
        var path = Path.Combine(NewDirectory(), name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ChurnActors.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"no ChurnActors.sln above {AppContext.BaseDirectory}");
    }
}
