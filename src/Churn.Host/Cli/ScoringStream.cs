using System.Collections.Concurrent;
using Churn.Numerics;
using Churn.Numerics.Data;

namespace Churn.Host.Cli;

/// <summary>
/// A customer file scored a chunk at a time in a bounded pipeline of three threads: one reads and checks the file
/// (CSV or Parquet, told apart by their first bytes), one scores, and the caller's thread writes. At most a few chunks
/// are in flight, so memory is that of a few chunks whatever the file's size, and reading, scoring and writing overlap.
/// </summary>
public static class ScoringStream
{
    /// <summary>
    /// Rows read, scored and written at a time: large enough that the forward pass splits a chunk between the cores
    /// and per-chunk costs vanish, small enough that the chunks in flight stay a few megabytes each.
    /// </summary>
    public const int ChunkRows = 16_384;

    // Chunks waiting between two stages: enough to ride out a slow chunk, few enough to keep memory flat.
    private const int InFlight = 2;

    /// <summary><c>--format</c> when the verb takes it and it is given: the output's format whatever its name.</summary>
    public static TableFormat? FormatGiven(System.CommandLine.ParseResult parse) =>
        parse.CommandResult.Command.Options.Contains(ChurnCommandLine.Format) && parse.GetValue(ChurnCommandLine.Format) is { } format
            ? format == "parquet" ? TableFormat.Parquet : TableFormat.Csv
            : null;

    /// <summary>
    /// Runs <paramref name="write"/> on a temporary file and moves it to <paramref name="output"/> when it succeeds
    /// (<see cref="AtomicFile"/>), or copies it to stdout when <paramref name="output"/> is null: either way nothing of a
    /// scoring that fails halfway (a bad row at the millionth line) reaches the output.
    /// </summary>
    public static Result<string> WriteOutput(string? output, Func<Stream, Problem?> write)
    {
        if (output is not null)
        {
            return AtomicFile.Write(output, write);
        }
        var temp = Path.Combine(Path.GetTempPath(), $".churn-scores-{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose))
            {
                if (write(stream) is { } problem)
                {
                    return problem;
                }
                stream.Flush();
                stream.Position = 0;
                using var stdout = Console.OpenStandardOutput();
                stream.CopyTo(stdout, 1 << 20);
            }
            return Result.Ok("-");
        }
        catch (IOException e)
        {
            return new Problem($"cannot write the scores: {e.Message}", temp);
        }
    }

    /// <summary>Whether <paramref name="path"/> holds Parquet (its magic bytes), whatever its name.</summary>
    public static bool IsParquet(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            Span<byte> magic = stackalloc byte[4];
            return file.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual("PAR1"u8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // The reader says why the file cannot be read.
            return false;
        }
    }

    /// <summary>
    /// Streams <paramref name="input"/> (raw behaviours unless <paramref name="standardized"/>) under
    /// <paramref name="limits"/>: <paramref name="score"/> turns each chunk into a <typeparamref name="T"/> on the
    /// scoring thread, and <paramref name="consume"/> takes them in file order on the caller's thread. The first problem
    /// (a bad row, or one <paramref name="consume"/> returns) stops everything and is the result; what was consumed
    /// before it must then be discarded. The result's SHA-256 is the whole file's.
    /// </summary>
    public static Result<LoadedData> Run<T>(
        string input, DataLimits limits, bool standardized, Func<Dataset, T> score, Func<T, Problem?> consume, int chunkRows = ChunkRows)
    {
        using var stop = new CancellationTokenSource();
        using var toScore = new BlockingCollection<Dataset>(InFlight);
        using var toWrite = new BlockingCollection<T>(InFlight);
        var parquet = IsParquet(input);
        var reader = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    void Emit(Dataset chunk) => toScore.Add(chunk, stop.Token);
                    return parquet
                        ? CustomerParquet.Stream(input, limits, standardized, chunkRows, Emit, stop.Token)
                        : CustomerCsv.Stream(input, limits, standardized, chunkRows, Emit, stop.Token);
                }
                finally
                {
                    toScore.CompleteAdding();
                }
            },
            TaskCreationOptions.LongRunning);
        var scorer = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    foreach (var chunk in toScore.GetConsumingEnumerable(stop.Token))
                    {
                        toWrite.Add(score(chunk), stop.Token);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    // Stopped by a problem downstream, which is the result.
                }
                finally
                {
                    toWrite.CompleteAdding();
                }
            },
            TaskCreationOptions.LongRunning);

        Problem? consumed = null;
        try
        {
            foreach (var scored in toWrite.GetConsumingEnumerable())
            {
                if (consume(scored) is { } problem)
                {
                    consumed = problem;
                    break;
                }
            }
        }
        finally
        {
            if (consumed is not null)
            {
                stop.Cancel();
            }
            // Unblock a reader waiting to add to a full queue once the scorer has stopped taking.
            scorer.GetAwaiter().GetResult();
            if (consumed is not null)
            {
                while (toScore.TryTake(out _))
                {
                }
            }
        }
        var read = reader.GetAwaiter().GetResult();
        return consumed is not null ? consumed : read;
    }
}
