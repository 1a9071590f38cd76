using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Parquet;
using Parquet.Schema;

namespace Churn.Numerics.Data;

/// <summary>The file formats customers are read from and scores written to.</summary>
public enum TableFormat
{
    Csv,
    Parquet,
}

/// <summary>What a column of scores holds, and so how it is written.</summary>
public enum ColumnKind
{
    /// <summary>Whole numbers (<c>long[]</c>): IDs, ranks.</summary>
    Whole,

    /// <summary>Numbers (<c>double[]</c>), written to CSV with 6 decimals.</summary>
    Number,

    /// <summary>0 or 1 (<c>int[]</c>).</summary>
    Flag,

    /// <summary>Text (<c>string[]</c>), empty when there is none.</summary>
    Text,
}

/// <summary>A column's name and kind.</summary>
public sealed record ColumnSpec(string Name, ColumnKind Kind);

/// <summary>Some rows of a table of scores: one array per column, in the order and of the kinds the table's specs give.</summary>
public sealed record TableChunk(int Rows, IReadOnlyList<Array> Columns);

/// <summary>
/// Writes a table of scores a chunk at a time to a stream, as CSV (a header line, then a line per row) or Parquet (a row
/// group per chunk). Mutable: it lives inside one write and is finished there.
/// </summary>
public abstract class ScoreTableWriter
{
    protected ScoreTableWriter(IReadOnlyList<ColumnSpec> columns) => Columns = columns;

    public IReadOnlyList<ColumnSpec> Columns { get; }

    /// <summary>The format a path names by its extension (<c>.parquet</c>; anything else is CSV), unless <paramref name="given"/> says.</summary>
    public static TableFormat FormatOf(string? path, TableFormat? given) =>
        given ?? (path is not null && path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) ? TableFormat.Parquet : TableFormat.Csv);

    public static ScoreTableWriter Create(TableFormat format, Stream stream, IReadOnlyList<ColumnSpec> columns) =>
        format == TableFormat.Parquet ? new ParquetTable(stream, columns) : new CsvTable(stream, columns);

    public abstract void Write(TableChunk chunk);

    /// <summary>Writes what a format writes after the last row (Parquet's footer) and flushes.</summary>
    public abstract void Finish();

    private sealed class CsvTable : ScoreTableWriter
    {
        private static readonly StandardFormat SixDecimals = new('F', 6);
        private readonly Stream _stream;
        private byte[] _buffer = new byte[1 << 20];

        public CsvTable(Stream stream, IReadOnlyList<ColumnSpec> columns)
            : base(columns)
        {
            _stream = stream;
            _stream.Write(Encoding.UTF8.GetBytes(string.Join(',', columns.Select(c => c.Name)) + "\n"));
        }

        public override void Write(TableChunk chunk)
        {
            var n = 0;
            for (var r = 0; r < chunk.Rows; r++)
            {
                // A row of numbers fits in 48 bytes a column; text is measured.
                var need = n + (Columns.Count * 48) + TextBytes(chunk, r);
                if (need > _buffer.Length)
                {
                    _stream.Write(_buffer, 0, n);
                    n = 0;
                    if (need - n > _buffer.Length)
                    {
                        _buffer = new byte[need * 2];
                    }
                }
                for (var c = 0; c < Columns.Count; c++)
                {
                    if (c > 0)
                    {
                        _buffer[n++] = (byte)',';
                    }
                    var span = _buffer.AsSpan(n);
                    int written;
                    switch (chunk.Columns[c])
                    {
                        case long[] whole:
                            Utf8Formatter.TryFormat(whole[r], span, out written);
                            break;
                        case double[] number:
                            Utf8Formatter.TryFormat(number[r], span, out written, SixDecimals);
                            break;
                        case int[] flag:
                            Utf8Formatter.TryFormat(flag[r], span, out written);
                            break;
                        case string[] text:
                            written = Encoding.UTF8.GetBytes(text[r] ?? "", span);
                            break;
                        default:
                            throw new ArgumentException($"column {Columns[c].Name} holds {chunk.Columns[c].GetType().Name}");
                    }
                    n += written;
                }
                _buffer[n++] = (byte)'\n';
            }
            _stream.Write(_buffer, 0, n);
        }

        public override void Finish() => _stream.Flush();

        private static int TextBytes(TableChunk chunk, int row)
        {
            var bytes = 0;
            foreach (var column in chunk.Columns)
            {
                if (column is string[] text)
                {
                    bytes += Encoding.UTF8.GetMaxByteCount(text[row]?.Length ?? 0);
                }
            }
            return bytes;
        }
    }

    private sealed class ParquetTable : ScoreTableWriter
    {
        private readonly DataField[] _fields;
        private readonly ParquetWriter _writer;

        public ParquetTable(Stream stream, IReadOnlyList<ColumnSpec> columns)
            : base(columns)
        {
            _fields = [.. columns.Select(c => c.Kind switch
            {
                ColumnKind.Whole => (DataField)new DataField<long>(c.Name),
                ColumnKind.Number => new DataField<double>(c.Name),
                ColumnKind.Flag => new DataField<int>(c.Name),
                _ => new DataField<string>(c.Name),
            })];
            _writer = ParquetWriter.CreateAsync(new ParquetSchema(_fields), stream).GetAwaiter().GetResult();
        }

        public override void Write(TableChunk chunk)
        {
            if (chunk.Rows == 0)
            {
                return;
            }
            using var group = _writer.CreateRowGroup();
            for (var c = 0; c < _fields.Length; c++)
            {
                var task = chunk.Columns[c] switch
                {
                    long[] whole => group.WriteAsync(_fields[c], (ReadOnlyMemory<long>)whole.AsMemory(0, chunk.Rows)),
                    double[] number => group.WriteAsync(_fields[c], (ReadOnlyMemory<double>)number.AsMemory(0, chunk.Rows)),
                    int[] flag => group.WriteAsync(_fields[c], (ReadOnlyMemory<int>)flag.AsMemory(0, chunk.Rows)),
                    string[] text => group.WriteAsync(_fields[c], text.Take(chunk.Rows).Select(t => t ?? "").ToArray()),
                    _ => throw new ArgumentException($"column {Columns[c].Name} holds {chunk.Columns[c].GetType().Name}"),
                };
                task.GetAwaiter().GetResult();
            }
        }

        public override void Finish() => _writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
