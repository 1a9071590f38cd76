using System.Buffers.Binary;
using System.Collections.Immutable;
using System.IO.Compression;
using System.Runtime.InteropServices;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Data;

/// <summary>numpy's <c>.npz</c> format: arrays <c>inputs</c> (float64, n x 10) and <c>targets</c> (int64, n).</summary>
public static class Npz
{
    /// <summary>The array names inside the archive (numpy stores array <c>x</c> as entry <c>x.npy</c>).</summary>
    public const string InputsArray = "inputs";

    /// <inheritdoc cref="InputsArray"/>
    public const string TargetsArray = "targets";

    private const int ChunkElements = 8192;

    // A fixed entry time makes the same data give the same bytes, so output hashes are reproducible.
    private static readonly DateTimeOffset EntryTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Writes <c>inputs</c> as '&lt;f8' (n, 10) and <c>targets</c> as '&lt;i8' (n,), both C order, stored uncompressed
    /// like <c>np.savez</c>. Writes atomically: a reader never sees a half-written file and an existing file survives
    /// a failure. Returns <paramref name="path"/>.
    /// </summary>
    public static Result<string> Write(string path, Dataset data)
    {
        if (data.Inputs.ColumnCount != Schema.FeatureCount)
        {
            return new Problem(
                $"inputs have {data.Inputs.ColumnCount} columns; the .npz layout holds {Schema.FeatureCount}", path, Column: InputsArray);
        }
        if (data.Targets.Length != data.Rows && !(data.Rows == 0 && data.Targets.IsDefaultOrEmpty))
        {
            return new Problem(
                $"{data.Rows} input rows but {(data.Targets.IsDefault ? 0 : data.Targets.Length)} targets; the .npz layout needs one target per row",
                path, Column: TargetsArray);
        }
        return AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            WriteInputs(zip, data.Inputs);
            WriteTargets(zip, data.Targets.IsDefault ? [] : data.Targets);
        });
    }

    /// <summary>
    /// Reads files written by <see cref="Write"/>, <c>np.savez</c> and <c>np.savez_compressed</c>: inputs '&lt;f8' or
    /// '&lt;f4' of shape (n, 10) and targets '&lt;i8', '&lt;i4' or '&lt;f8' of shape (n,) holding 0 or 1, in C or Fortran
    /// order. Problems name the file and the array. The result has no IDs. Before an array is allocated, the rows its
    /// header promises are checked against <paramref name="limits"/> and against the size the archive records for
    /// the entry, so a small compressed file cannot make the reader reserve gigabytes.
    /// </summary>
    public static Result<Dataset> Read(string path, DataLimits? limits = null, CancellationToken cancel = default)
    {
        limits ??= DataLimits.Default;
        if (Directory.Exists(path))
        {
            return new Problem("is a directory, not a .npz file", path);
        }
        if (!File.Exists(path))
        {
            return new Problem("file not found", path);
        }
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            ZipArchive zip;
            try
            {
                zip = new ZipArchive(file, ZipArchiveMode.Read);
            }
            catch (InvalidDataException)
            {
                return new Problem("not a .npz file: it is not a zip archive", path);
            }
            using (zip)
            {
                var inputsEntry = zip.GetEntry(InputsArray + ".npy");
                var targetsEntry = zip.GetEntry(TargetsArray + ".npy");
                if (inputsEntry is null || targetsEntry is null)
                {
                    var missing = inputsEntry is null ? InputsArray : TargetsArray;
                    var found = string.Join(", ", zip.Entries.Select(e => $"'{e.FullName}'"));
                    return new Problem(
                        $"the archive has no '{missing}' array (entry {missing}.npy); it holds {(found.Length == 0 ? "nothing" : found)}",
                        path, Column: missing);
                }
                foreach (var entry in new[] { inputsEntry, targetsEntry })
                {
                    if (entry.Length > limits.MaxBytes)
                    {
                        return new Problem($"array '{entry.Name[..^4]}' {limits.TooManyBytes(entry.Length)}", path, Column: entry.Name[..^4]);
                    }
                }
                return ReadInputs(inputsEntry, path, limits, cancel).Bind(inputs =>
                    ReadTargets(targetsEntry, path, inputs.RowCount, cancel).Map(targets => new Dataset([], inputs, targets)));
            }
        }
        catch (OperationCanceledException)
        {
            return new Problem("reading was cancelled", path);
        }
        catch (InvalidDataException e)
        {
            return new Problem($"the archive is damaged: {e.Message}", path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Problem.CannotRead(path, e);
        }
    }

    private static void WriteInputs(ZipArchive zip, Matrix<double> inputs)
    {
        var entry = zip.CreateEntry(InputsArray + ".npy", CompressionLevel.NoCompression);
        entry.LastWriteTime = EntryTime;
        using var stream = entry.Open();
        var rows = inputs.RowCount;
        var columns = inputs.ColumnCount;
        NpyFormat.WriteHeader(stream, "<f8", fortranOrder: false, [rows, columns]);
        var values = DatasetRows.ReadColumnMajor(inputs);
        var buffer = new byte[ChunkElements * sizeof(double)];
        var used = 0;
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(buffer.AsSpan(used), values[(c * rows) + r]);
                used += sizeof(double);
                if (used == buffer.Length)
                {
                    stream.Write(buffer, 0, used);
                    used = 0;
                }
            }
        }
        stream.Write(buffer, 0, used);
    }

    private static void WriteTargets(ZipArchive zip, ImmutableArray<int> targets)
    {
        var entry = zip.CreateEntry(TargetsArray + ".npy", CompressionLevel.NoCompression);
        entry.LastWriteTime = EntryTime;
        using var stream = entry.Open();
        NpyFormat.WriteHeader(stream, "<i8", fortranOrder: false, [targets.Length]);
        var buffer = new byte[ChunkElements * sizeof(long)];
        var used = 0;
        foreach (var target in targets)
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(used), target);
            used += sizeof(long);
            if (used == buffer.Length)
            {
                stream.Write(buffer, 0, used);
                used = 0;
            }
        }
        stream.Write(buffer, 0, used);
    }

    private static Result<Matrix<double>> ReadInputs(ZipArchiveEntry entry, string path, DataLimits limits, CancellationToken cancel)
    {
        using var stream = entry.Open();
        Problem Fail(string reason) => new($"array '{InputsArray}' {reason}", path, Column: InputsArray);
        return NpyFormat.ReadHeader(stream, Fail).Bind<Matrix<double>>(header =>
        {
            var size = header.Descr switch { "<f8" => 8, "<f4" => 4, _ => 0 };
            if (size == 0)
            {
                return Fail($"has dtype '{header.Descr}'; expected float64 ('<f8') or float32 ('<f4')");
            }
            if (header.Shape.Length != 2 || header.Shape[1] != Schema.FeatureCount)
            {
                return Fail($"has shape {ShapeText(header.Shape)}; expected (n, {Schema.FeatureCount})");
            }
            if (header.Shape[0] > limits.RowCap)
            {
                return Fail(limits.TooManyRows(header.Shape[0]));
            }
            if (header.Shape[0] * Schema.FeatureCount * size > entry.Length)
            {
                return Fail($"is truncated: the header promises {header.Shape[0] * Schema.FeatureCount} values, the archive entry holds {entry.Length} bytes");
            }
            var rows = (int)header.Shape[0];
            var values = new double[rows * Schema.FeatureCount];
            var buffer = new byte[ChunkElements * size];
            var element = 0;
            while (element < values.Length)
            {
                cancel.ThrowIfCancellationRequested();
                var count = Math.Min(ChunkElements, values.Length - element);
                if (!NpyFormat.TryReadExactly(stream, buffer.AsSpan(0, count * size)))
                {
                    return Fail($"is truncated: the header promises {values.Length} values");
                }
                for (var k = 0; k < count; k++, element++)
                {
                    var value = size == 8
                        ? BinaryPrimitives.ReadDoubleLittleEndian(buffer.AsSpan(k * 8))
                        : BinaryPrimitives.ReadSingleLittleEndian(buffer.AsSpan(k * 4));
                    // Fortran order is column-major like our storage; C order is row-major and gets transposed.
                    var (row, column) = header.FortranOrder
                        ? (element % rows, element / rows)
                        : (element / Schema.FeatureCount, element % Schema.FeatureCount);
                    if (!double.IsFinite(value) || Math.Abs(value) > CustomerCsv.MaxMagnitude)
                    {
                        return Fail($"holds {value} at row {row}, column {column} ({Schema.FeatureNames[column]}); inputs must be finite and at most {CustomerCsv.MaxMagnitude:0e0} in size");
                    }
                    values[(column * rows) + row] = value;
                }
            }
            return Result.Ok(Matrix<double>.Build.Dense(rows, Schema.FeatureCount, values));
        });
    }

    private static Result<ImmutableArray<int>> ReadTargets(ZipArchiveEntry entry, string path, int rows, CancellationToken cancel)
    {
        using var stream = entry.Open();
        Problem Fail(string reason) => new($"array '{TargetsArray}' {reason}", path, Column: TargetsArray);
        return NpyFormat.ReadHeader(stream, Fail).Bind<ImmutableArray<int>>(header =>
        {
            var size = header.Descr switch { "<i8" => 8, "<i4" => 4, "<f8" => 8, _ => 0 };
            if (size == 0)
            {
                return Fail($"has dtype '{header.Descr}'; expected int64 ('<i8'), int32 ('<i4') or float64 ('<f8')");
            }
            if (header.Shape.Length != 1 || header.Shape[0] != rows)
            {
                return Fail($"has shape {ShapeText(header.Shape)}; expected ({rows},) to match the {rows} input rows");
            }
            if ((long)rows * size > entry.Length)
            {
                return Fail($"is truncated: the header promises {rows} values, the archive entry holds {entry.Length} bytes");
            }
            var targets = new int[rows];
            var buffer = new byte[ChunkElements * size];
            var element = 0;
            while (element < rows)
            {
                cancel.ThrowIfCancellationRequested();
                var count = Math.Min(ChunkElements, rows - element);
                if (!NpyFormat.TryReadExactly(stream, buffer.AsSpan(0, count * size)))
                {
                    return Fail($"is truncated: the header promises {rows} values");
                }
                for (var k = 0; k < count; k++, element++)
                {
                    var span = buffer.AsSpan(k * size);
                    var value = header.Descr switch
                    {
                        "<i8" => BinaryPrimitives.ReadInt64LittleEndian(span),
                        "<i4" => BinaryPrimitives.ReadInt32LittleEndian(span),
                        _ => BinaryPrimitives.ReadDoubleLittleEndian(span),
                    };
                    if (value is not (0.0 or 1.0))
                    {
                        return Fail($"holds {value} at index {element}; targets must be 0 or 1");
                    }
                    targets[element] = (int)value;
                }
            }
            return Result.Ok(ImmutableCollectionsMarshal.AsImmutableArray(targets));
        });
    }

    private static string ShapeText(ImmutableArray<long> shape) =>
        shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
}
