namespace Churn.Numerics;

/// <summary>
/// Replaces a file in one step: the bytes go to a temporary file in the same directory, which is then renamed over
/// the target. A failure leaves the previous file as it was and no half-written file behind.
/// </summary>
public static class AtomicFile
{
    public static Result<string> Write(string path, ReadOnlySpan<byte> bytes)
    {
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }

            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
            return Result.Ok(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            return Result.Fail<string>($"cannot write: {ex.Message}", path);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The temporary file is ours and harmless; the write error already reported is what matters.
        }
    }
}
