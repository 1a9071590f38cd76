using System.Diagnostics;
using System.Globalization;
using Churn.Numerics;

namespace Churn.Host.Store;

/// <summary>
/// The host role on one run store: an exclusive OS lock on <c>&lt;store&gt;.host.lock</c>, held for as long as the
/// host runs and released by the kernel when the process ends however it ends (SIGKILL included), so a stale lock
/// never blocks a restart. Only hosts take it: a host marks unfinished runs interrupted and resumes orphaned
/// searches, which a second host must never do to the first one's work, while one-shot commands may keep recording
/// into the same store. Beside it, <c>&lt;store&gt;.host</c> names the holder for the refusal message.
/// </summary>
public sealed class HostLock : IDisposable
{
    private readonly FileStream _lock;
    private readonly string _ownerFile;

    private HostLock(FileStream @lock, string ownerFile)
    {
        _lock = @lock;
        _ownerFile = ownerFile;
    }

    /// <summary>Takes the host lock of the store at <paramref name="storePath"/>, or says who holds it; touches nothing else.</summary>
    public static Result<HostLock> Acquire(string storePath)
    {
        var full = Path.GetFullPath(storePath);
        var lockPath = full + ".host.lock";
        var ownerFile = full + ".host";
        FileStream stream;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);

            // FileShare.None is an exclusive, non-blocking flock on Unix: a second opener fails at once.
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            var owner = ReadOwner(ownerFile);
            return new Problem(
                $"the run store is in use by another churn host ({owner}); one store serves one host: stop that host or give this one another --store",
                storePath);
        }
        catch (UnauthorizedAccessException e)
        {
            return new Problem($"cannot lock the run store: {e.Message}", storePath);
        }

        try
        {
            using var process = Process.GetCurrentProcess();
            File.WriteAllText(ownerFile, string.Create(CultureInfo.InvariantCulture,
                $"pid {Environment.ProcessId} on {Environment.MachineName}, started {process.StartTime.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC\n"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The lock is what matters; without the note the refusal just cannot name the owner.
        }
        return Result.Ok(new HostLock(stream, ownerFile));
    }

    private static string ReadOwner(string ownerFile)
    {
        try
        {
            return File.ReadAllText(ownerFile).Trim() is { Length: > 0 } text ? text : "owner unknown";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "owner unknown";
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_ownerFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover note is harmless: the next host overwrites it once it holds the lock.
        }
        _lock.Dispose();
    }
}
