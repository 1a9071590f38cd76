using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Churn.Host.Logging;

/// <summary>
/// One log event as the JSON-lines files hold it and as <c>churn logs</c> and the HTTP API read it back. Run id,
/// stage and trial are the event's own properties (see <see cref="Churn.Actors.RunLog"/>); the node is the actor
/// system's address the source actor lives in.
/// </summary>
public sealed partial record LogEntry(
    DateTimeOffset Timestamp,
    string Level,
    string Source,
    string? RunId,
    string? Stage,
    string Message,
    string? Exception,
    string? Node = null,
    int? Trial = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The entry for one call to <see cref="ILogger.Log{TState}"/>. Akka.Hosting's logger-factory bridge logs every
    /// actor event under the category <c>Akka.Actor.ActorSystem</c>, with the actor path in the state's
    /// <c>LogSource</c>, the event time in <c>Timestamp</c> and the message template's properties beside them: a run
    /// actor's <c>RunId</c>, <c>Stage</c>, <c>Trial</c> and <c>Message</c> (<see cref="Churn.Actors.RunLog.Template"/>).
    /// Akka's own lines carry a formatted text that starts with <c>[LEVEL][time][Thread n][source] </c>; that prefix
    /// is dropped. Other loggers keep their category as the source.
    /// </summary>
    public static LogEntry From<TState>(LogLevel level, string category, TState state, string formatted, Exception? exception, DateTimeOffset now)
    {
        string? logSource = null;
        string? actorPath = null;
        string? runId = null;
        string? stage = null;
        string? text = null;
        int? trial = null;
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
                    case Churn.Actors.RunLog.RunIdProperty:
                        runId = value?.ToString();
                        break;
                    case Churn.Actors.RunLog.StageProperty:
                        stage = value?.ToString();
                        break;
                    case Churn.Actors.RunLog.TrialProperty when int.TryParse(value?.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n):
                        trial = n;
                        break;
                    case Churn.Actors.RunLog.MessageProperty:
                        text = value?.ToString();
                        break;
                }
            }
        }

        var source = string.IsNullOrEmpty(logSource) ? actorPath ?? category : logSource;
        var message = text ?? formatted;
        if (text is null && logSource is not null && formatted.StartsWith('['))
        {
            var marker = $"[{logSource}]";
            var at = formatted.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                message = formatted[(at + marker.Length)..];
                message = message.StartsWith(' ') ? message[1..] : message;
            }
        }

        return new LogEntry(timestamp.ToUniversalTime(), level.ToString(), source, runId, stage, message, exception?.ToString(), NodeOf(source), trial);
    }

    /// <summary>The actor system's address in an actor path (<c>akka://churn</c>, <c>akka.tcp://churn@host:port</c>), or null for other sources.</summary>
    public static string? NodeOf(string source)
    {
        var scheme = source.IndexOf("://", StringComparison.Ordinal);
        if (!source.StartsWith("akka", StringComparison.Ordinal) || scheme < 0)
        {
            return null;
        }

        var slash = source.IndexOf('/', scheme + 3);
        return slash < 0 ? source : source[..slash];
    }

    /// <summary>One JSON object: timestamp, level, source, runId, stage, message, exception, node, trial.</summary>
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
            json.WriteString("node", Node);
            if (Trial is { } trial)
            {
                json.WriteNumber("trial", trial);
            }
            else
            {
                json.WriteNull("trial");
            }

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
        var trial = Trial is null ? "" : string.Create(CultureInfo.InvariantCulture, $"trial={Trial} ");
        // Messages carry user-given strings (paths, ids): a control character must not forge a line or drive the terminal.
        var text = ConsoleText.Printable($"{time} {ShortLevel(Level),-5} {source}  {run}{trial}{Message}");
        return Exception is null ? text : $"{text}{Environment.NewLine}{ConsoleText.Printable(Exception, keepNewlines: true)}";
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

    [GeneratedRegex(@"^akka://[^/]+")]
    private static partial Regex ActorSystemPrefix();
}
