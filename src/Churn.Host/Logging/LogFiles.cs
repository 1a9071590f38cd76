using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Churn.Numerics;
using Microsoft.Extensions.Logging;

namespace Churn.Host.Logging;

/// <summary>
/// Which log entries to show: one run's, from actors whose path matches a glob (<c>*</c> any text, <c>?</c> one
/// character; matched against the path with and without its <c>akka://system</c> part), at a level or above.
/// </summary>
public sealed partial record LogQuery(string? RunId, string? ActorGlob, LogLevel Minimum)
{
    public static readonly LogQuery All = new(null, null, LogLevel.Trace);

    /// <summary>A query as a request's parameters spell it; the problem names <c>level</c> when it is not a level.</summary>
    public static Result<LogQuery> Parse(string? runId, string? actor, string? level) =>
        level is null ? Result.Ok(new LogQuery(runId, actor, LogLevel.Trace))
        : LogEntry.ParseLevel(level) is { } minimum ? Result.Ok(new LogQuery(runId, actor, minimum))
        : Result.Fail<LogQuery>("level: expected debug, info, warning or error", column: "level");

    private readonly Regex? _actor = ActorGlob is null
        ? null
        : new Regex("^" + Regex.Escape(ActorGlob).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    public bool Matches(LogEntry entry) =>
        entry.Severity >= Minimum
        && (RunId is null || entry.RunId == RunId || (entry.RunId?.StartsWith(RunId + "/", StringComparison.Ordinal) ?? false))
        && (_actor is null || _actor.IsMatch(entry.Source) || _actor.IsMatch(SystemPrefix().Replace(entry.Source, "")));

    [GeneratedRegex(@"^akka://[^/]+")]
    private static partial Regex SystemPrefix();
}

/// <summary>
/// Reads the JSON-lines log files of a logs directory, oldest first, and follows them as they grow. Each process writes
/// files of its own (<see cref="JsonLinesLoggerProvider"/>); a day's files are read together in time order.
/// </summary>
public static partial class LogFiles
{
    /// <summary>
    /// The name of the log file of process <paramref name="processId"/> on machine <paramref name="host"/> for
    /// <paramref name="day"/> (yyyyMMdd), roll <paramref name="roll"/>: <c>churn-&lt;day&gt;-&lt;host&gt;-p&lt;pid&gt;[-&lt;roll&gt;].jsonl</c>.
    /// Process ids repeat across machines, so nodes sharing one logs directory (NFS) need the machine in the name too.
    /// </summary>
    public static string FileName(string day, string host, int processId, int roll) =>
        string.Create(CultureInfo.InvariantCulture, $"churn-{day}-{HostPart(host)}-p{processId}{(roll == 0 ? "" : $"-{roll}")}.jsonl");

    /// <summary>
    /// A machine name as it may stand in a file name: lower case letters, digits, dots and dashes (what a DNS label
    /// allows), anything else a dash, at most 63 characters; an empty name is <c>host</c>.
    /// </summary>
    public static string HostPart(string host)
    {
        var text = new StringBuilder(Math.Min(host.Length, 63));
        foreach (var c in host.Trim().ToLowerInvariant())
        {
            if (text.Length == 63)
            {
                break;
            }
            text.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-' ? c : '-');
        }
        var name = text.ToString().Trim('-', '.');
        return name.Length == 0 ? "host" : name;
    }

    /// <summary>The log files in write order: by day, then by machine and process, then by roll number.</summary>
    public static IReadOnlyList<string> Files(string directory) => [.. Named(directory).Select(f => f.Path)];

    private static List<(string Path, string Day)> Named(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        return Directory.EnumerateFiles(directory, "churn-*.jsonl")
            .Select(path => (path, match: FileNamePattern().Match(Path.GetFileName(path))))
            .Where(f => f.match.Success)
            .OrderBy(f => f.match.Groups[1].Value, StringComparer.Ordinal)
            .ThenBy(f => f.match.Groups["host"].Value, StringComparer.Ordinal)
            .ThenBy(f => f.match.Groups["pid"].Success ? long.Parse(f.match.Groups["pid"].Value, CultureInfo.InvariantCulture) : -1)
            .ThenBy(f => f.match.Groups["roll"].Success ? long.Parse(f.match.Groups["roll"].Value, CultureInfo.InvariantCulture) : 0)
            .Select(f => (f.path, Day: f.match.Groups[1].Value))
            .ToList();
    }

    /// <summary>Deletes the log files of days before <paramref name="before"/>; a file another process still holds open goes when it closes it.</summary>
    public static int Prune(string directory, DateTime before)
    {
        var cutoff = before.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var deleted = 0;
        foreach (var (path, day) in Named(directory).Where(f => string.CompareOrdinal(f.Day, cutoff) < 0))
        {
            try
            {
                File.Delete(path);
                deleted++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another process's or a read-only file: it is tried again at the next start.
            }
        }

        return deleted;
    }

