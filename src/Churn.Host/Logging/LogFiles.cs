using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Churn.Host.Logging;

/// <summary>
/// Which log entries to show: one run's, from actors whose path matches a glob (<c>*</c> any text, <c>?</c> one
/// character; matched against the path with and without its <c>akka://system</c> part), at a level or above.
/// </summary>
public sealed partial record LogQuery(string? RunId, string? ActorGlob, LogLevel Minimum)
{
    public static readonly LogQuery All = new(null, null, LogLevel.Trace);

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

/// <summary>Reads the JSON-lines log files of a logs directory, oldest first, and follows them as they grow.</summary>
public static partial class LogFiles
{
    /// <summary>The log files in write order: by day, then by roll number (<c>churn-20250101.jsonl</c> before <c>churn-20250101-1.jsonl</c>).</summary>
    public static IReadOnlyList<string> Files(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        return [.. Directory.EnumerateFiles(directory, "churn-*.jsonl")
            .Select(path => (path, match: FileName().Match(Path.GetFileName(path))))
            .Where(f => f.match.Success)
            .OrderBy(f => f.match.Groups[1].Value, StringComparer.Ordinal)
            .ThenBy(f => f.match.Groups[2].Success ? int.Parse(f.match.Groups[2].Value, CultureInfo.InvariantCulture) : 0)
            .Select(f => f.path)];
    }

    /// <summary>Every entry of <paramref name="directory"/> that <paramref name="query"/> matches, oldest first.</summary>
    public static IEnumerable<LogEntry> Read(string directory, LogQuery query)
    {
        foreach (var file in Files(directory))
        {
            var (lines, _) = ReadFrom(file, 0);
            foreach (var entry in lines.Select(LogEntry.Parse))
            {
                if (entry is not null && query.Matches(entry))
                {
                    yield return entry;
                }
            }
        }
    }

    /// <summary>
    /// Hands every matching entry to <paramref name="onEntry"/>: those already written, then new ones as they are
    /// appended (new files included), until <paramref name="cancel"/> fires.
    /// </summary>
    public static async Task FollowAsync(string directory, LogQuery query, Action<LogEntry> onEntry, TimeSpan poll, CancellationToken cancel)
    {
        var offsets = new Dictionary<string, long>(StringComparer.Ordinal);
        while (!cancel.IsCancellationRequested)
        {
            foreach (var file in Files(directory))
            {
                var (lines, next) = ReadFrom(file, offsets.GetValueOrDefault(file));
                offsets[file] = next;
                foreach (var entry in lines.Select(LogEntry.Parse))
                {
                    if (entry is not null && query.Matches(entry))
                    {
                        onEntry(entry);
                    }
                }
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

    [GeneratedRegex(@"^churn-(\d{8})(?:-(\d+))?\.jsonl$")]
    private static partial Regex FileName();
}
