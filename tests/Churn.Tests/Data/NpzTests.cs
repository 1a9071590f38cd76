using System.IO.Compression;
using Churn.Numerics.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Data;

public class NpzTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(9_000)]
    public void Npz_round_trip_gives_the_same_inputs_and_targets_without_ids(int rows)
    {
        var data = Rows.Mixed(rows / 3, rows - (rows / 3));
        var path = Path.Combine(TestFiles.NewDirectory(), "data.npz");
        Assert.Equal(path, Npz.Write(path, data).Unwrap());
        var back = Npz.Read(path).Unwrap();
        Assert.Empty(back.Ids);
        Assert.Equal(data.Inputs.ToColumnMajorArray(), back.Inputs.ToColumnMajorArray());
        Assert.Equal((data.Rows, Schema.FeatureCount), (back.Inputs.RowCount, back.Inputs.ColumnCount));
        Assert.Equal(data.Targets, back.Targets);
    }

    [Fact]
    public void Npz_writes_the_same_bytes_for_the_same_data()
    {
        var data = Rows.Mixed(4, 6);
        var directory = TestFiles.NewDirectory();
        Npz.Write(Path.Combine(directory, "a.npz"), data).Unwrap();
        Npz.Write(Path.Combine(directory, "b.npz"), data).Unwrap();
        Assert.Equal(File.ReadAllBytes(Path.Combine(directory, "a.npz")), File.ReadAllBytes(Path.Combine(directory, "b.npz")));
    }

    [Fact]
    public void Npz_write_replaces_an_existing_file_and_leaves_no_temporary_files()
    {
        var directory = TestFiles.NewDirectory();
        var path = Path.Combine(directory, "data.npz");
        Npz.Write(path, Rows.Mixed(2, 2)).Unwrap();
        Npz.Write(path, Rows.Mixed(5, 5)).Unwrap();
        Assert.Equal(10, Npz.Read(path).Unwrap().Rows);
        Assert.Equal(["data.npz"], Directory.GetFiles(directory).Select(Path.GetFileName));
    }

    [Fact]
    public void Npz_failed_write_keeps_the_existing_file()
    {
        var directory = TestFiles.NewDirectory();
        var path = Path.Combine(directory, "data.npz");
        Npz.Write(path, Rows.Mixed(2, 2)).Unwrap();
        var before = File.ReadAllBytes(path);

        var wrongWidth = new Dataset([], Matrix<double>.Build.Dense(3, 4), [0, 1, 0]);
        var tooFewTargets = Rows.Mixed(2, 2) with { Targets = [1, 0] };
        Assert.Equal("inputs", Rows.ProblemOf(Npz.Write(path, wrongWidth)).Column);
        Assert.Equal("targets", Rows.ProblemOf(Npz.Write(path, tooFewTargets)).Column);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["data.npz"], Directory.GetFiles(directory).Select(Path.GetFileName));
    }

    [Fact]
    public void Npz_write_into_a_missing_directory_is_a_problem()
    {
        var path = Path.Combine(TestFiles.NewDirectory(), "missing", "data.npz");
        var problem = Rows.ProblemOf(Npz.Write(path, Rows.Mixed(1, 1)));
        Assert.Equal(path, problem.File);
        Assert.Contains("does not exist", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Npz_read_rejects_a_file_that_is_not_a_zip()
    {
        var problem = Rows.ProblemOf(Npz.Read(TestFiles.BundledCsv));
        Assert.Equal(TestFiles.BundledCsv, problem.File);
        Assert.Contains("not a zip archive", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Npz_read_rejects_a_missing_file()
    {
        var path = Path.Combine(TestFiles.NewDirectory(), "none.npz");
        Assert.Equal("file not found", Rows.ProblemOf(Npz.Read(path)).Reason);
    }

    [Fact]
    public void Npz_read_rejects_a_truncated_array()
    {
        var path = Path.Combine(TestFiles.NewDirectory(), "cut.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var (name, header, bytes) in new[] { ("inputs", "'<f8'", "(3, 10)"), ("targets", "'<i8'", "(3,)") })
            {
                using var stream = zip.CreateEntry(name + ".npy").Open();
                var dict = $"{{'descr': {header}, 'fortran_order': False, 'shape': {bytes}, }}".PadRight(117) + "\n";
                stream.Write([0x93, .. "NUMPY"u8, 1, 0, (byte)dict.Length, 0]);
                stream.Write(System.Text.Encoding.ASCII.GetBytes(dict));
                stream.Write(new byte[16]);
            }
        }
        var problem = Rows.ProblemOf(Npz.Read(path));
        Assert.Equal("inputs", problem.Column);
        Assert.Contains("truncated", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Npz_read_rejects_an_entry_that_is_not_npy()
    {
        var path = Path.Combine(TestFiles.NewDirectory(), "text.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var name in new[] { "inputs.npy", "targets.npy" })
            {
                using var writer = new StreamWriter(zip.CreateEntry(name).Open());
                writer.Write("hello");
            }
        }
        var problem = Rows.ProblemOf(Npz.Read(path));
        Assert.Equal((path, "inputs"), (problem.File, problem.Column));
        Assert.Contains("bad magic", problem.Reason, StringComparison.Ordinal);
    }
}
