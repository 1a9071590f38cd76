using System.Globalization;
using Sylvan.Data.Csv;

namespace Churn.Numerics.Data;

public static partial class CustomerCsv
{
    /// <summary>
    /// The parsing state of one load: the physical line, whether a header or blank lines were seen, the rows so far.
    /// Mutable, but created and dropped inside one <see cref="Load"/> or <see cref="Stream"/> call.
    /// </summary>
    private sealed class Reader(
        string path, TargetPolicy policy, int estimatedRows, DataLimits limits, bool standardized, CancellationToken cancel, Action<Dataset>? emit = null)
    {
        // Streaming hands on a chunk of estimatedRows rows at a time and keeps no set of the IDs seen, whose size
        // would grow with the file: duplicate IDs are refused only when the whole file is loaded.
        private readonly HashSet<long>? _seenIds = emit is null ? new(estimatedRows) : null;
        private readonly long _rowCap = emit is null ? limits.RowCap : limits.MaxRows;
        private CustomerChunks? _rows;
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
            if (_rows is null || _rows.Total == 0)
            {
                return new Problem("the file has a header but no data rows", path);
            }
            return Result.Ok(_rows.Finish());
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
            _rows = new CustomerChunks(fields == FieldsWithTarget, estimatedRows, emit);
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
            if (rows.Total >= _rowCap)
            {
                return Bad(line, null, $"the file {limits.TooManyRows()}");
            }
            if ((rows.Total & 1023) == 0)
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
                    $"duplicate customer ID {id}: already on line {_firstDataLine + FirstRowWithId(rows.Held, id)}; each customer must appear once");
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

}
