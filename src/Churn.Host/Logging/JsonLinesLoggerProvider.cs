using System.Text;
using Microsoft.Extensions.Logging;

namespace Churn.Host.Logging;

/// <summary>
/// Writes every log event as one JSON object per line to <c>&lt;dir&gt;/churn-&lt;date&gt;.jsonl</c>: timestamp, level,
/// source (the actor path or logger name), run id, stage, message, exception (see <see cref="LogEntry"/>). Files roll daily and at
/// <see cref="MaxBytes"/>; several processes may append to the same directory.
/// </summary>
/// <remarks><paramref name="keep"/>, when given, decides which entries are written (a worker leaves out the lines it sends to its host).</remarks>
public sealed class JsonLinesLoggerProvider(string directory, LogLevel minimum, Func<LogEntry, bool>? keep = null) : ILoggerProvider
{
    public const long MaxBytes = 32L * 1024 * 1024;

    private readonly Lock _gate = new();
    private StreamWriter? _writer;
    private string? _path;

    public string Directory { get; } = directory;

    public ILogger CreateLogger(string categoryName) => new EntryLogger(Write, categoryName, minimum);

    public void Dispose()
    {
        lock (_gate)
        {
            _writer?.Dispose();
            _writer = null;
        }
    }

    internal void Write(LogEntry entry)
    {
        if (keep is not null && !keep(entry))
        {
            return;
        }
        var line = entry.ToJsonLine();
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
}
