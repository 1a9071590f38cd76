using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Churn.Host.Logging;

/// <summary>One log event as the JSON-lines files hold it and as <c>churn logs</c> and the HTTP API read it back.</summary>
public sealed partial record LogEntry(
    DateTimeOffset Timestamp,
    string Level,
    string Source,
    string? RunId,
    string? Stage,
    string Message,
    string? Exception)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The entry for one call to <see cref="ILogger.Log{TState}"/>. Akka.Hosting's logger-factory bridge logs every
    /// actor event under the category <c>Akka.Actor.ActorSystem</c>, with the actor path in the state's
    /// <c>LogSource</c> (and the sender's in <c>ActorPath</c>), the event time in <c>Timestamp</c>, and a formatted
    /// text that starts with <c>[LEVEL][time][Thread n][source] </c>. The source, time and bare message are lifted
    /// out of those; other loggers keep their category as the source.
    /// </summary>
    public static LogEntry From<TState>(LogLevel level, string category, TState state, string formatted, Exception? exception, DateTimeOffset now)
    {
        string? logSource = null;
        string? actorPath = null;
        var timestamp = now;
        if (state is IEnumerable<KeyValuePair<string, object?>> properties)
        {
            foreach (var (key, value) in properties)
            {
                switch (key)
                {
                    case "LogSource":
                        logSource = value?.ToString();
                        break;
                    case "ActorPath":
                        actorPath = value?.ToString();
                        break;
                    case "Timestamp" when value is DateTimeOffset at:
                        timestamp = at;
                        break;
                    case "Timestamp" when value is DateTime at:
                        timestamp = new DateTimeOffset(at.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(at, DateTimeKind.Utc) : at);
                        break;
                }
            }
        }

        var message = formatted;
        var source = string.IsNullOrEmpty(logSource) ? actorPath ?? category : logSource;
        if (logSource is not null && formatted.StartsWith('['))
        {
            var marker = $"[{logSource}]";
            var at = formatted.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                message = formatted[(at + marker.Length)..];
                message = message.StartsWith(' ') ? message[1..] : message;
            }
        }

        var (runId, stage, text) = Fields(message);
        return new LogEntry(timestamp.ToUniversalTime(), level.ToString(), source, runId, stage, text, exception?.ToString());
    }

    /// <summary>Splits the <c>run=… stage=…</c> prefix every actor log line starts with into fields.</summary>
    public static (string? RunId, string? Stage, string Message) Fields(string message)
    {
        var match = RunPrefix().Match(message);
        return match.Success
            ? (match.Groups[1].Value, match.Groups[2].Value, message[match.Length..])
            : (null, null, message);
    }

    /// <summary>One JSON object: timestamp, level, source, runId, stage, message, exception.</summary>
    public string ToJsonLine()
    {
        var buffer = new MemoryStream();
        // Relaxed escaping keeps '+', quotes and non-ASCII readable in a file people read; these lines never go into HTML.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", Timestamp.ToString("O", CultureInfo.InvariantCulture));
            json.WriteString("level", Level);
            json.WriteString("source", Source);
            json.WriteString("runId", RunId);
            json.WriteString("stage", Stage);
            json.WriteString("message", Message);
            json.WriteString("exception", Exception);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The entry of one line of a JSON-lines file, or null for a line that is not one (cut short by a crash).</summary>
    public static LogEntry? Parse(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return null;
        }

        try
        {
            var entry = JsonSerializer.Deserialize<LogEntry>(line, Json);
            return entry is { Level: not null, Source: not null, Message: not null } ? entry : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// A line for a person: time, level, the actor path without the <c>akka://system</c> part, run, stage and message.
    /// <paramref name="withDate"/> adds the date, for files that span days.
    /// </summary>
    public string ToHumanLine(bool withDate)
    {
        var time = Timestamp.ToLocalTime().ToString(withDate ? "yyyy-MM-dd HH:mm:ss.fff" : "HH:mm:ss.fff", CultureInfo.InvariantCulture);
        var source = ActorSystemPrefix().Replace(Source, "");
        var run = RunId is null ? "" : $"run={RunId} stage={Stage} ";
        var text = $"{time} {ShortLevel(Level),-5} {source}  {run}{Message}";
        return Exception is null ? text : $"{text}{Environment.NewLine}{Exception}";
    }

    /// <summary>The level names <c>--level</c> and <c>?level=</c> accept, lowest first.</summary>
    public static LogLevel? ParseLevel(string text) => text.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" or "fatal" => LogLevel.Critical,
        _ => null,
    };

    [JsonIgnore]
    public LogLevel Severity => Enum.TryParse<LogLevel>(Level, ignoreCase: true, out var level) ? level : LogLevel.Information;

    private static string ShortLevel(string level) => level switch
    {
        "Information" => "INFO",
        "Warning" => "WARN",
        "Critical" => "CRIT",
        _ => level.ToUpperInvariant(),
    };

    [GeneratedRegex(@"^run=(\S+) stage=(\S+) ")]
    private static partial Regex RunPrefix();

    [GeneratedRegex(@"^akka://[^/]+")]
    private static partial Regex ActorSystemPrefix();
}
