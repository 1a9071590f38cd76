using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Host.Cli;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using Churn.Numerics.Search;
using Spectre.Console.Testing;

namespace Churn.Tests.Cli;

/// <summary>The live displays on a terminal, and the plain lines everywhere else.</summary>
public class LiveProgressTests
{
    private static readonly ModelConfig Model = new(Depth: 2, Width: 8, MaxEpochs: 10, Patience: 3);

    [Theory]
    [InlineData(new[] { 0.50, 0.40 }, 2, 3, 8)]      // improving: patience from the best epoch
    [InlineData(new[] { 0.50, 0.40, 0.45 }, 3, 2, 7)] // one epoch without improvement
    [InlineData(new[] { 0.5, 0.4, 0.3, 0.2, 0.1, 0.09, 0.08, 0.07, 0.06 }, 9, 1, 1)] // max epochs is nearer than patience
    public void Epochs_left_are_bounded_by_patience_and_max_epochs(double[] losses, int epoch, int fewest, int most)
    {
        var progress = RunProgress.Start(Model);
        for (var i = 0; i < losses.Length; i++)
        {
            progress = progress.After(new EpochMetrics(i + 1, 0.5, 0.7, losses[i], 0.7), TimeSpan.FromSeconds(i + 1));
        }

        Assert.Equal(epoch, progress.Epoch);
        Assert.Equal((fewest, most), progress.EpochsLeft);
        Assert.Equal((TimeSpan.FromSeconds(fewest), TimeSpan.FromSeconds(most)), progress.TimeLeft);
    }

