using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Churn.Host.Configuration;
using Churn.Numerics;

namespace Churn.Host.Api;

/// <summary>
/// Where a request may read and write on the host's disk: data files only under the data roots, outputs only under
/// the output root. Paths are compared after every symbolic link is resolved and every <c>..</c> applied, and the
/// resolved path is what the run then uses, so a link or a <c>..</c> cannot lead a run outside. A path the host will
/// not read gets one answer whether or not something exists there, so the API cannot be used to probe the disk.
/// One-shot commands never go through this: their user may name any file.
/// </summary>
public sealed class ConfinedPaths
{
    private ConfinedPaths(ImmutableArray<string> dataRoots, string outputRoot)
    {
        DataRoots = dataRoots;
        OutputRoot = outputRoot;
    }

    /// <summary>The data roots, resolved.</summary>
    public ImmutableArray<string> DataRoots { get; }

    /// <summary>The output root, resolved.</summary>
    public string OutputRoot { get; }

    /// <summary>
    /// The roots <paramref name="config"/> names, relative ones taken from the working directory, and always the bundled
    /// data beside the executable. Without <c>host.dataRoots</c>: the working directory's <c>data/</c>; without
    /// <c>host.outputRoot</c>: the configured <c>out</c>.
    /// </summary>
    public static Result<ConfinedPaths> For(ChurnConfig config)
    {
        var host = config.Host;
        if (host.DataRoots is { } listed && listed.Any(string.IsNullOrWhiteSpace))
        {
            return new Problem("must list directories, and no empty one", Column: "host.dataRoots");
        }
        // The bundled data ships with the program: always readable, so the host's default data file always is.
        string[] data = [.. host.DataRoots ?? ["data"], Path.Combine(AppContext.BaseDirectory, "data")];
        if (host.OutputRoot is { } o && string.IsNullOrWhiteSpace(o))
        {
            return new Problem("must be a directory", Column: "host.outputRoot");
        }
        try
        {
            var output = Resolve(host.OutputRoot ?? config.Run.Out);
            return Result.Ok(new ConfinedPaths([.. data.Select(d => Resolve(d)).Distinct(StringComparer.Ordinal)], output));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return new Problem($"cannot resolve the host's data and output roots: {e.Message}", Column: "host.dataRoots");
        }
    }

    /// <summary>
    /// The file a request names in <paramref name="field"/>, resolved, when it is a regular file under a data root;
    /// otherwise one problem whatever the reason (outside, missing, a directory or a device), naming no more than the
    /// request did.
    /// </summary>
    public Result<string> Data(string requested, string field)
    {
        // The same words for every refusal, without the path: an answer must not tell what exists outside the roots.
        var refused = new Problem("not a readable regular file inside the host's data roots (host.dataRoots); the host reads no other path", Column: field);
        if (string.IsNullOrWhiteSpace(requested))
        {
            return refused;
        }
        string real;
        try
        {
            // A relative path that is not in the working directory may name the bundled copy, as for one-shot commands.
            real = Resolve(ChurnConfig.ResolveData(requested));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return refused;
        }
        return DataRoots.Any(root => IsUnder(real, root)) && IsRegularFile(real) ? Result.Ok(real) : refused;
    }

    /// <summary>The directory a request names in <paramref name="field"/>, resolved, when it is the output root or under it.</summary>
    public Result<string> Output(string requested, string field)
    {
        var refused = new Problem($"not a directory inside the host's output root (host.outputRoot); runs write only under {OutputRoot}", Column: field);
        if (string.IsNullOrWhiteSpace(requested))
        {
            return refused;
        }
        try
        {
            var real = Resolve(requested);
            if (!IsUnder(real, OutputRoot) || File.Exists(real))
            {
                return refused;
            }
            // Checked now, not after the run has loaded and trained: the system refuses such names only at the first write.
            return TooLong(real) is { } reason ? new Problem(reason, Column: field) : Result.Ok(real);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return refused;
        }
    }

    /// <summary>The longest name of one file or directory the host writes under (the system allows 255 bytes; the
    /// run's own files and their temporaries add up to 60 to the folder's and the prefix's).</summary>
    public const int MaxNameBytes = 190;

    /// <summary>The longest output folder, so that the files in it stay within the system's 4,096 bytes.</summary>
    public const int MaxPathBytes = 3800;

    /// <summary>Why <paramref name="path"/> is too long to write under, or null.</summary>
    public static string? TooLong(string path)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            return $"is longer than {MaxPathBytes} bytes; the files written under it would exceed the system's limit";
        }
        return path.Split(Path.DirectorySeparatorChar).Any(part => System.Text.Encoding.UTF8.GetByteCount(part) > MaxNameBytes)
            ? $"has a folder name longer than {MaxNameBytes} bytes; the system allows 255 for a name and the host adds to it"
            : null;
    }

    private static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>
    /// The absolute path with every link resolved, component by component from the root, so that a <c>..</c> after
    /// a link goes where the operating system would take it. Components that do not exist yet are kept as written.
    /// </summary>
    public static string Resolve(string path) => Resolve(Absolute(path, Directory.GetCurrentDirectory()), 0);

    /// <summary>Rooted but not normalized: <see cref="Path.GetFullPath(string)"/> would apply <c>..</c> before the links are known.</summary>
    private static string Absolute(string path, string from) => Path.IsPathRooted(path) ? path : Path.Join(from, path);

    private static string Resolve(string full, int depth)
    {
        if (depth > 32)
        {
            throw new IOException("too many levels of symbolic links");
        }
        var root = Path.GetPathRoot(full)!;
        var current = root;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }
            var next = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                next = Resolve(Absolute(target, current), depth + 1);
            }
            current = next;
        }
        return current;
    }

    /// <summary>A regular file: not a directory, device, pipe or socket (which a read could never finish, or would block on).</summary>
    public static bool IsRegularFile(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }
        var buffer = new byte[256];
        if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0)
        {
            return false;
        }
        // struct statx has the same layout on every architecture: stx_mode is the u16 at byte 28.
        var mode = BitConverter.ToUInt16(buffer, 28);
        return (mode & 0xF000) == 0x8000;
    }

    private const int AtFdCwd = -100;
    private const uint StatxType = 1;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
