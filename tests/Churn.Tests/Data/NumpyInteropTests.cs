using System.Text.Json;
using Churn.Numerics.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Data;

/// <summary>Our .npz files through numpy, and numpy's files through our reader.</summary>
public class NumpyInteropTests
{
    private const string Describe = """
        import sys, json, zipfile, numpy as np
        path = sys.argv[1]
        d = np.load(path, allow_pickle=False)
        x, y = d['inputs'], d['targets']
        with zipfile.ZipFile(path) as z:
            f = z.open('inputs.npy')
            version = np.lib.format.read_magic(f)
            shape, fortran, dtype = np.lib.format._read_array_header(f, version)
            offset = f.tell()
        print(json.dumps({'files': sorted(d.files), 'x_dtype': x.dtype.str, 'y_dtype': y.dtype.str,
                          'x_shape': list(x.shape), 'y_shape': list(y.shape), 'fortran': fortran,
                          'version': list(version), 'data_offset': offset,
                          'x': x.ravel(order='C').tolist(), 'y': y.tolist(), 'x_mean': x.mean(axis=0).tolist() if len(x) else []}))
        """;

    private const string Make = """
        import sys, json, numpy as np
        kind, path = sys.argv[1], sys.argv[2]
        rng = np.random.default_rng(7)
        x = rng.normal(size=(23, 10)) * 100
        y = rng.integers(0, 2, size=23)
        if kind == 'savez': np.savez(path, inputs=x, targets=y)
        elif kind == 'savez_compressed': np.savez_compressed(path, inputs=x, targets=y)
        elif kind == 'fortran': np.savez(path, inputs=np.asfortranarray(x), targets=y)
        elif kind == 'fortran_compressed': np.savez_compressed(path, inputs=np.asfortranarray(x), targets=y)
        elif kind == 'float32':
            x = x.astype(np.float32); np.savez(path, inputs=x, targets=y.astype(np.int32))
        elif kind == 'float_targets': np.savez_compressed(path, inputs=x, targets=y.astype(np.float64))
        elif kind == 'missing_targets': np.savez(path, inputs=x)
        elif kind == 'positional': np.savez(path, x, y)
        elif kind == 'nine_columns': np.savez(path, inputs=x[:, :9], targets=y)
        elif kind == 'column_targets': np.savez(path, inputs=x, targets=y.reshape(-1, 1))
        elif kind == 'short_targets': np.savez(path, inputs=x, targets=y[:-1])
        elif kind == 'int_inputs': np.savez(path, inputs=x.astype(np.int64), targets=y)
        elif kind == 'big_endian': np.savez(path, inputs=x.astype('>f8'), targets=y)
        elif kind == 'byte_targets': np.savez(path, inputs=x, targets=y.astype(np.int8))
        elif kind == 'two_in_targets': y[3] = 2; np.savez(path, inputs=x, targets=y)
        elif kind == 'nan_inputs': x[4, 6] = np.nan; np.savez(path, inputs=x, targets=y)
        else: raise SystemExit('unknown kind ' + kind)
        print(json.dumps({'x': [v if v == v else None for v in x.astype(np.float64).ravel(order='C').tolist()], 'y': y.tolist()}))
        """;

    [Fact]
    public void Numpy_loads_our_files_with_the_right_shapes_dtypes_and_values()
    {
        var data = Tricky();
        var path = Path.Combine(TestFiles.NewDirectory(), "ours.npz");
        Npz.Write(path, data).Unwrap();
        var seen = Numpy.Run(Describe, path);
        Assert.Equal(["inputs", "targets"], Strings(seen.GetProperty("files")));
        Assert.Equal("<f8", seen.GetProperty("x_dtype").GetString());
        Assert.Equal("<i8", seen.GetProperty("y_dtype").GetString());
        Assert.Equal([data.Rows, 10], Ints(seen.GetProperty("x_shape")));
        Assert.Equal([data.Rows], Ints(seen.GetProperty("y_shape")));
        Assert.False(seen.GetProperty("fortran").GetBoolean());
        Assert.Equal([1, 0], Ints(seen.GetProperty("version")));
        Assert.Equal(0, seen.GetProperty("data_offset").GetInt32() % 64);
        Assert.Equal(RowMajor(data.Inputs).Select(Bits), Doubles(seen.GetProperty("x")).Select(Bits));
        Assert.Equal(data.Targets, Ints(seen.GetProperty("y")));
    }

