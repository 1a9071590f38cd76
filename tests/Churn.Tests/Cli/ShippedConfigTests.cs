using System.Diagnostics;
using Churn.Host.Cli;
using Churn.Host.Configuration;
using Churn.Host.Search;
using Churn.Numerics;

namespace Churn.Tests.Cli;

/// <summary>
/// The shipped <c>config/churn.json</c> and <c>config/search.json</c> give the command line its defaults: a broken one
/// stops <c>churn</c> with the file, the field and the reason, never leaves the options without defaults.
/// </summary>
public class ShippedConfigTests
{
    [Theory]
    [InlineData("churn.json", "\"seed\": 0,", "\"seed\": \"x\",", "run", "seed")]
    [InlineData("churn.json", "\"port\": 5080", "\"port\": 5080, \"colour\": 1", "host", "colour")]
    [InlineData("search.json", "\"trials\": 20", "\"trials\": -3", "search", "trials")]
    public async Task A_broken_shipped_file_stops_churn_naming_file_and_field(string file, string good, string bad, string verb, string field)
    {
        var install = Install(file, good, bad);

        var help = await RunAsync(install, verb, "--help");
        var version = await RunAsync(install, "--version");

        Assert.Equal(1, help.ExitCode);
        Assert.Contains(Path.Combine(install, "config", file), help.Stderr);
        Assert.Contains(field, help.Stderr);
        Assert.DoesNotContain("   at ", help.Stderr);
        Assert.Equal("", help.Stdout);
        Assert.Equal(1, version.ExitCode);
    }

    [Fact]
    public async Task The_shipped_files_give_the_options_their_defaults()
    {
        var help = await RunAsync(Install("churn.json", "\"seed\": 0,", "\"seed\": 4242,"), "run", "--help");
        var searchHelp = await RunAsync(Install("search.json", "\"trials\": 20", "\"trials\": 33"), "search", "--help");

        Assert.Equal(0, help.ExitCode);
        Assert.Matches(@"--seed <N>\s+[^\n]*\[default: 4242\]", help.Stdout);
        Assert.Equal(0, searchHelp.ExitCode);
        Assert.Matches(@"--trials <N>\s+[^\n]*\[default: 33\]", searchHelp.Stdout);
    }

    [Fact]
    public void Reading_the_shipped_files_gives_their_values_and_names_a_bad_field()
    {
        var shipped = ShippedDefaults.Load(ChurnConfig.DefaultPath, SearchPlanner.DefaultSpacePath).Unwrap();
        Assert.Equal(ChurnConfig.Load(null).Unwrap().Run, shipped.Config.Run);

        var dir = TestPaths.NewTempDirectory();
        var broken = Path.Combine(dir, "churn.json");
        File.WriteAllText(broken, File.ReadAllText(ChurnConfig.DefaultPath).Replace("\"seed\": 0,", "\"seed\": -1,", StringComparison.Ordinal));
        var problem = Assert.IsType<Result<ShippedDefaults>.Error>(ShippedDefaults.Load(broken, SearchPlanner.DefaultSpacePath)).Problem;
        Assert.Equal(broken, problem.File);
        Assert.Equal("seed", problem.Column);
    }

    /// <summary>
    /// A copy of the built executable whose shipped <paramref name="file"/> has <paramref name="good"/> replaced by
    /// <paramref name="bad"/>: the apphost and <c>churn.dll</c> are copied (the runtime takes the application's folder
    /// from them), everything else is linked.
    /// </summary>
    private static string Install(string file, string good, string bad)
    {
        var built = Path.GetDirectoryName(TestPaths.Churn)!;
        var install = TestPaths.NewTempDirectory();
        foreach (var entry in Directory.EnumerateFileSystemEntries(built))
        {
            var name = Path.GetFileName(entry);
            var target = Path.Combine(install, name);
            if (name is "churn" or "churn.dll")
            {
                File.Copy(entry, target);
            }
            else if (name != "config")
            {
                File.CreateSymbolicLink(target, entry);
            }
        }

        Directory.CreateDirectory(Path.Combine(install, "config"));
        foreach (var shipped in Directory.EnumerateFiles(Path.Combine(built, "config")))
        {
            File.Copy(shipped, Path.Combine(install, "config", Path.GetFileName(shipped)));
        }

        var path = Path.Combine(install, "config", file);
        var text = File.ReadAllText(path);
        Assert.Contains(good, text);
        File.WriteAllText(path, text.Replace(good, bad, StringComparison.Ordinal));
        return install;
    }

    private static async Task<ChurnResult> RunAsync(string install, params string[] args)
    {
        var start = TestPaths.ChurnStart(TestPaths.NewTempDirectory(), args);
        start.ArgumentList[1] = Path.Combine(install, "churn");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new ChurnResult(process.ExitCode, await stdout, await stderr);
    }
}
