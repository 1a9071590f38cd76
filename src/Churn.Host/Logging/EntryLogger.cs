using Microsoft.Extensions.Logging;

namespace Churn.Host.Logging;

/// <summary>The logger both of the product's providers hand out: it turns each event into a <see cref="LogEntry"/> for its sink.</summary>
internal sealed class EntryLogger(Action<LogEntry> write, string category, LogLevel minimum) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            write(LogEntry.From(logLevel, category, state, formatter(state, exception), exception, DateTimeOffset.UtcNow));
        }
    }
}