    [Fact]
    public async Task A_run_on_a_terminal_draws_a_progress_bar_with_losses_best_epoch_and_time_left()
    {
        using var console = new TestConsole().Interactive().EmitAnsiSequences().Width(160);

        var outcome = await LiveProgress.RunAsync(console, Model, async onEvent =>
        {
            onEvent(new StageCompleted("r", Stage.Load, "14084 rows", TimeSpan.FromMilliseconds(300)));
            for (var epoch = 1; epoch <= 4; epoch++)
            {
                onEvent(new EpochCompleted("r", new EpochMetrics(epoch, 0.5 / epoch, 0.7, 0.6 / epoch, 0.71), TimeSpan.FromSeconds(epoch)));
                await Task.Delay(120);
            }

            var done = new RunCancelled("r", Stage.Train);
            onEvent(done);
            return done;
        });

        Assert.IsType<RunCancelled>(outcome);
        Assert.Contains("\u001b[", console.Output, StringComparison.Ordinal);
        Assert.Contains("load      14084 rows", console.Output, StringComparison.Ordinal);
        Assert.Contains("epoch 4/10", console.Output, StringComparison.Ordinal);
        Assert.Contains("validation loss 0.1500", console.Output, StringComparison.Ordinal);
        Assert.Contains("best epoch 4", console.Output, StringComparison.Ordinal);
        Assert.Contains("left 3s–6s", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_search_table_shows_running_trials_counts_best_so_far_and_time_left()
    {
        var config = new ModelConfig(Depth: 2, Width: 16);
        ImmutableArray<TrialSpec> plan = [.. Enumerable.Range(0, 6).Select(i => new TrialSpec(i, i / 2, i % 2, i, config))];
        var request = new SearchRequest("search-x", new RunSpec("d.csv", "out", "p", 1, BalanceStrategy.Random, new SplitRatios(0.8, 0.1, 0.1), false, DeviceChoice.Cpu, config, LogFeatureNames: []), 2, SchedulerKind.None,
            new SearchPlan(plan, 2, [], 2));
        var view = SearchLiveView.Start(request);
        ISearchEvent[] events =
        [
            new SearchTrialStarted("search-x", plan[0]),
            new SearchTrialStarted("search-x", plan[1]),
            new SearchTrialEpoch("search-x", 1, new EpochMetrics(7, 0.4, 0.8, 0.3812, 0.8), "akka://churn"),
            new SearchTrialEnded("search-x", new TrialRecord(plan[0], TrialStatus.Completed, [new EpochMetrics(1, 0.4, 0.8, 0.35, 0.8)], Wall: TimeSpan.FromSeconds(10))),
        ];
        foreach (var e in events)
        {
            view = view.After(e, 2);
        }

        using var console = new TestConsole().Width(200);
        console.Write(LiveProgress.Table(view, request.SearchId));

        var row = Assert.Single(console.Lines, l => l.Contains("akka://churn", StringComparison.Ordinal));
        Assert.Matches(@"│\s*2\s*│\s*1\s*│\s*2\s*│\s*akka://churn\s*│\s*7\s*│\s*0\.3812", row);
        // The caption wraps at the table's width.
        var caption = string.Join(" ", console.Lines.Select(l => l.Trim()));
        Assert.Contains("1/6 trials ended: 1 done, 0 pruned, 0 failed, 0 cancelled · 1 running", caption, StringComparison.Ordinal);
        // 5 trials to go at 10 s each, 2 at a time: 3 rounds.
        Assert.Equal(TimeSpan.FromSeconds(30), view.TimeLeft);
        Assert.Contains("about 30s left", caption, StringComparison.Ordinal);
        Assert.Contains("best configuration 1, mean validation loss 0.3500", caption, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_search_followed_through_a_host_event_stream_draws_the_table_a_search_here_draws()
    {
        var config = new ModelConfig(Depth: 2, Width: 16);
        ImmutableArray<TrialSpec> plan = [.. Enumerable.Range(0, 6).Select(i => new TrialSpec(i, i / 2, i % 2, 1000 + i, config))];
        var request = new SearchRequest("search-x", new RunSpec("d.csv", "out", "p", 1, BalanceStrategy.Random, new SplitRatios(0.8, 0.1, 0.1), false, DeviceChoice.Cpu, config, LogFeatureNames: []), 2, SchedulerKind.Asha,
            new SearchPlan(plan, 2, [3], 2));
        ISearchEvent[] events =
        [
            new SearchDataReady("search-x", "3579 / 447 / 448 rows"),
            new SearchTrialStarted("search-x", plan[0]),
            new SearchTrialStarted("search-x", plan[1]),
            new SearchTrialEpoch("search-x", 1, new EpochMetrics(7, 0.4, 0.8, 0.3812, 0.8), "akka://churn"),
            new SearchTrialEnded("search-x", new TrialRecord(plan[0], TrialStatus.Completed, [new EpochMetrics(1, 0.4, 0.8, 0.35, 0.8)], Wall: TimeSpan.FromSeconds(10), Node: "local")),
            new SearchRungDecided("search-x", new RungDecision(0, 3, 0, 0.35, RungOutcome.Promoted, 0, 1, 1)),
            new SearchTrialStarted("search-x", plan[2]),
        ];
        // Framed as the host frames them (a keep-alive among them, which the reader skips).
        var frames = new MemoryStream();
        await System.Net.ServerSentEvents.SseFormatter.WriteAsync(
            events.Select(e => Churn.Host.Api.SearchEventStream.Encode(e)!.Value).Select(f => new System.Net.ServerSentEvents.SseItem<string>(f.Data, f.Name))
                .Prepend(new System.Net.ServerSentEvents.SseItem<string>("", "keep-alive")).ToAsyncEnumerable(),
            frames,
            TestContext.Current.CancellationToken);
        frames.Position = 0;
        var decoded = new List<ISearchEvent>();
        await foreach (var (name, data) in Churn.Host.Api.RunEventStream.Read(frames, CancellationToken.None))
        {
            decoded.Add(Churn.Host.Api.SearchEventStream.Decode(name, data)!);
        }

        // What comes over the wire is what went in, numbers and all.
        Assert.Equal(events.Length, decoded.Count);
        Assert.Equal(events.Where(e => e is not SearchTrialEnded), decoded.Where(e => e is not SearchTrialEnded));
        var endedHere = (SearchTrialEnded)events[4];
        var endedThere = Assert.IsType<SearchTrialEnded>(decoded[4]);
        Assert.Equal(endedHere.Record with { History = [] }, endedThere.Record with { History = [] });
        Assert.Equal(endedHere.Record.History, endedThere.Record.History);
        var text = System.Text.Encoding.UTF8.GetString(frames.ToArray());
        Assert.Contains("\"trial\":1,\"configuration\":1,\"seed\":1", text, StringComparison.Ordinal);
        Assert.Contains("\"rung\":1,", text, StringComparison.Ordinal);

        // The live table of a followed search is the one a search run here draws.
        var here = events.Aggregate(SearchLiveView.Start(request), (v, e) => v.After(e, 2));
        var there = decoded.Aggregate(SearchLiveView.Start(6, 2, request.Plan.Criterion), (v, e) => v.After(e, 2));
        using var local = new TestConsole().Width(200);
        local.Write(LiveProgress.Table(here, "search-x"));
        using var followed = new TestConsole().Width(200);
        followed.Write(LiveProgress.Table(there, "search-x"));
        Assert.Equal(local.Output, followed.Output);
        Assert.Contains(followed.Lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"│\s*2\s*│\s*1\s*│\s*2\s*│\s*akka://churn\s*│\s*7\s*│\s*0\.3812"));

        // Drawn live on a terminal, the same rows come out.
        using var terminal = new TestConsole().Interactive().EmitAnsiSequences().Width(200);
        Assert.Null(await LiveProgress.SearchAsync(terminal, "search-x", 2, decoded.ToAsyncEnumerable(), SearchLiveView.Start(6, 2, request.Plan.Criterion)));
        Assert.Contains("\u001b[", terminal.Output, StringComparison.Ordinal);
        Assert.Contains("1/6 trials ended: 1 done", terminal.Output, StringComparison.Ordinal);
        Assert.Contains("akka://churn", terminal.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_host_a_run_and_a_search_redraw_live_under_a_pseudo_terminal_and_print_plain_lines_when_redirected()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "quick.json"), """{ "model": { "maxEpochs": 3 } }""");
        File.WriteAllText(Path.Combine(dir, "space.json"), """
            { "trials": 2, "seeds": 1, "maxEpochs": 3, "space": { "depth": [1], "width": [8, 16], "patience": [2] } }
            """);
        await using var host = await Host.HostProcess.StartAsync(dir, Path.Combine(dir, "host.db"));
        var url = host.Http.BaseAddress!.ToString();

        var run = Strip(await UnderTerminal(dir, $"{TestPaths.Churn} run --host {url} --config quick.json --out {Path.Combine(dir, "live")} --data {TestPaths.BundledData} > run.txt"));
        var search = await UnderTerminal(dir, $"{TestPaths.Churn} search --host {url} --space space.json --out {Path.Combine(dir, "s")} --data {TestPaths.BundledData} > s.txt");
        var plain = await ChurnProcess.RunAsync(dir, "run", "--host", url, "--config", "quick.json", "--out", Path.Combine(dir, "plain"), "--data", TestPaths.BundledData);

        Assert.Contains("epoch 3/3", run, StringComparison.Ordinal);
        Assert.Contains("best epoch", run, StringComparison.Ordinal);
        Assert.Contains("rows read", File.ReadAllText(Path.Combine(dir, "run.txt")), StringComparison.Ordinal);
        Assert.Matches(@"\u001b\[\d*A", search);
        Assert.Contains("2/2 trials ended: 2 done", Strip(search), StringComparison.Ordinal);
        Assert.Contains("rank  cfg  calibrated loss  validation loss", File.ReadAllText(Path.Combine(dir, "s.txt")), StringComparison.Ordinal);
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        Assert.DoesNotContain('\u001b', plain.Stderr);
        Assert.Equal(3, plain.Stderr.Split('\n').Count(l => l.StartsWith("  epoch ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Under_a_pseudo_terminal_a_run_redraws_live_and_with_stderr_in_a_file_it_prints_plain_lines_and_the_same_json()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "quick.json"), """{ "model": { "maxEpochs": 3 } }""");

        var terminal = await UnderTerminal(dir, $"{TestPaths.Churn} run --config quick.json --out live --data {TestPaths.BundledData} > live.txt");
        var plain = await ChurnProcess.RunAsync(dir, "run", "--config", "quick.json", "--out", "plain", "--data", TestPaths.BundledData);
        var json = await ChurnProcess.RunAsync(dir, "run", "--config", "quick.json", "--out", "plain", "--data", TestPaths.BundledData, "--json");
        var jsonOnTerminal = await UnderTerminal(dir, $"{TestPaths.Churn} run --config quick.json --out plain --data {TestPaths.BundledData} --json > json.txt");

        Assert.Contains("\u001b[", terminal, StringComparison.Ordinal);
        Assert.Matches(@"\u001b\[\d*A", terminal);
        Assert.Contains("epoch 3/3", Strip(terminal), StringComparison.Ordinal);
        Assert.Contains("rows read", File.ReadAllText(Path.Combine(dir, "live.txt")), StringComparison.Ordinal);
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        Assert.DoesNotContain('\u001b', plain.Stderr);
        Assert.Equal(3, plain.Stderr.Split('\n').Count(l => l.StartsWith("  epoch ", StringComparison.Ordinal)));
        Assert.DoesNotContain('\u001b', json.Stdout);
        Assert.Equal(JsonDocument.Parse(json.Stdout).RootElement.GetProperty("test").GetRawText(), JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "json.txt"))).RootElement.GetProperty("test").GetRawText());
        Assert.Contains("  epoch   3", jsonOnTerminal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Under_a_pseudo_terminal_a_search_shows_a_live_trial_table()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "space.json"), """
            { "trials": 2, "seeds": 1, "maxEpochs": 4, "space": { "depth": [1], "width": [8, 16], "patience": [2] } }
            """);

        var terminal = Strip(await UnderTerminal(dir, $"{TestPaths.Churn} search --space space.json --out s --data {TestPaths.BundledData} --parallel 1 > s.txt"));
        var plain = await ChurnProcess.RunAsync(dir, "search", "--space", "space.json", "--out", "p", "--data", TestPaths.BundledData, "--parallel", "1");

        Assert.Contains("trials ended", terminal, StringComparison.Ordinal);
        Assert.Contains("validation loss", terminal, StringComparison.Ordinal);
        Assert.Contains("2/2 trials ended: 2 done", terminal, StringComparison.Ordinal);
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        Assert.DoesNotContain('\u001b', plain.Stderr);
        Assert.Equal(2, plain.Stderr.Split('\n').Count(l => l.TrimStart().StartsWith("trial ", StringComparison.Ordinal)));
    }

    /// <summary>Runs <paramref name="command"/> with stderr on a pseudo-terminal (util-linux <c>script</c>) 150 columns wide; returns what the terminal got.</summary>
    private static async Task<string> UnderTerminal(string dir, string command)
    {
        var start = new ProcessStartInfo("script", ["-qfec", $"stty cols 150 rows 50; {command}", "/dev/null"])
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        var text = await output;
        Assert.True(process.ExitCode == 0, text);
        return text;
    }

    private static string Strip(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\u001b\[[0-9;?]*[A-Za-z]|\u001b[=>]", "");
}
