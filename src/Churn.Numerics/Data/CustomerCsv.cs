using System.Text;
using Sylvan.Data.Csv;

namespace Churn.Numerics.Data;

/// <summary>Reads the customer file: ID, ten behaviour features, target (optional when scoring).</summary>
public static partial class CustomerCsv
{
    /// <summary>Fields per row with the target column: ID, ten features, target.</summary>
    public const int FieldsWithTarget = 12;

    /// <summary>Fields per row without the target column (allowed with <see cref="TargetPolicy.Optional"/>).</summary>
    public const int FieldsWithoutTarget = 11;

    private const int MaxLineChars = 1 << 16;

    /// <inheritdoc cref="CustomerFields.MaxMagnitude"/>
    public const double MaxMagnitude = CustomerFields.MaxMagnitude;

    /// <summary>
    /// Reads and validates a customer CSV; every rejection names file, line, column and reason.
    /// Accepts an optional header row (recognised by having no numeric field), CRLF or LF, a UTF-8 BOM and
    /// trailing blank lines. <see cref="Problem.Line"/> is the 1-based physical line; problems about the whole
    /// file (missing, empty, no data rows, a class without rows) carry no line. The SHA-256 is computed in the
    /// same pass that parses. A file over <paramref name="limits"/> (rows or bytes) is refused as soon as that is
    /// known; <paramref name="cancel"/> ends every reading loop within one block or row. With
    /// <paramref name="standardized"/> the features are taken as already standardized: any finite value of plausible
    /// size, negative ones included.
    /// </summary>
    public static Result<LoadedData> Load(
        string path, TargetPolicy target = TargetPolicy.Required, DataLimits? limits = null, bool standardized = false, CancellationToken cancel = default) =>
        Read(path, target, limits ?? DataLimits.Default, standardized, emit: null, chunkRows: 0, cancel);

    /// <summary>
    /// Reads and validates a customer CSV as <see cref="Load"/> does, handing each <paramref name="chunkRows"/> rows on
    /// to <paramref name="emit"/> (in file order, the last chunk shorter) instead of holding the file: memory stays
    /// that of a chunk whatever the file's size. The rows are checked as <see cref="Load"/> checks them, except that
    /// duplicate IDs are not looked for (that needs every ID held). The result's data is empty; its SHA-256 is the
    /// whole file's. A problem can come after chunks were handed on: whatever they became must then be dropped.
    /// </summary>
    public static Result<LoadedData> Stream(
        string path, DataLimits limits, bool standardized, int chunkRows, Action<Dataset> emit, CancellationToken cancel = default) =>
        Read(path, TargetPolicy.Optional, limits, standardized, emit, chunkRows, cancel);

    private static Result<LoadedData> Read(
        string path, TargetPolicy target, DataLimits limits, bool standardized, Action<Dataset>? emit, int chunkRows, CancellationToken cancel)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return new Problem("no customer file given", path);
        }
        if (Directory.Exists(path))
        {
            return new Problem("is a directory, not a customer CSV file", path);
        }
        var opened = Problem.OpenRead(path, FileOptions.SequentialScan);
        if (opened is Result<FileStream>.Error { Problem: var cannotOpen })
        {
            return cannotOpen;
        }
        var file = opened.Unwrap();

        using var hashing = new HashingStream(file, limits, cancel);
        int estimatedRows;
        try
        {
            if (file.CanSeek && file.Length > limits.MaxBytes)
            {
                return new Problem(limits.TooManyBytes(file.Length), path);
            }
            estimatedRows = emit is null ? (int)Math.Min(RowEstimate.Of(file, cancel), limits.MaxRows) : chunkRows;
        }
        catch (OperationCanceledException)
        {
            return Cancelled(path);
        }
        catch (IOException e)
        {
            return new Problem($"cannot read the file: {e.Message}", path);
        }
        var reader = new Reader(path, target, estimatedRows, limits, standardized, cancel, emit);
        try
        {
            using var text = new StreamReader(hashing, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
            using var csv = CsvDataReader.Create(text, new CsvDataReaderOptions
            {
                HasHeaders = false,
                Delimiter = ',',
                BufferSize = MaxLineChars,
                MaxBufferSize = MaxLineChars,
            });
            return reader.ReadAll(csv).Bind(data => Finish(path, target, data, hashing.FinishSha256()));
        }
        catch (OperationCanceledException)
        {
            return Cancelled(path);
        }
        catch (DataLimitException e)
        {
            return new Problem(e.Message, path, reader.Line);
        }
        catch (CsvRecordTooLargeException)
        {
            return new Problem(
                $"a record longer than {MaxLineChars} characters; this does not look like the customer CSV (short comma-separated numeric rows)",
                path, reader.Line);
        }
        catch (CsvFormatException e)
        {
            var column = e.FieldOrdinal is >= 0 and < FieldsWithTarget ? ColumnName(e.FieldOrdinal) : null;
            return new Problem($"malformed CSV ({e.Message}); check for an unbalanced double quote", path, reader.Line, column);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            return new Problem($"cannot read the file: {e.Message}", path, reader.Line);
        }
    }

    private static Problem Cancelled(string path) => new("reading was cancelled", path);

    /// <summary>The schema name of field <paramref name="index"/> in a row of the customer file.</summary>
    public static string ColumnName(int index) => CustomerFields.ColumnName(index);

    private static Result<LoadedData> Finish(string path, TargetPolicy target, Dataset data, string sha256)
    {
        var counts = data.Counts();
        if (target == TargetPolicy.Required && (counts.Buyers == 0 || counts.NonBuyers == 0))
        {
            var missing = counts.Buyers == 0 ? "buyers (target 1)" : "non-buyers (target 0)";
            return new Problem($"no {missing} among {data.Rows} rows; training needs both classes", path, Column: Schema.TargetColumn);
        }
        return Result.Ok(new LoadedData(path, sha256, data));
    }

    private static ReadOnlySpan<char> TrimLineEnd(ReadOnlySpan<char> raw)
    {
        if (raw.EndsWith("\r\n"))
        {
            return raw[..^2];
        }
        return raw.Length > 0 && raw[^1] is '\n' or '\r' ? raw[..^1] : raw;
    }
}
