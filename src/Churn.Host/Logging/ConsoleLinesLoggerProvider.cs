using Microsoft.Extensions.Logging;

namespace Churn.Host.Logging;

/// <summary>
/// Writes log events to stderr as the same human-readable lines <c>churn logs</c> prints: time, level, actor path,
/// run, stage and message. Used by <c>churn host</c> and by <c>--verbose</c>.
/// </summary>
public sealed class ConsoleLinesLoggerProvider(LogLevel minimum) : ILoggerProvider
{
    private readonly Lock _gate = new();

    public ILogger CreateLogger(string categoryName) => new ConsoleLinesLogger(this, categoryName, minimum);

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

    private sealed class ConsoleLinesLogger(ConsoleLinesLoggerProvider provider, string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(LogEntry.From(logLevel, category, state, formatter(state, exception), exception, DateTimeOffset.UtcNow));
            }
        }
    }
}
