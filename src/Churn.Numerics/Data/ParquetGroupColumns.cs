using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Churn.Numerics.Data;

/// <summary>
/// The columns of one Parquet row group, as doubles, from which the reader cuts its chunks. The library reads a column
/// of a row group whole, so a group is held column by column: a group of up to <see cref="HoldRows"/> rows in buffers
/// reused from group to group (about 100 MB at most); a larger one (a writer that put millions of rows in one group)
/// one column at a time, each written to a temporary file as soon as it is read, its chunks then read back from there.
/// Memory is so bounded whatever the group's size, apart from the one column being read. Mutable: it lives inside one
/// read and is disposed there.
/// </summary>
internal sealed class ParquetGroupColumns(int columns, int chunkRows, int holdRows = ParquetGroupColumns.HoldRows) : IDisposable
{
    /// <summary>
    /// Rows of a group held in memory: pyarrow's, pandas' and Spark's default groups of 1,048,576 rows (about 100 MB
    /// for the twelve columns).
    /// </summary>
    public const int HoldRows = 1 << 20;

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
