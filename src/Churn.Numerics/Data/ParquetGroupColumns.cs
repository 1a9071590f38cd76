using System.Runtime;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Churn.Numerics.Data;

/// <summary>
/// The columns of one Parquet row group, as doubles, from which the reader cuts its chunks. The library reads a column
/// of a row group whole, so a small group (up to <see cref="HoldRows"/> rows) is held in buffers reused from group to
/// group, and a larger one (pyarrow's, pandas' and Spark's million rows, or every row in one group) is read one column
/// at a time, each written to a temporary file as soon as it is read and its chunks read back from there. Memory so
/// holds one column of a group (8 MB a million rows), not the twelve.
/// </summary>
internal sealed class ParquetGroupColumns(int columns, int chunkRows, int holdRows = ParquetGroupColumns.HoldRows) : IDisposable
{
    /// <summary>Rows of a group held in memory: 6 MB of columns.</summary>
    public const int HoldRows = 1 << 16;

    // Groups from which each column read is collected at once: the library's buffers of a column of a million rows
    // or more would otherwise pile up until the collector's budget for large objects runs out.
    private const int CollectRows = 1 << 20;

    private readonly double[][] _held = new double[columns][];
    private readonly double[][] _chunk = new double[columns][];
    private readonly bool[] _kept = new bool[columns];
    private double[] _column = [];
    private FileStream? _spill;
    private int _rows;

    private bool Spilling => _rows > holdRows;

    /// <summary>Starts a group of <paramref name="rows"/> rows.</summary>
    public void Start(int rows) => _rows = rows;

    /// <summary>Where column <paramref name="c"/> of the group is read to: the first <c>rows</c> values.</summary>
    public double[] Buffer(int c)
    {
        if (Spilling)
        {
            return _column.Length >= _rows ? _column : _column = new double[_rows];
        }
        return _held[c] is { } held && held.Length >= _rows ? held : _held[c] = new double[_rows];
    }

    /// <summary>Column <paramref name="c"/> has been read into <see cref="Buffer"/>; a large group's goes to the temporary file.</summary>
    public void Keep(int c)
    {
        if (!Spilling)
        {
            return;
        }
        _spill ??= new FileStream(
            Path.Combine(Path.GetTempPath(), $".churn-parquet-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        _kept[c] = true;
        RandomAccess.Write(_spill.SafeFileHandle, MemoryMarshal.AsBytes(_column.AsSpan(0, _rows)), (long)c * _rows * sizeof(double));
        if (_rows >= CollectRows)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect();
        }
    }

    /// <summary>
    /// Rows <paramref name="start"/> .. + <paramref name="rows"/> (at most the chunk's size): per column an array and
    /// the index in it of row <paramref name="start"/>. Columns never read are null.
    /// </summary>
    public (double[]?[] Columns, int Offset) Rows(int start, int rows)
    {
        if (!Spilling)
        {
            return (_held, start);
        }
        var handle = _spill!.SafeFileHandle;
        for (var c = 0; c < columns; c++)
        {
            if (!_kept[c])
            {
                continue;
            }
            _chunk[c] ??= new double[chunkRows];
            Read(handle, _chunk[c].AsSpan(0, rows), ((long)c * _rows) + start);
        }
        return (_chunk, 0);
    }

    public void Dispose() => _spill?.Dispose();

    private static void Read(SafeFileHandle handle, Span<double> values, long index)
    {
        var bytes = MemoryMarshal.AsBytes(values);
        var offset = index * sizeof(double);
        while (bytes.Length > 0)
        {
            var read = RandomAccess.Read(handle, bytes, offset);
            if (read == 0)
            {
                throw new IOException("the temporary copy of a row group ended early");
            }
            bytes = bytes[read..];
            offset += read;
        }
    }
}
