using System.Buffers;
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
        string path, DataLimits limits, bool standardized, int chunkRows, Action<Dataset> emit, CancellationToken cancel = default) =>
        Stream(path, limits, standardized, chunkRows, emit, ParquetGroupColumns.HoldRows, cancel);

    /// <summary><see cref="Stream(string, DataLimits, bool, int, Action{Dataset}, CancellationToken)"/>, holding row groups of at most <paramref name="holdRows"/> rows in memory.</summary>
    internal static Result<LoadedData> Stream(
        string path, DataLimits limits, bool standardized, int chunkRows, Action<Dataset> emit, int holdRows, CancellationToken cancel)
    {
        if (Directory.Exists(path))
        {
            return new Problem("is a directory, not a customer file", path);
        }
        var opened = Problem.OpenRead(path, FileOptions.RandomAccess);
        if (opened is Result<FileStream>.Error { Problem: var cannotOpen })
        {
            return cannotOpen;
        }
        var file = opened.Unwrap();
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
                var read = Read(file, path, standardized, chunkRows, holdRows, emit, cancel);
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

    private static Problem? Read(FileStream file, string path, bool standardized, int chunkRows, int holdRows, Action<Dataset> emit, CancellationToken cancel)
    {
        var reader = ParquetReader.CreateAsync(file, leaveStreamOpen: true, cancellationToken: cancel).GetAwaiter().GetResult();
        try
        {
            return Read(reader, path, standardized, chunkRows, holdRows, emit, cancel);
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static Problem? Read(ParquetReader reader, string path, bool standardized, int chunkRows, int holdRows, Action<Dataset> emit, CancellationToken cancel)
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
        using var group = new ParquetGroupColumns(columns.Length, chunkRows, holdRows);
        var chunks = new CustomerChunks(hasTarget, chunkRows, emit);
        Span<double> features = stackalloc double[Schema.FeatureCount];
        var rowsBefore = 0L;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            int n;
            using (var source = reader.OpenRowGroupReader(g))
            {
                n = checked((int)source.RowCount);
                group.Start(n);
                for (var c = 0; c < columns.Length; c++)
                {
                    if (columns[c] is not { } field)
                    {
                        continue;
                    }
                    var nullAt = Column(source, field, group.Buffer(c), n, cancel);
                    if (nullAt >= 0)
                    {
                        return new Problem("expected a number, got an empty field (null)", path, rowsBefore + nullAt + 1, field.Name);
                    }
                    group.Keep(c);
                }
            }
            for (var start = 0; start < n; start += chunkRows)
            {
                cancel.ThrowIfCancellationRequested();
                var rows = Math.Min(chunkRows, n - start);
                var (values, at) = group.Rows(start, rows);
                for (var r = 0; r < rows; r++)
                {
                    var row = at + r;
                    Problem Bad(int c, string reason) => new(reason, path, rowsBefore + start + r + 1, CustomerFields.ColumnName(c));
                    if (CustomerFields.IdProblem(values[0]![row], [], out var id) is { } idProblem)
                    {
                        return Bad(0, idProblem);
                    }
                    for (var c = 1; c <= Schema.FeatureCount; c++)
                    {
                        features[c - 1] = values[c]![row];
                        if (CustomerFields.FeatureProblem(c, features[c - 1], standardized, []) is { } problem)
                        {
                            return Bad(c, problem);
                        }
                    }
                    var target = hasTarget ? values[^1]![row] : 0;
                    if (hasTarget && CustomerFields.TargetProblem(target, []) is { } targetProblem)
                    {
                        return Bad(CustomerCsv.FieldsWithTarget - 1, targetProblem);
                    }
                    chunks.Add(id, features, (int)target);
                }
            }
            rowsBefore += n;
        }
        if (rowsBefore == 0)
        {
            return new Problem("the file has no rows", path);
        }
        chunks.Finish();
        return null;
    }

    private static bool IsNumeric(Type type) =>
        type == typeof(double) || type == typeof(float) || type == typeof(long) || type == typeof(int) || type == typeof(short)
        || type == typeof(sbyte) || type == typeof(byte) || type == typeof(ushort) || type == typeof(uint) || type == typeof(ulong)
        || type == typeof(decimal);

    /// <summary>The first <paramref name="rows"/> values of <paramref name="values"/>: a column of a row group as doubles; the first row holding a null (-1: none).</summary>
    private static int Column(ParquetRowGroupReader group, DataField field, double[] values, int rows, CancellationToken cancel)
    {
        var type = field.ClrType;
        return type == typeof(double) ? Read<double>(group, field, values, rows, cancel)
            : type == typeof(float) ? Read<float>(group, field, values, rows, cancel)
            : type == typeof(long) ? Read<long>(group, field, values, rows, cancel)
            : type == typeof(int) ? Read<int>(group, field, values, rows, cancel)
            : type == typeof(short) ? Read<short>(group, field, values, rows, cancel)
            : type == typeof(sbyte) ? Read<sbyte>(group, field, values, rows, cancel)
            : type == typeof(byte) ? Read<byte>(group, field, values, rows, cancel)
            : type == typeof(ushort) ? Read<ushort>(group, field, values, rows, cancel)
            : type == typeof(uint) ? Read<uint>(group, field, values, rows, cancel)
            : type == typeof(ulong) ? Read<ulong>(group, field, values, rows, cancel)
            : Read<decimal>(group, field, values, rows, cancel);
    }

    private static int Read<T>(ParquetRowGroupReader group, DataField field, double[] values, int rows, CancellationToken cancel)
        where T : struct, INumberBase<T>
    {
        if (typeof(T) == typeof(double) && !field.IsNullable)
        {
            // The usual case: read straight into the buffer the chunks are cut from.
            Wait(group.ReadAsync(field, values.AsMemory(0, rows), null, cancel));
            return -1;
        }
        if (field.IsNullable)
        {
            var read = ArrayPool<T?>.Shared.Rent(rows);
            try
            {
                Wait(group.ReadAsync(field, read.AsMemory(0, rows), null, cancel));
                for (var i = 0; i < rows; i++)
                {
                    if (read[i] is not { } v)
                    {
                        return i;
                    }
                    values[i] = double.CreateTruncating(v);
                }
                return -1;
            }
            finally
            {
                ArrayPool<T?>.Shared.Return(read);
            }
        }
        var plain = ArrayPool<T>.Shared.Rent(rows);
        try
        {
            Wait(group.ReadAsync(field, plain.AsMemory(0, rows), null, cancel));
            for (var i = 0; i < rows; i++)
            {
                values[i] = double.CreateTruncating(plain[i]);
            }
            return -1;
        }
        finally
        {
            ArrayPool<T>.Shared.Return(plain);
        }
    }

    // The library's reads are asynchronous; this reader runs on a thread of its own, so it waits for each.
    private static void Wait(Task task) => task.GetAwaiter().GetResult();

    private static void Wait(ValueTask task) => task.AsTask().GetAwaiter().GetResult();
}
