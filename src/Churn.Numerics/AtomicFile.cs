using System.Runtime.InteropServices;

namespace Churn.Numerics;

/// <summary>
/// Writes a file through a temporary sibling and a rename, so readers see either the old file or the complete new
/// one: a crash or a full disk never leaves a half-written output or destroys the previous one. The file's data is
/// flushed to disk before the rename and the directory after it, so a power loss cannot undo a rename that has been
/// reported done (nor keep the new name pointing at data that never reached the disk).
/// </summary>
public static partial class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> in one step.</summary>
    public static Result<string> Write(string path, byte[] bytes) => Write(path, stream => stream.Write(bytes));

    /// <summary>Runs <paramref name="write"/> on a temporary file in the target's directory, then renames it over <paramref name="path"/>.</summary>
    public static Result<string> Write(string path, Action<Stream> write) => Write(path, stream =>
    {
        write(stream);
        return null;
    });

    /// <summary>
    /// Runs <paramref name="write"/> on a temporary file as <see cref="Write(string, Action{Stream})"/> does; when it
    /// returns a problem (the input turned out bad halfway), the temporary is removed, <paramref name="path"/> is left as
    /// it was and the problem is the result.
    /// </summary>
    public static Result<string> Write(string path, Func<Stream, Problem?> write)
    {
        string? temp = null;
        try
        {
            var full = Path.GetFullPath(path);
            var directory = Path.GetDirectoryName(full) ?? ".";
            if (!Directory.Exists(directory))
            {
                return new Problem($"cannot write: the directory '{directory}' does not exist", path);
            }
            if (Directory.Exists(full))
            {
                return new Problem("cannot write: a directory of that name is in the way", path);
            }
            // Same directory as the target: a rename within one file system is atomic, across file systems it is a copy.
            temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                if (write(stream) is { } problem)
                {
                    return problem;
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
            temp = null;
            SyncDirectory(directory);
            return Result.Ok(path);
        }
        catch (Exception e)
        {
            return new Problem($"cannot write: {e.Message}", path);
        }
        finally
        {
            if (temp is not null)
            {
                TryDelete(temp);
            }
        }
    }

    /// <summary>
    /// Makes a rename in <paramref name="directory"/> durable: a rename changes the directory, and only an fsync of the
    /// directory itself puts that change on disk. Where the system has no such call, the rename is as durable as the
    /// file system makes it.
    /// </summary>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }
        var fd = Open(directory, 0);
        if (fd < 0)
        {
            throw new IOException($"cannot open the directory '{directory}' to sync it (errno {Marshal.GetLastPInvokeError()})");
        }
        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"cannot sync the directory '{directory}' (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The temporary name is unique and hidden; leaving it behind is better than masking the real problem.
        }
    }
}
