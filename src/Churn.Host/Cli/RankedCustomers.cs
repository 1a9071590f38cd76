using System.Runtime.InteropServices;

namespace Churn.Host.Cli;

/// <summary>
/// Scored customers put in rank order (highest probability first, ties in file order) with memory bounded by a run,
/// not by their number: an external merge sort. Customers are collected <see cref="RunRows"/> at a time, each run
/// sorted and written to a temporary file (deleted when disposed), and <see cref="InOrder"/> merges the runs, reading
/// each through a small buffer. A file of up to one run never touches the disk. Mutable: it lives inside one planning.
/// </summary>
public sealed class RankedCustomers(int runRows = RankedCustomers.RunRows) : IDisposable
{
    /// <summary>Customers sorted in memory at a time: 32 MB of them.</summary>
    public const int RunRows = 1 << 20;

    // Customers read from each run at a time while merging: 32 KB a run, 32 KB per million customers.
    private const int MergeBuffer = 1 << 10;

    private static readonly Comparison<Customer> ByRank = (a, b) =>
    {
        var byScore = b.Probability.CompareTo(a.Probability);
        return byScore != 0 ? byScore : a.Row.CompareTo(b.Row);
    };

    private readonly Customer[] _run = new Customer[runRows];
    private readonly List<(long Start, int Count)> _runs = [];
    private FileStream? _spill;
    private int _used;

    /// <summary>A scored customer: its row in the file (0-based), ID, probability and outcome (0 when the file has none).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public readonly record struct Customer(double Probability, long Row, long Id, int Target);

    /// <summary>Customers added.</summary>
    public long Count { get; private set; }

    /// <summary>Adds the next customer of the file.</summary>
    public void Add(long id, double probability, int target)
    {
        if (_used == _run.Length)
        {
            Spill();
        }
        _run[_used++] = new Customer(probability, Count++, id, target);
    }

    /// <summary>Every customer added, in rank order (again at each call).</summary>
    public IEnumerable<Customer> InOrder()
    {
        if (_runs.Count == 0)
        {
            Array.Sort(_run, 0, _used, Comparer<Customer>.Create(ByRank));
            for (var i = 0; i < _used; i++)
            {
                yield return _run[i];
            }
            yield break;
        }
        if (_used > 0)
        {
            Spill();
        }
        var handle = _spill!.SafeFileHandle;
        var buffers = _runs.Select(_ => new Customer[MergeBuffer]).ToArray();
        var next = new long[_runs.Count];
        var (filled, at) = (new int[_runs.Count], new int[_runs.Count]);
        var queue = new PriorityQueue<int, Customer>(Comparer<Customer>.Create(ByRank));
        bool Refill(int r)
        {
            var (start, count) = _runs[r];
            var n = (int)Math.Min(MergeBuffer, count - next[r]);
            if (n <= 0)
            {
                return false;
            }
            ReadExactly(handle, MemoryMarshal.AsBytes(buffers[r].AsSpan(0, n)), (start + next[r]) * System.Runtime.CompilerServices.Unsafe.SizeOf<Customer>());
            (next[r], filled[r], at[r]) = (next[r] + n, n, 0);
            return true;
        }
        for (var r = 0; r < _runs.Count; r++)
        {
            if (Refill(r))
            {
                queue.Enqueue(r, buffers[r][0]);
            }
        }
        while (queue.TryDequeue(out var r, out var customer))
        {
            yield return customer;
            if (++at[r] < filled[r] || Refill(r))
            {
                queue.Enqueue(r, buffers[r][at[r]]);
            }
        }
    }

    public void Dispose() => _spill?.Dispose();

    private void Spill()
    {
        Array.Sort(_run, 0, _used, Comparer<Customer>.Create(ByRank));
        _spill ??= new FileStream(
            Path.Combine(Path.GetTempPath(), $".churn-ranks-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        var start = _runs.Count == 0 ? 0 : _runs[^1].Start + _runs[^1].Count;
        RandomAccess.Write(_spill.SafeFileHandle, MemoryMarshal.AsBytes(_run.AsSpan(0, _used)), start * System.Runtime.CompilerServices.Unsafe.SizeOf<Customer>());
        _runs.Add((start, _used));
        _used = 0;
    }

    private static void ReadExactly(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Span<byte> bytes, long offset)
    {
        while (bytes.Length > 0)
        {
            var read = RandomAccess.Read(handle, bytes, offset);
            if (read == 0)
            {
                throw new IOException("the temporary file of ranked customers ended early");
            }
            bytes = bytes[read..];
            offset += read;
        }
    }
}