    /// <summary>
    /// Every entry of <paramref name="directory"/> that <paramref name="query"/> matches, oldest first, at most
    /// <paramref name="limit"/>, from the days since <paramref name="since"/>. Files are streamed line by line and a
    /// run's query skips other runs' lines before parsing them, so memory stays bounded by the matches.
    /// </summary>
    public static IEnumerable<LogEntry> Read(string directory, LogQuery query, int limit = int.MaxValue, DateTimeOffset? since = null)
    {
        var marker = Marker(query);
        var returned = 0;
        foreach (var day in Since(directory, since).GroupBy(f => f.Day))
        {
            var entries = new List<LogEntry>();
            foreach (var (path, _) in day)
            {
                foreach (var line in Lines(path))
                {
                    if (Match(line, marker, query) is { } entry)
                    {
                        entries.Add(entry);
                    }
                }
            }

            foreach (var entry in entries.OrderBy(e => e.Timestamp))
            {
                if (returned++ >= limit)
                {
                    yield break;
                }

                yield return entry;
            }
        }
    }

    /// <summary>The log files of the days since <paramref name="since"/> (all of them without it), in write order.</summary>
    private static IEnumerable<(string Path, string Day)> Since(string directory, DateTimeOffset? since)
    {
        var first = since?.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        return Named(directory).Where(f => first is null || string.CompareOrdinal(f.Day, first) >= 0);
    }

    /// <summary>A run's query skips other runs' lines before parsing them: the text its lines all contain.</summary>
    private static string? Marker(LogQuery query) =>
        query.RunId is null ? null : $"\"runId\":{System.Text.Json.JsonSerializer.Serialize(query.RunId)}";

    private static LogEntry? Match(string line, string? marker, LogQuery query) =>
        (marker is null || line.Contains(marker, StringComparison.Ordinal)) && LogEntry.Parse(line) is { } entry && query.Matches(entry) ? entry : null;

    private static IEnumerable<string> Lines(string path)
    {
        StreamReader reader;
        try
        {
            reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete), Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            yield break;
        }

        using (reader)
        {
            while (reader.ReadLine() is { } line)
            {
                yield return line;
            }
        }
    }

    /// <summary>
    /// Hands every matching entry to <paramref name="onEntry"/>: those already written (in the files of the days since
    /// <paramref name="since"/>), then new ones as they are appended (new files included), until <paramref name="cancel"/>
    /// fires or, after <paramref name="ended"/> says nothing more will be written, one last pass has read what was.
    /// </summary>
    public static async Task FollowAsync(
        string directory, LogQuery query, Action<LogEntry> onEntry, TimeSpan poll, CancellationToken cancel, DateTimeOffset? since = null, Func<bool>? ended = null)
    {
        var marker = Marker(query);
        var offsets = new Dictionary<string, long>(StringComparer.Ordinal);
        while (!cancel.IsCancellationRequested)
        {
            // Asked before the pass, so the pass reads every line written before the answer.
            var last = ended?.Invoke() ?? false;
            foreach (var (file, _) in Since(directory, since))
            {
                var (lines, next) = ReadFrom(file, offsets.GetValueOrDefault(file));
                offsets[file] = next;
                foreach (var line in lines)
                {
                    if (Match(line, marker, query) is { } entry)
                    {
                        onEntry(entry);
                    }
                }
            }

            if (last)
            {
                return;
            }

            try
            {
                await Task.Delay(poll, cancel);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The complete lines of <paramref name="file"/> from byte <paramref name="offset"/>, and the offset after the last
    /// of them: a line still being written is left for the next read.
    /// </summary>
    private static (IReadOnlyList<string> Lines, long Next) ReadFrom(string file, long offset)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length <= offset)
            {
                return ([], Math.Min(offset, stream.Length));
            }

            stream.Seek(offset, SeekOrigin.Begin);
            var bytes = new byte[stream.Length - offset];
            stream.ReadExactly(bytes);
            var end = Array.LastIndexOf(bytes, (byte)'\n');
            if (end < 0)
            {
                return ([], offset);
            }

            var text = Encoding.UTF8.GetString(bytes, 0, end);
            return (text.Split('\n'), offset + end + 1);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ([], offset);
        }
    }

    // Three generations of names: churn-<day>[-<roll>] (one file for all processes), churn-<day>-p<pid>[-<roll>] (one per
    // process) and churn-<day>-<host>-p<pid>[-<roll>] (one per machine and process). A host part may itself contain
    // dashes and digits ("node-2", "p1"): the pid is the last "-p<digits>" before an optional roll.
    [GeneratedRegex(@"^churn-(\d{8})(?:-(?<host>[a-z0-9.-]+?))??(?:-p(?<pid>\d{1,18}))?(?:-(?<roll>\d{1,18}))?\.jsonl$")]
    private static partial Regex FileNamePattern();
}
