namespace Churn.Numerics;

/// <summary>
/// Writes a file through a temporary sibling and a rename, so readers see either the old file or the complete new
/// one: a crash or a full disk never leaves a half-written output or destroys the previous one.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> in one step.</summary>
    public static Result<string> Write(string path, byte[] bytes) => Write(path, stream => stream.Write(bytes));

    /// <summary>Runs <paramref name="write"/> on a temporary file in the target's directory, then renames it over <paramref name="path"/>.</summary>
    public static Result<string> Write(string path, Action<Stream> write)
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
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
            temp = null;
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
