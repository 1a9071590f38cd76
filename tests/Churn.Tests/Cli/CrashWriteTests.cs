using System.Diagnostics;
using Churn.Numerics;
using Churn.Numerics.Data;

namespace Churn.Tests.Cli;

/// <summary>
/// A churn process killed outright (SIGKILL: no handler runs, nothing is cleaned up) while it replaces files that an
/// earlier run saved. Every file it was writing must still be the old one, whole; no half-written file may stand
/// under a name a reader opens; and a reader must not take a mix of old and new files for one preparation. (A power
/// loss is a different crash, out of reach of a test: the directory fsync after each rename is what covers it.)
/// </summary>
public class CrashWriteTests
{
    private static Dictionary<string, byte[]> Visible(string directory) =>
        Directory.EnumerateFiles(directory).Where(f => !Path.GetFileName(f).StartsWith('.')).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    private static string[] Temporary(string directory) =>
        [.. Directory.EnumerateFiles(directory, ".*.tmp").Select(Path.GetFileName).OfType<string>()];

    [Fact]
    public async Task A_prepare_killed_while_replacing_its_splits_leaves_every_saved_file_whole_and_the_mix_is_refused()
    {
        var dir = TestPaths.NewTempDirectory();
        var first = await ChurnProcess.RunAsync(dir, "prepare", "--data", TestPaths.BundledData, "--out", "out", "--no-store");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var outDir = Path.Combine(dir, "out");
        // Big enough that writing its splits takes a while: the kill must land in the middle of a write.
        AtomicFile.Write(Path.Combine(dir, "big.csv"), stream => SyntheticCustomers.WriteCsv(stream, 900_000, 5)).Unwrap();

        string[] leftOver = [];
        Dictionary<string, byte[]> before = [];
        for (var attempt = 0; attempt < 4 && leftOver.Length == 0; attempt++)
        {
            before = Visible(outDir);
            using var process = ChurnProcess.Start(dir, ["prepare", "--data", "big.csv", "--out", "out", "--no-store"]);
            var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken), process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken));
            var clock = Stopwatch.StartNew();
            while (!process.HasExited && Temporary(outDir).Length == 0 && clock.Elapsed < TimeSpan.FromMinutes(3))
            {
                Thread.Sleep(1);
            }
            var killed = !process.HasExited;
            if (killed)
            {
                process.Kill();
            }
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            await drain;
            if (!killed)
            {
                // It finished before a write was seen (a fast machine): what it wrote is a whole new preparation.
                continue;
            }
            leftOver = Temporary(outDir);

            var after = Visible(outDir);
            // Nothing new stands under a reader's name, and every saved file is either the old one or a complete new one.
            Assert.Equal(before.Keys.Order(), after.Keys.Order());
            foreach (var (name, bytes) in after)
            {
                if (!bytes.AsSpan().SequenceEqual(before[name]))
                {
                    Assert.True(name.EndsWith(".npz", StringComparison.Ordinal), $"{name} changed, but only the splits are written before the manifest");
                    Assert.IsType<Result<Dataset>.Ok>(Npz.Read(Path.Combine(outDir, name)));
                }
            }
            // A file whose temporary is still there was never renamed: it is the old one, byte for byte.
            foreach (var temp in leftOver)
            {
                var target = temp[1..temp.LastIndexOf('.', temp.Length - 5)];
                Assert.Equal(before[target], after[target]);
            }

            // The manifest describes the old splits; if the kill came after one of them was replaced, reading the
            // set says so instead of standardizing new rows with the old scaler.
            var replaced = after.Where(f => !f.Value.AsSpan().SequenceEqual(before[f.Key])).Select(f => f.Key).ToList();
            var read = SplitFiles.Read(outDir, Preparation.DefaultPrefix);
            if (replaced.Count == 0)
            {
                Assert.IsType<Result<SplitsRead>.Ok>(read);
            }
            else
            {
                var problem = Assert.IsType<Result<SplitsRead>.Error>(read).Problem;
                Assert.Contains("interrupted", problem.Reason, StringComparison.Ordinal);
            }
        }

        Assert.True(leftOver.Length > 0, "no attempt was killed while a file was being written");
        // What the crash left is hidden and ignored: the next preparation writes over it and reads back whole.
        var again = await ChurnProcess.RunAsync(dir, "prepare", "--data", TestPaths.BundledData, "--out", "out", "--no-store");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.IsType<Result<SplitsRead>.Ok>(SplitFiles.Read(outDir, Preparation.DefaultPrefix));
        Assert.Equal(before.Keys.Order(), Visible(outDir).Keys.Order());
    }
}
