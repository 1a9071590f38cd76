using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Churn.Host.Logging;

/// <summary>
/// Writes every log event as one JSON object per line (see <see cref="LogEntry"/>) to a file of this process's own:
/// <c>&lt;dir&gt;/churn-&lt;date&gt;-&lt;host&gt;-p&lt;pid&gt;.jsonl</c>, rolled daily and at <see cref="MaxBytes"/>
/// (<c>…-p&lt;pid&gt;-1.jsonl</c>). Any number of processes, on any number of machines sharing the directory (NFS), may
/// log into it: none appends to another's file, so no line is lost or spliced (appends from two processes to one file
/// interleave once a line outgrows the pipe-atomic size, and on NFS appends are not atomic at all). At start, files
/// older than the retention (days) are deleted.
/// </summary>
/// <remarks>A <c>keep</c> function, when given, decides which entries are written (a worker leaves out the lines it sends to its host).</remarks>
public sealed class JsonLinesLoggerProvider : ILoggerProvider
{
    public const long MaxBytes = 32L * 1024 * 1024;

    private readonly Lock _gate = new();
    private readonly LogLevel _minimum;
    private readonly Func<LogEntry, bool>? _keep;
    private readonly int _processId = Environment.ProcessId;
    private readonly string _host;
    private StreamWriter? _writer;
    private string? _day;

    public JsonLinesLoggerProvider(string directory, LogLevel minimum, int retentionDays, Func<LogEntry, bool>? keep = null, DateTime? today = null, string? host = null)
    {
        Directory = directory;
        _host = host ?? Environment.MachineName;
        _minimum = minimum;
        _keep = keep;
        LogFiles.Prune(directory, (today ?? DateTime.UtcNow).Date.AddDays(-retentionDays));
    }

    public string Directory { get; }

    public ILogger CreateLogger(string categoryName) => new EntryLogger(Write, categoryName, _minimum);

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
        if (_keep is not null && !_keep(entry))
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
        var day = now.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        if (_writer is not null && _day == day && _writer.BaseStream.Length < MaxBytes)
        {
            return _writer;
        }

        _writer?.Dispose();
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, LogFiles.FileName(day, _host, _processId, 0));
        for (var n = 1; File.Exists(path) && new FileInfo(path).Length >= MaxBytes; n++)
        {
            path = Path.Combine(Directory, LogFiles.FileName(day, _host, _processId, n));
        }

        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        _writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true };
        _day = day;
        return _writer;
    }
}
