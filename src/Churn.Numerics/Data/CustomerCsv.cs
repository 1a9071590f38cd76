using System.Globalization;
using System.Text;
using Sylvan.Data.Csv;

namespace Churn.Numerics.Data;

/// <summary>Reads the customer file: ID, ten behaviour features, target (optional when scoring).</summary>
public static class CustomerCsv
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
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return Problem.CannotRead(path, e);
        }

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

    /// <summary>
    /// The parsing state of one load: the physical line, whether a header or blank lines were seen, the rows so far.
    /// Mutable, but created and dropped inside one <see cref="Load"/> call.
    /// </summary>
    private sealed class Reader(
        string path, TargetPolicy policy, int estimatedRows, DataLimits limits, bool standardized, CancellationToken cancel, Action<Dataset>? emit = null)
    {
        // Streaming hands on a chunk of estimatedRows rows at a time and keeps no set of the IDs seen, whose size
        // would grow with the file: duplicate IDs are refused only when the whole file is loaded.
        private readonly HashSet<long>? _seenIds = emit is null ? new(estimatedRows) : null;
        private readonly long _rowCap = emit is null ? limits.RowCap : limits.MaxRows;
        private long _total;
        private RowBuffer? _rows;
        private int _fields;
        private bool _headerDecided;
        private long _firstDataLine;
        private long? _blankSince;

        /// <summary>The physical line where the record being read starts (1-based).</summary>
        public long Line { get; private set; } = 1;

        public Result<Dataset> ReadAll(CsvDataReader csv)
        {
            var sawAnything = false;
            while (csv.Read())
            {
                sawAnything = true;
                var raw = csv.GetRawRecordSpan();
                var body = TrimLineEnd(raw);
                var line = Line;
                Line += body.Length == raw.Length ? 0 : 1;
                if (body.ContainsAny('\r', '\n'))
                {
                    return Bad(line, SpanningColumn(csv), "a quoted field holds a line break; every customer must be on one line");
                }
                if (csv.RowFieldCount == 1 && body.IsWhiteSpace())
                {
                    _blankSince ??= line;
                    continue;
                }
                if (_blankSince is { } blank)
                {
                    var where = _headerDecided ? "inside the data" : "before the data";
                    return Bad(blank, null, $"blank line {where} (the next row is on line {line}); blank lines are only allowed at the end");
                }
                if (!_headerDecided)
                {
                    _headerDecided = true;
                    if (IsHeader(csv))
                    {
                        var checkedHeader = DecideFields(csv.RowFieldCount, line, body, header: true);
                        if (checkedHeader is not null)
                        {
                            return checkedHeader;
                        }
                        continue;
                    }
                }
                if (_rows is null)
                {
                    var decided = DecideFields(csv.RowFieldCount, line, body, header: false);
                    if (decided is not null)
                    {
                        return decided;
                    }
                }
                var problem = ReadRow(csv, line, body);
                if (problem is not null)
                {
                    return problem;
                }
            }

            if (!sawAnything)
            {
                return new Problem("the file is empty", path);
            }
            if (!_headerDecided)
            {
                return new Problem("the file holds only blank lines", path);
            }
            if (_rows is null || _total == 0)
            {
                return new Problem("the file has a header but no data rows", path);
            }
            var rest = _rows.Build();
            if (emit is null)
            {
                return Result.Ok(rest);
            }
            if (rest.Rows > 0)
            {
                emit(rest);
            }
            return Result.Ok(rest with { Inputs = rest.Inputs.SubMatrix(0, 0, 0, rest.Inputs.ColumnCount) });
        }

        /// <summary>Fixes the field count from the first row (header or data); null when it is acceptable.</summary>
        private Problem? DecideFields(int fields, long line, ReadOnlySpan<char> body, bool header)
        {
            var ok = fields == FieldsWithTarget || (policy == TargetPolicy.Optional && fields == FieldsWithoutTarget);
            if (!ok)
            {
                var expected = policy == TargetPolicy.Optional
                    ? $"{FieldsWithoutTarget} or {FieldsWithTarget} (customer ID, {Schema.FeatureCount} features, optional target)"
                    : $"{FieldsWithTarget} (customer ID, {Schema.FeatureCount} features, target)";
                var what = header ? "the first line looks like a header but has" : "has";
                return Bad(line, FieldCountColumn(fields, policy == TargetPolicy.Optional ? FieldsWithoutTarget : FieldsWithTarget),
                    $"{what} {fields} field{(fields == 1 ? "" : "s")} where {expected} are expected{SeparatorHint(body)}");
            }
            _fields = fields;
            _rows = new RowBuffer(Schema.FeatureCount, fields == FieldsWithTarget, estimatedRows);
            return null;
        }

        private Problem? ReadRow(CsvDataReader csv, long line, ReadOnlySpan<char> body)
        {
            if (_firstDataLine == 0)
            {
                _firstDataLine = line;
            }
            var fields = csv.RowFieldCount;
            if (fields != _fields)
            {
                return Bad(line, FieldCountColumn(fields, _fields),
                    $"has {fields} field{(fields == 1 ? "" : "s")} where {_fields} are expected (as on line {_firstDataLine}){SeparatorHint(body)}");
            }
            var rows = _rows!;
            if (_total >= _rowCap)
            {
                return Bad(line, null, $"the file {limits.TooManyRows()}");
            }
            if ((_total & 1023) == 0)
            {
                cancel.ThrowIfCancellationRequested();
            }

            var idProblem = ParseId(csv.GetFieldSpan(0), line, out var id);
            if (idProblem is not null)
            {
                return idProblem;
            }
            if (_seenIds is not null && !_seenIds.Add(id))
            {
                return Bad(line, Schema.IdColumn,
                    $"duplicate customer ID {id}: already on line {_firstDataLine + FirstRowWithId(rows, id)}; each customer must appear once");
            }
            Span<double> features = stackalloc double[Schema.FeatureCount];
            for (var f = 1; f <= Schema.FeatureCount; f++)
            {
                var problem = ParseFeature(csv.GetFieldSpan(f), line, f, out features[f - 1]);
                if (problem is not null)
                {
                    return problem;
                }
            }
            var targetValue = 0;
            if (_fields == FieldsWithTarget)
            {
                var targetProblem = ParseFlag(csv.GetFieldSpan(FieldsWithTarget - 1), line, FieldsWithTarget - 1, out targetValue);
                if (targetProblem is not null)
                {
                    return targetProblem;
                }
            }
            rows.Add(id, features, targetValue);
            _total++;
            if (emit is not null && rows.Count == estimatedRows)
            {
                emit(rows.Build());
                _rows = new RowBuffer(Schema.FeatureCount, _fields == FieldsWithTarget, estimatedRows);
            }
            return null;
        }

        private Problem? ParseId(ReadOnlySpan<char> field, long line, out long id)
        {
            if (long.TryParse(field, NumberStyles.Integer, CultureInfo.InvariantCulture, out id))
            {
                return null;
            }
            return ParseNumber(field, line, 0, out var value) ?? Check(line, 0, CustomerFields.IdProblem(value, field, out id));
        }

        private Problem? ParseFlag(ReadOnlySpan<char> field, long line, int index, out int flag)
        {
            flag = 0;
            var problem = ParseNumber(field, line, index, out var value) ?? Check(line, index, CustomerFields.TargetProblem(value, field));
            flag = (int)value;
            return problem;
        }

        private Problem? ParseFeature(ReadOnlySpan<char> field, long line, int index, out double value) =>
            ParseNumber(field, line, index, out value) ?? Check(line, index, CustomerFields.FeatureProblem(index, value, standardized, field));

        private Problem? ParseNumber(ReadOnlySpan<char> field, long line, int index, out double value)
        {
            if (!DecimalText.TryParse(field, out value))
            {
                var shown = field.IsWhiteSpace() ? "an empty field" : $"'{CustomerFields.Shorten(field)}'";
                return Bad(line, ColumnName(index), $"expected a number, got {shown}");
            }
            return null;
        }

        private Problem? Check(long line, int index, string? reason) => reason is null ? null : Bad(line, ColumnName(index), reason);

        private Problem Bad(long line, string? column, string reason) => new(reason, path, line, column);

        private static bool IsHeader(CsvDataReader csv)
        {
            for (var i = 0; i < csv.RowFieldCount; i++)
            {
                if (double.TryParse(csv.GetFieldSpan(i), NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                {
                    return false;
                }
            }
            return true;
        }

        private static int FirstRowWithId(RowBuffer rows, long id)
        {
            for (var row = 0; row < rows.Count; row++)
            {
                if (rows.Id(row) == id)
                {
                    return row;
                }
            }
            return 0;
        }

        /// <summary>The first missing column of a short row; the first unexpected one of a long row (past the target: the target).</summary>
        private static string FieldCountColumn(int found, int expected) =>
            ColumnName(Math.Min(found < expected ? found : expected, FieldsWithTarget - 1));

        private static string? SpanningColumn(CsvDataReader csv)
        {
            for (var i = 0; i < csv.RowFieldCount; i++)
            {
                if (csv.GetFieldSpan(i).ContainsAny('\r', '\n'))
                {
                    return ColumnName(i);
                }
            }
            return null;
        }

        private static string SeparatorHint(ReadOnlySpan<char> body)
        {
            if (body.Length > 0 && body[^1] == ',')
            {
                return " (the line ends with a comma)";
            }
            return body.Contains(';') ? "; the file seems to separate fields with ';', expected ','"
                : body.Contains('\t') ? "; the file seems to separate fields with tabs, expected ','"
                : "";
        }
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
