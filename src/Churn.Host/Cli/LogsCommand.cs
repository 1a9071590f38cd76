using Churn.Host.Configuration;
using Churn.Host.Logging;
using Churn.Numerics;
using Microsoft.Extensions.Logging;

namespace Churn.Host.Cli;

/// <summary><c>churn logs</c>: the actors' log lines, human-readable, filtered by run, actor path and level.</summary>
public static class LogsCommand
{
    public static readonly string[] Options = ["run", "actor", "level", "dir", "config"];
    public static readonly string[] Flags = ["follow", "verbose"];

    public static async Task<int> RunAsync(Arguments a)
    {
        var level = LogLevel.Trace;
        if (a.Get("level") is { } text)
        {
            if (LogEntry.ParseLevel(text) is not { } parsed)
            {
                return ChurnCli.Fail(new Problem($"--level takes debug, info, warning or error, not '{text}'"));
            }

            level = parsed;
        }

        var directory = a.Get("dir");
        if (directory is null)
        {
            var config = ChurnConfig.Load(a.Get("config"));
            if (config is Result<ChurnConfig>.Error error)
            {
                return ChurnCli.Fail(error.Problem);
            }

            directory = config.Unwrap().Logs;
        }

        var query = new LogQuery(a.Get("run"), a.Get("actor"), level);
        if (!a.Flags.Contains("follow"))
        {
            if (LogFiles.Files(directory).Count == 0)
            {
                Console.Error.WriteLine($"churn logs: no log files in {Path.GetFullPath(directory)}");
            }

            foreach (var entry in LogFiles.Read(directory, query))
            {
                StandardOutput.Writer.WriteLine(entry.ToHumanLine(withDate: true));
            }

            return 0;
        }

        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCtrlC = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCtrlC;
        try
        {
            await LogFiles.FollowAsync(directory, query, e => StandardOutput.Writer.WriteLine(e.ToHumanLine(withDate: true)), TimeSpan.FromMilliseconds(250), stop.Token);
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCtrlC;
        }
    }
}
