using Microsoft.Extensions.Logging;

namespace Churn.Host.Logging;

/// <summary>
/// Writes log events to stderr as the same human-readable lines <c>churn logs</c> prints: time, level, actor path,
/// run, stage and message. Used by <c>churn host</c> and by <c>--verbose</c>.
/// </summary>
public sealed class ConsoleLinesLoggerProvider(LogLevel minimum) : ILoggerProvider
{
    private readonly Lock _gate = new();

    public ILogger CreateLogger(string categoryName) => new EntryLogger(Write, categoryName, minimum);

    public void Dispose()
    {
    }

    private void Write(LogEntry entry)
    {
        var line = entry.ToHumanLine(withDate: false);
        lock (_gate)
        {
            Console.Error.WriteLine(line);
        }
    }
}
