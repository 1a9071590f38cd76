using System.Numerics;
using System.Security.Cryptography;
using Parquet;
using Parquet.Schema;

namespace Churn.Numerics.Data;

/// <summary>
/// Reads customers from a Parquet file: columns named as the CSV's header names them (<c>customer_id</c>, the ten
/// behaviours, an optional <c>target</c>), of any numeric type. Values are checked by <see cref="CustomerFields"/>, as
/// the CSV's are; a problem names the file, the row (1-based, as <see cref="Problem.Line"/>), the column and the reason.
/// </summary>
public static class CustomerParquet
{
    /// <summary>
    /// Streams the customers of <paramref name="path"/> to <paramref name="emit"/>, <paramref name="chunkRows"/> at a
    /// time, reading one row group at a time (memory grows with a row group, not with the file). The result carries the
    /// file's SHA-256 and no data; as with <see cref="CustomerCsv.Stream"/> a problem can come after chunks were handed on.
    /// </summary>
    public static Result<LoadedData> Stream(
        string path, DataLimits limits, bool standardized, int chunkRows, Action<Dataset> emit, CancellationToken cancel = default)
    {
        if (Directory.Exists(path))
        {
            return new Problem("is a directory, not a customer file", path);
        }
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return Problem.CannotRead(path, e);
        }
        using (file)
        {
            if (file.Length > limits.MaxBytes)
            {
                return new Problem(limits.TooManyBytes(file.Length), path);
            }
            // Parquet is read by seeking to its footer and column chunks, so the hash is a sequential pass of its own,
            // run beside the parsing.
            var sha = Task.Run(() => Sha256(path, cancel), cancel);
            try
            {
                var read = Read(file, path, standardized, chunkRows, emit, cancel);
                var digest = sha.GetAwaiter().GetResult();
                return read is { } problem ? problem : Result.Ok(new LoadedData(path, digest, Empty()));
            }
            catch (OperationCanceledException)
            {
                return new Problem("reading was cancelled", path);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or ArgumentException or InvalidOperationException)
            {
                return new Problem($"cannot read it as Parquet: {e.Message}", path);
            }
        }
    }

    private static Dataset Empty() =>
        new([], MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(0, Schema.FeatureCount), []);

    private static string Sha256(string path, CancellationToken cancel)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            cancel.ThrowIfCancellationRequested();
            hash.AppendData(buffer.AsSpan(0, read));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static Problem? Read(FileStream file, string path, bool standardized, int chunkRows, Action<Dataset> emit, CancellationToken cancel)
    {
        var reader = ParquetReader.CreateAsync(file, leaveStreamOpen: true, cancellationToken: cancel).GetAwaiter().GetResult();
        try
        {
            return Read(reader, path, standardized, chunkRows, emit, cancel);
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static Problem? Read(ParquetReader reader, string path, bool standardized, int chunkRows, Action<Dataset> emit, CancellationToken cancel)
    {
        var fields = reader.Schema.GetDataFields();
        var columns = new DataField?[CustomerCsv.FieldsWithTarget];
        for (var c = 0; c < columns.Length; c++)
        {
            var name = CustomerFields.ColumnName(c);
            columns[c] = fields.FirstOrDefault(f => f.Name == name);
            if (columns[c] is null && c < CustomerCsv.FieldsWithTarget - 1)
            {
                return new Problem(
                    $"has no column '{name}': a customer file has {Schema.IdColumn}, the {Schema.FeatureCount} behaviours and optionally {Schema.TargetColumn} (it has {string.Join(", ", fields.Select(f => f.Name))})",
                    path, Column: name);
            }
            if (columns[c] is { } field && (field.IsArray || !IsNumeric(field.ClrType)))
            {
                return new Problem($"holds {field.ClrType.Name} values; a number is expected", path, Column: name);
            }
        }
        var hasTarget = columns[^1] is not null;
        var rowsBefore = 0L;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var n = checked((int)group.RowCount);
            var values = new double[columns.Length][];
            for (var c = 0; c < columns.Length; c++)
            {
                if (columns[c] is not { } field)
                {
                    continue;
                }
                var (read, nullAt) = Column(group, field, n, cancel);
                if (nullAt >= 0)
                {
                    return new Problem("expected a number, got an empty field (null)", path, rowsBefore + nullAt + 1, field.Name);
                }
                values[c] = read;
            }
            for (var start = 0; start < n; start += chunkRows)
            {
                cancel.ThrowIfCancellationRequested();
                var rows = Math.Min(chunkRows, n - start);
                var chunk = Chunk(values, start, rows, hasTarget, standardized, path, rowsBefore);
                if (chunk is Result<Dataset>.Error error)
                {
                    return error.Problem;
                }
                emit(chunk.Unwrap());
            }
            rowsBefore += n;
        }
        return rowsBefore == 0 ? new Problem("the file has no rows", path) : null;
    }

    private static Result<Dataset> Chunk(double[][] values, int start, int rows, bool hasTarget, bool standardized, string path, long rowsBefore)
    {
        var ids = new long[rows];
        var inputs = new double[rows * Schema.FeatureCount];
        var targets = hasTarget ? new int[rows] : [];
        for (var r = 0; r < rows; r++)
        {
            var row = start + r;
            Problem Bad(int c, string reason) => new(reason, path, rowsBefore + row + 1, CustomerFields.ColumnName(c));
            if (CustomerFields.IdProblem(values[0][row], [], out ids[r]) is { } idProblem)
            {
                return Bad(0, idProblem);
            }
            for (var c = 1; c <= Schema.FeatureCount; c++)
            {
                var value = values[c][row];
                if (CustomerFields.FeatureProblem(c, value, standardized, []) is { } problem)
                {
                    return Bad(c, problem);
                }
                inputs[((c - 1) * rows) + r] = value;
            }
            if (hasTarget)
            {
                var target = values[^1][row];
                if (CustomerFields.TargetProblem(target, []) is { } problem)
                {
                    return Bad(CustomerCsv.FieldsWithTarget - 1, problem);
                }
                targets[r] = (int)target;
            }
        }
        return Result.Ok(new Dataset(
            System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(ids),
            MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(rows, Schema.FeatureCount, inputs),
            System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(targets)));
    }

    private static bool IsNumeric(Type type) =>
        type == typeof(double) || type == typeof(float) || type == typeof(long) || type == typeof(int) || type == typeof(short)
        || type == typeof(sbyte) || type == typeof(byte) || type == typeof(ushort) || type == typeof(uint) || type == typeof(ulong)
        || type == typeof(decimal);

    /// <summary>A column of a row group as doubles, and the first row holding a null (-1: none).</summary>
    private static (double[] Values, int NullAt) Column(ParquetRowGroupReader group, DataField field, int rows, CancellationToken cancel)
    {
        var type = field.ClrType;
        return type == typeof(double) ? Read<double>(group, field, rows, cancel)
            : type == typeof(float) ? Read<float>(group, field, rows, cancel)
            : type == typeof(long) ? Read<long>(group, field, rows, cancel)
            : type == typeof(int) ? Read<int>(group, field, rows, cancel)
            : type == typeof(short) ? Read<short>(group, field, rows, cancel)
            : type == typeof(sbyte) ? Read<sbyte>(group, field, rows, cancel)
            : type == typeof(byte) ? Read<byte>(group, field, rows, cancel)
            : type == typeof(ushort) ? Read<ushort>(group, field, rows, cancel)
            : type == typeof(uint) ? Read<uint>(group, field, rows, cancel)
            : type == typeof(ulong) ? Read<ulong>(group, field, rows, cancel)
            : Read<decimal>(group, field, rows, cancel);
    }

    private static (double[] Values, int NullAt) Read<T>(ParquetRowGroupReader group, DataField field, int rows, CancellationToken cancel)
        where T : struct, INumberBase<T>
    {
        if (typeof(T) == typeof(double) && !field.IsNullable)
        {
            // The usual case: read straight into the array the chunks are cut from.
            var doubles = new double[rows];
            Wait(group.ReadAsync(field, doubles.AsMemory(), null, cancel));
            return (doubles, -1);
        }
        var values = new double[rows];
        if (field.IsNullable)
        {
            var read = new T?[rows];
            Wait(group.ReadAsync(field, read.AsMemory(), null, cancel));
            for (var i = 0; i < rows; i++)
            {
                if (read[i] is not { } v)
                {
                    return (values, i);
                }
                values[i] = double.CreateTruncating(v);
            }
            return (values, -1);
        }
        var plain = new T[rows];
        Wait(group.ReadAsync(field, plain.AsMemory(), null, cancel));
        for (var i = 0; i < rows; i++)
        {
            values[i] = double.CreateTruncating(plain[i]);
        }
        return (values, -1);
    }

    // The library's reads are asynchronous; this reader runs on a thread of its own, so it waits for each.
    private static void Wait(Task task) => task.GetAwaiter().GetResult();

    private static void Wait(ValueTask task) => task.AsTask().GetAwaiter().GetResult();
}
