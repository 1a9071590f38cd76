using System.Text.RegularExpressions;

namespace Churn.Tests;

/// <summary>
/// The core takes and returns values: only the files named for it open, create, list or delete files. Code that
/// writes to or reads from a stream the caller opened (a CSV writer, the npy header codec) is not file access.
/// </summary>
public partial class CoreFileAccessTests
{
    /// <summary>
    /// Where the core may touch the file system: the atomic write every save goes through, the readers of the file
    /// formats it takes (customer CSV and Parquet, whose reader spills a huge row group to a temporary file; <c>.npz</c>), the <c>*Files</c> classes that write and read a
    /// preparation, a model, a search and a run, the search space file, and <see cref="Churn.Numerics.Problem"/>'s
    /// wording of a read that failed.
    /// </summary>
    private static readonly string[] Allowed =
    [
        "AtomicFile.cs", "Result.cs",
        "Data/CustomerCsv.cs", "Data/CustomerParquet.cs", "Data/ParquetGroupColumns.cs", "Data/Npz.cs", "Data/SplitFiles.cs",
        "Artifacts/ModelArtifactFiles.cs", "Search/SearchFiles.cs", "Search/SpaceFile.cs", "Files/RunFiles.cs",
    ];

    [Fact]
    public void Core_touches_files_only_in_the_places_named_for_it()
    {
        var core = Path.Combine(TestPaths.RepoRoot, "src", "Churn.Numerics");
        var offenders =
            from file in Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories)
            let relative = Path.GetRelativePath(core, file).Replace(Path.DirectorySeparatorChar, '/')
            where !relative.StartsWith("bin/", StringComparison.Ordinal) && !relative.StartsWith("obj/", StringComparison.Ordinal)
            where !Allowed.Contains(relative)
            from line in File.ReadLines(file).Select((text, i) => (Text: text, Number: i + 1))
            where FileAccess().IsMatch(line.Text) && !line.Text.TrimStart().StartsWith("//", StringComparison.Ordinal)
            select $"{relative}:{line.Number}: {line.Text.Trim()}";

        Assert.Empty(offenders);
    }

    [Theory]
    [InlineData("using var s = new FileStream(path, FileMode.Open);", true)]
    [InlineData("var text = File.ReadAllText(path);", true)]
    [InlineData("if (System.IO.Directory.Exists(d))", true)]
    [InlineData("stream.Write(buffer, 0, used);", false)]
    [InlineData("var splits = SplitFiles.Read(dir, prefix);", false)]
    public void File_access_is_recognised(string line, bool touches) =>
        Assert.Equal(touches, FileAccess().IsMatch(line));

    [GeneratedRegex(@"(?<![\w.])(System\.IO\.)?(File|Directory|FileInfo|DirectoryInfo)\.[A-Z]|\bnew (FileStream|FileInfo|DirectoryInfo|StreamReader\(\s*path|StreamWriter\(\s*path)")]
    private static partial Regex FileAccess();
}
