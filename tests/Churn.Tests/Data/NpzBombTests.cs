using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Churn.Numerics;
using Churn.Numerics.Data;

namespace Churn.Tests.Data;

/// <summary>Compressed <c>.npz</c> files whose headers promise more than any limit or than the archive holds.</summary>
public class NpzBombTests
{
    /// <summary>An .npy version 1 header of <paramref name="descr"/> and <paramref name="shape"/>, padded to 64 bytes as numpy does.</summary>
    private static byte[] Header(string descr, string shape)
    {
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        var total = 10 + dict.Length + 1;
        var padded = dict + new string(' ', ((total + 63) / 64 * 64) - total) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.AddRange([1, 0, (byte)(padded.Length & 0xFF), (byte)(padded.Length >> 8)]);
        bytes.AddRange(Encoding.ASCII.GetBytes(padded));
        return [.. bytes];
    }

    /// <summary>
    /// A deflated archive whose inputs header promises <paramref name="rows"/> rows and whose entry really holds
    /// <paramref name="bodyBytes"/> bytes of zeros (a real bomb when they agree: zeros compress about 1000 to 1).
    /// </summary>
    internal static string Bomb(string path, long rows, long bodyBytes)
    {
        using (var file = File.Create(path))
        using (var zip = new ZipArchive(file, ZipArchiveMode.Create))
        {
            foreach (var (name, header, body) in new[] { ("inputs.npy", Header("<f8", $"({rows}, 10)"), bodyBytes), ("targets.npy", Header("<i8", $"({rows},)"), Math.Min(bodyBytes, rows * 8)) })
            {
                using var entry = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
                entry.Write(header);
                var zeros = new byte[1 << 20];
                for (var left = body; left > 0; left -= zeros.Length)
                {
                    entry.Write(zeros, 0, (int)Math.Min(zeros.Length, left));
                }
            }
        }
        return path;
    }

    [Fact]
    public void A_header_promising_more_rows_than_the_entry_holds_is_refused_before_allocating()
    {
        var path = Bomb(Path.Combine(TestPaths.NewTempDirectory(), "liar.npz"), rows: 20_000_000, bodyBytes: 1 << 20);
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var read = Npz.Read(path, new DataLimits(MaxRows: long.MaxValue, MaxBytes: long.MaxValue));

        var problem = Assert.IsType<Result<Dataset>.Error>(read).Problem;
        Assert.Contains("truncated", problem.Reason, StringComparison.Ordinal);
        Assert.Equal("inputs", problem.Column);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 64 << 20, "the reader allocated for the promised rows");
    }

    [Fact]
    public void A_consistent_bomb_over_the_row_limit_is_refused_from_its_header()
    {
        var path = Bomb(Path.Combine(TestPaths.NewTempDirectory(), "bomb.npz"), rows: 2_000_000, bodyBytes: 2_000_000L * 80);
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var read = Npz.Read(path, new DataLimits(MaxRows: 1_000_000, MaxBytes: long.MaxValue));

        var problem = Assert.IsType<Result<Dataset>.Error>(read).Problem;
        Assert.Contains("limits.maxRows", problem.Reason, StringComparison.Ordinal);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 64 << 20, "the reader allocated for the promised rows");
    }

    [Fact]
    public async Task Churn_train_on_a_20_million_row_bomb_fails_clearly_with_peak_memory_under_1_GB()
    {
        var dir = TestPaths.NewTempDirectory();
        var bomb = Bomb(Path.Combine(dir, "Audiobooks_data_train.npz"), rows: 20_000_000, bodyBytes: 20_000_000L * 80);
        Assert.True(new FileInfo(bomb).Length < 4 << 20, $"the bomb is {new FileInfo(bomb).Length} bytes");
        foreach (var split in new[] { "validation", "test" })
        {
            File.Copy(bomb, Path.Combine(dir, $"Audiobooks_data_{split}.npz"));
        }

        // Python's getrusage sees the child's peak resident memory after it exits, which polling could miss.
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-c", "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); sys.stderr.write(r.stderr); print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)", TestPaths.Churn, "train", "--npz", dir, "--out", Path.Combine(dir, "out") })
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        var stdout = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        var fields = stdout.Trim().Split(' ');
        Assert.True(fields[0] == "1", stderr);
        Assert.Matches("limits.max(Rows|Bytes)", stderr);
        Assert.Contains("Audiobooks_data_train.npz", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        var peakKiB = long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(peakKiB < 1 << 20, $"peak resident memory {peakKiB} KiB");
    }
}
