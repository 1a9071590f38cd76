using System.Diagnostics;

namespace Churn.Host.Cli;

/// <summary>
/// Where start-up time goes, for <c>--timings</c>: measured from the process's own start (the kernel's record of it),
/// so the runtime's start and everything before <c>Main</c> count too.
/// </summary>
public static class StartupClock
{
    private static long _main = Stopwatch.GetTimestamp();

    /// <summary>Called first thing in <c>Main</c>.</summary>
    public static void MainEntered() => _main = Stopwatch.GetTimestamp();

    /// <summary>Time since <c>Main</c> began.</summary>
    public static TimeSpan SinceMain => Stopwatch.GetElapsedTime(_main);

    /// <summary>Time since the process started (10 ms resolution on Linux; it reads /proc, so only for <c>--timings</c>).</summary>
    public static TimeSpan SinceProcessStart
    {
        get
        {
            using var self = Process.GetCurrentProcess();
            return DateTime.Now - self.StartTime;
        }
    }

    /// <summary>Processor time this process has used so far, all threads: on a busy machine it says more than wall time.</summary>
    public static TimeSpan ProcessorTime
    {
        get
        {
            using var self = Process.GetCurrentProcess();
            return self.TotalProcessorTime;
        }
    }
}
