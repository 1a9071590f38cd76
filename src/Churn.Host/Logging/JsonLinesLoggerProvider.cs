using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Churn.Host.Logging;

/// <summary>
/// Writes every log event as one JSON object per line to <c>&lt;dir&gt;/churn-&lt;date&gt;.jsonl</c>: timestamp, level,
/// source (the actor path or logger name), run id, stage, message, exception. Files roll daily and at
/// <see cref="MaxBytes"/>; several processes may append to the same directory.
/// </summary>
public sealed partial class JsonLinesLoggerProvider(string directory, LogLevel minimum) : ILoggerProvider
{
    public const long MaxBytes = 32L * 1024 * 1024;

    private readonly Lock _gate = new();
    private StreamWriter? _writer;
    private string? _path;

    public string Directory { get; } = directory;

    public ILogger CreateLogger(string categoryName) => new JsonLinesLogger(this, categoryName, minimum);

    public void Dispose()
    {
        lock (_gate)
        {
            _writer?.Dispose();
            _writer = null;
        }
    }

    /// <summary>Splits the <c>run=… stage=…</c> prefix every actor log line starts with into fields.</summary>
    public static (string? RunId, string? Stage, string Message) Fields(string message)
    {
        var match = RunPrefix().Match(message);
        return match.Success
            ? (match.Groups[1].Value, match.Groups[2].Value, message[match.Length..])
            : (null, null, message);
    }

    [GeneratedRegex(@"^run=(\S+) stage=(\S+) ")]
    private static partial Regex RunPrefix();

    /// <summary>Akka's bridge puts the actor path in front of the message as "[path] "; lift it out as the source.</summary>
    [GeneratedRegex(@"^\[(akka://[^\]]+)\]\s*")]
    private static partial Regex ActorPathPrefix();

    internal void Write(LogLevel level, string category, string text, Exception? exception)
    {
        var source = category;
        var path = ActorPathPrefix().Match(text);
        if (path.Success)
        {
            source = path.Groups[1].Value;
            text = text[path.Length..];
        }

        var (runId, stage, message) = Fields(text);
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            json.WriteString("level", level.ToString());
            json.WriteString("source", source);
            json.WriteString("runId", runId);
            json.WriteString("stage", stage);
            json.WriteString("message", message);
            json.WriteString("exception", exception?.ToString());
            json.WriteEndObject();
        }

        var line = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        lock (_gate)
        {
            try
            {
                WriterFor(DateTime.UtcNow).WriteLine(line);
            }
            catch (IOException)
            {
                // A full disk or a vanished directory must not take the product down with its logs.
            }
        }
    }

    private StreamWriter WriterFor(DateTime now)
    {
        var daily = Path.Combine(Directory, $"churn-{now:yyyyMMdd}.jsonl");
        if (_writer is not null && _path is not null && _path.StartsWith(daily[..^6], StringComparison.Ordinal) && _writer.BaseStream.Length < MaxBytes)
        {
            return _writer;
        }

        _writer?.Dispose();
        System.IO.Directory.CreateDirectory(Directory);
        var path = daily;
        for (var n = 1; File.Exists(path) && new FileInfo(path).Length >= MaxBytes; n++)
        {
            path = Path.Combine(Directory, $"churn-{now:yyyyMMdd}-{n}.jsonl");
        }

        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        _writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true };
        _path = path;
        return _writer;
    }

    private sealed class JsonLinesLogger(JsonLinesLoggerProvider provider, string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(logLevel, category, formatter(state, exception), exception);
            }
        }
    }
}
