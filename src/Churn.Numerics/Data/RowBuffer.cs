using System.Runtime.InteropServices;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Data;

/// <summary>
/// Rows collected while a file streams in, in fixed-size column-major chunks: growing never re-copies what was
/// already read, and the final matrix is assembled with one block copy per column and chunk. Mutable, but it
/// lives inside one load call and only the immutable <see cref="Dataset"/> it builds escapes.
/// </summary>
internal sealed class RowBuffer(int columns, bool hasTargets)
{
    private const int ChunkRows = 1 << 16;

    private readonly List<double[]> _features = [];
    private readonly List<long[]> _ids = [];
    private readonly List<int[]> _targets = [];
    private int _inChunk = ChunkRows;

    public int Count { get; private set; }

    public void Add(long id, ReadOnlySpan<double> features, int target)
    {
        if (_inChunk == ChunkRows)
        {
            _features.Add(new double[columns * ChunkRows]);
            _ids.Add(new long[ChunkRows]);
            if (hasTargets)
            {
                _targets.Add(new int[ChunkRows]);
            }
            _inChunk = 0;
        }
        var chunk = _features[^1];
        for (var c = 0; c < features.Length; c++)
        {
            chunk[(c * ChunkRows) + _inChunk] = features[c];
        }
        _ids[^1][_inChunk] = id;
        if (hasTargets)
        {
            _targets[^1][_inChunk] = target;
        }
        _inChunk++;
        Count++;
    }

    /// <summary>The ID of row <paramref name="row"/> (0-based, in file order).</summary>
    public long Id(int row) => _ids[row / ChunkRows][row % ChunkRows];

    public Dataset Build()
    {
        var n = Count;
        var values = new double[n * columns];
        var ids = new long[n];
        var targets = hasTargets ? new int[n] : [];
        for (var k = 0; k < _features.Count; k++)
        {
            var start = k * ChunkRows;
            var rows = Math.Min(ChunkRows, n - start);
            for (var c = 0; c < columns; c++)
            {
                _features[k].AsSpan(c * ChunkRows, rows).CopyTo(values.AsSpan((c * n) + start, rows));
            }
            _ids[k].AsSpan(0, rows).CopyTo(ids.AsSpan(start));
            if (hasTargets)
            {
                _targets[k].AsSpan(0, rows).CopyTo(targets.AsSpan(start));
            }
        }
        // The arrays were created here and are handed over whole, so wrapping them without a copy is safe.
        return new Dataset(
            ImmutableCollectionsMarshal.AsImmutableArray(ids),
            Matrix<double>.Build.Dense(n, columns, values),
            ImmutableCollectionsMarshal.AsImmutableArray(targets));
    }
}