    [Fact]
    public void Numpy_loads_the_prepared_bundled_splits()
    {
        var loaded = CustomerCsv.Load(TestFiles.BundledCsv).Unwrap();
        var prepared = Preparation.Prepare(loaded, PrepareOptions.Default with { Balance = BalanceStrategy.First }).Unwrap();
        var directory = TestFiles.NewDirectory();
        var manifest = SplitFiles.Write(directory, Preparation.DefaultPrefix, prepared).Unwrap();
        int[] expected = [3_579, 447, 448];
        for (var i = 0; i < 3; i++)
        {
            var seen = Numpy.Run(Describe, Path.Combine(directory, manifest.Files[i]));
            Assert.Equal([expected[i], 10], Ints(seen.GetProperty("x_shape")));
            Assert.Equal([expected[i]], Ints(seen.GetProperty("y_shape")));
            if (i == 0)
            {
                // The scaler was fitted on all 4,474 balanced rows, so the training share is only near 0.
                Assert.All(Doubles(seen.GetProperty("x_mean")), m => Assert.InRange(m, -0.1, 0.1));
            }
        }
    }

    [Theory]
    [InlineData("savez")]
    [InlineData("savez_compressed")]
    [InlineData("fortran")]
    [InlineData("fortran_compressed")]
    [InlineData("float32")]
    [InlineData("float_targets")]
    public void Our_reader_reads_numpy_files(string kind)
    {
        var path = Path.Combine(TestFiles.NewDirectory(), kind + ".npz");
        var written = Numpy.Run(Make, kind, path);
        var data = Npz.Read(path).Unwrap();
        Assert.Equal(23, data.Rows);
        Assert.Empty(data.Ids);
        Assert.Equal(Doubles(written.GetProperty("x")).Select(Bits), RowMajor(data.Inputs).Select(Bits));
        Assert.Equal(Ints(written.GetProperty("y")), data.Targets);
    }

    [Theory]
    [InlineData("missing_targets", "targets", "no 'targets' array")]
    [InlineData("positional", "inputs", "'arr_0.npy', 'arr_1.npy'")]
    [InlineData("nine_columns", "inputs", "shape (23, 9); expected (n, 10)")]
    [InlineData("column_targets", "targets", "shape (23, 1); expected (23,)")]
    [InlineData("short_targets", "targets", "shape (22,); expected (23,)")]
    [InlineData("int_inputs", "inputs", "dtype '<i8'")]
    [InlineData("big_endian", "inputs", "dtype '>f8'")]
    [InlineData("byte_targets", "targets", "dtype '|i1'")]
    [InlineData("two_in_targets", "targets", "holds 2 at index 3")]
    [InlineData("nan_inputs", "inputs", "row 4, column 6 (completion)")]
    public void Our_reader_rejects_unsuitable_numpy_files_naming_file_and_array(string kind, string array, string reason)
    {
        var path = Path.Combine(TestFiles.NewDirectory(), kind + ".npz");
        Numpy.Run(Make, kind, path);
        var problem = Rows.ProblemOf(Npz.Read(path));
        Assert.Equal((path, array), (problem.File, problem.Column));
        Assert.Contains(reason, problem.Reason, StringComparison.Ordinal);
    }

    /// <summary>Values whose decimal forms are long or extreme, so any lossy step would show.</summary>
    private static Dataset Tricky()
    {
        double[] special = [0.1, 1.0 / 3, -2.5e-300, 1e300, double.Epsilon, -0.0, 123456789.123456789, Math.PI];
        var inputs = Matrix<double>.Build.Dense(17, Schema.FeatureCount, (i, j) => special[(i + j) % special.Length] * (i + 1));
        return new Dataset([], inputs, [.. Enumerable.Range(0, 17).Select(i => i % 3 == 0 ? 1 : 0)]);
    }

    private static IEnumerable<double> RowMajor(Matrix<double> m) =>
        Enumerable.Range(0, m.RowCount).SelectMany(i => m.Row(i).ToArray());

    private static long Bits(double value) => BitConverter.DoubleToInt64Bits(value);

    private static IEnumerable<double> Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble());

    private static IEnumerable<int> Ints(JsonElement array) => array.EnumerateArray().Select(e => (int)e.GetDouble());

    private static IEnumerable<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!);
}
