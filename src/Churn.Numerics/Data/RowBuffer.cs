using System.Runtime.InteropServices;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Data;

/// <summary>
/// Rows collected while a file streams in, in column-major chunks. The first chunk has the size the pre-pass
/// estimated, so for a well-formed file it is the final storage and is handed over without a copy; if the estimate
/// is short, further fixed-size chunks are added (growing never re-copies what was read) and the matrix is assembled
/// with one block copy per column and chunk. Mutable, but it lives inside one load call and only the immutable
/// <see cref="Dataset"/> it builds escapes.
/// </summary>
internal sealed class RowBuffer(int columns, bool hasTargets, int expectedRows)
{
    private const int ChunkRows = 1 << 16;

    private readonly List<Chunk> _chunks = [];

    public int Count { get; private set; }

    public void Add(long id, ReadOnlySpan<double> features, int target)
    {
        if (_chunks.Count == 0 || _chunks[^1].Used == _chunks[^1].Capacity)
        {
            _chunks.Add(new Chunk(_chunks.Count == 0 && expectedRows > 0 ? expectedRows : ChunkRows, columns, hasTargets));
        }
        var chunk = _chunks[^1];
        var row = chunk.Used;
        for (var c = 0; c < features.Length; c++)
        {
            chunk.Features[(c * chunk.Capacity) + row] = features[c];
        }
        chunk.Ids[row] = id;
        if (hasTargets)
        {
            chunk.Targets[row] = target;
        }
        chunk.Used++;
        Count++;
    }

    /// <summary>The ID of row <paramref name="row"/> (0-based, in file order).</summary>
    public long Id(int row)
    {
        foreach (var chunk in _chunks)
        {
            if (row < chunk.Used)
            {
                return chunk.Ids[row];
            }
            row -= chunk.Used;
        }
        throw new ArgumentOutOfRangeException(nameof(row));
    }

    public Dataset Build()
    {
        if (_chunks.Count == 1 && _chunks[0].Used == _chunks[0].Capacity)
        {
            // The arrays were created here and are handed over whole, so wrapping them without a copy is safe.
            var only = _chunks[0];
            _chunks.Clear();
            return Wrap(only.Used, only.Features, only.Ids, hasTargets ? only.Targets : []);
        }
        var n = Count;
        var values = new double[n * columns];
        var ids = new long[n];
        var targets = hasTargets ? new int[n] : [];
        var start = 0;
        foreach (var chunk in _chunks)
        {
            for (var c = 0; c < columns; c++)
            {
                chunk.Features.AsSpan(c * chunk.Capacity, chunk.Used).CopyTo(values.AsSpan((c * n) + start));
            }
            chunk.Ids.AsSpan(0, chunk.Used).CopyTo(ids.AsSpan(start));
            if (hasTargets)
            {
                chunk.Targets.AsSpan(0, chunk.Used).CopyTo(targets.AsSpan(start));
            }
            start += chunk.Used;
        }
        _chunks.Clear();
        return Wrap(n, values, ids, targets);
    }

    private Dataset Wrap(int rows, double[] values, long[] ids, int[] targets) =>
        new(
            ImmutableCollectionsMarshal.AsImmutableArray(ids),
            Matrix<double>.Build.Dense(rows, columns, values),
            ImmutableCollectionsMarshal.AsImmutableArray(targets));

    private sealed class Chunk(int capacity, int columns, bool hasTargets)
    {
        public int Capacity { get; } = capacity;

        public int Used { get; set; }

        public double[] Features { get; } = new double[capacity * columns];

        public long[] Ids { get; } = new long[capacity];

        public int[] Targets { get; } = hasTargets ? new int[capacity] : [];
    }
}
