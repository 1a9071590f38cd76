using System.CommandLine;
using Churn.Host.Configuration;
using Churn.Host.Logging;
using Churn.Numerics;
using Microsoft.Extensions.Logging;

namespace Churn.Host.Cli;

/// <summary><c>churn logs</c>: the actors' log lines, human-readable, filtered by run, actor path and level.</summary>
public static class LogsCommand
{
    public static async Task<int> RunAsync(ParseResult parse)
    {
        var level = parse.Given(ChurnCommandLine.Level) && LogEntry.ParseLevel(parse.GetRequiredValue(ChurnCommandLine.Level)) is { } parsed ? parsed : LogLevel.Trace;
        var directory = parse.Given(ChurnCommandLine.Dir) ? parse.GetValue(ChurnCommandLine.Dir) : null;
        if (directory is null)
        {
            var config = ChurnConfig.Load(parse.GetValue(ChurnCommandLine.Config));
            if (config is Result<ChurnConfig>.Error error)
            {
                return ChurnCli.Fail(error.Problem);
            }

            directory = config.Unwrap().Logs;
        }

        var query = new LogQuery(parse.GetValue(ChurnCommandLine.RunId), parse.GetValue(ChurnCommandLine.Actor), level);
        if (!parse.GetValue(ChurnCommandLine.Follow))
        {
            if (LogFiles.Files(directory).Count == 0)
            {
                Console.Error.WriteLine($"churn logs: no log files in {Path.GetFullPath(directory)}");
            }

            var shown = 0;
            foreach (var entry in LogFiles.Read(directory, query))
            {
                StandardOutput.Writer.WriteLine(entry.ToHumanLine(withDate: true));
                shown++;
            }

            if (shown == 0 && query.RunId is { } runId && !LogFiles.Read(directory, new LogQuery(runId, null, LogLevel.Trace), limit: 1).Any())
            {
                return ChurnCli.Fail(new Problem($"no run or search '{runId}' in the logs", Path.GetFullPath(directory)));
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
