using System.Collections.Concurrent;
using System.Globalization;

namespace Churn.Host.Store;

/// <summary>
/// Who is recording a run or a search, so that another process sharing the store can tell whether a run marked
/// running still has someone running it. A search names its process; a run names the store instance that records it
/// (process plus an instance id), so a store closed and reopened in one process also counts as gone.
/// </summary>
public sealed class StoreOwner : IDisposable
{
    private static readonly ConcurrentDictionary<string, byte> OpenInstances = new();

    private StoreOwner(string instance)
    {
        Instance = instance;
        Name = $"{Process}|{instance}";
    }

    /// <summary>
    /// This process: machine, process id and start time (a process id alone may be reused).
    /// </summary>
    public static string Process { get; } =
        $"{Environment.MachineName}|{Environment.ProcessId}|{System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime():O}";

    /// <summary>What the store records as a run's owner.</summary>
    public string Name { get; }

    private string Instance { get; }

    /// <summary>A new owner, alive until disposed.</summary>
    public static StoreOwner Open()
    {
        var owner = new StoreOwner(Guid.NewGuid().ToString("N")[..12]);
        OpenInstances[owner.Instance] = 0;
        return owner;
    }

    /// <summary>
    /// Whether the process that <paramref name="process"/> names is alive. A process on another machine is taken as
    /// alive: this machine cannot know, and running its work twice would be worse than waiting.
    /// </summary>
    public static bool ProcessAlive(string process)
    {
        var parts = process.Split('|');
        if (parts.Length < 3 || parts[0] != Environment.MachineName)
        {
            return true;
        }

        try
        {
            using var running = System.Diagnostics.Process.GetProcessById(int.Parse(parts[1], CultureInfo.InvariantCulture));
            var recorded = DateTimeOffset.Parse(parts[2], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

            // On Linux a start time is boot time plus ticks since boot, and each process works out the boot time from
            // its own clock readings: the same process seen from two processes differs by a few milliseconds, so an
            // exact comparison took every live owner for dead. A reused pid started within the same second is not
            // a practical risk.
            return (running.StartTime.ToUniversalTime() - recorded.UtcDateTime).Duration() < TimeSpan.FromSeconds(1);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>Whether the owner <paramref name="name"/> (as <see cref="Name"/> wrote it) is still recording.</summary>
    public static bool Alive(string name)
    {
        var parts = name.Split('|');
        if (parts.Length != 4)
        {
            return ProcessAlive(name);
        }

        return string.Join('|', parts[..3]) == Process ? OpenInstances.ContainsKey(parts[3]) : ProcessAlive(name);
    }

    public void Dispose() => OpenInstances.TryRemove(Instance, out _);
}
