using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Churn.Actors;
using Churn.Host;
using Churn.Host.Configuration;
using Churn.Host.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Churn.Tests.Host;

/// <summary>How log events become JSON lines and how they are read back and filtered.</summary>
public class LogLinesTests
{
    private static readonly DateTimeOffset At = new(2025, 3, 4, 5, 6, 7, TimeSpan.Zero);

    [Fact]
    public async Task An_actors_log_line_goes_through_akka_hostings_bridge_with_its_actor_path_as_source()
    {
        var logs = TestPaths.NewTempDirectory();
        var config = ChurnConfig.Load(null).Unwrap() with { Logs = logs };
        using var host = ChurnHostBuilder.Embedded(config, verbose: false, new ChurnParts { Pipeline = new PipelinePart() });
        await host.StartAsync(TestContext.Current.CancellationToken);
        var system = host.Services.GetRequiredService<ActorSystem>();

        var speaker = system.ActorOf(Props.Create(() => new Speaker()), "speaker");
        await speaker.Ask<string>("hello", TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        var clock = Stopwatch.StartNew();
        LogEntry? said = null;
        while (said is null && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            said = LogFiles.Read(logs, new LogQuery("r1", null, LogLevel.Trace)).FirstOrDefault();
        }

        await host.StopAsync(TestContext.Current.CancellationToken);
        Assert.NotNull(said);
        Assert.Equal("akka://churn/user/speaker", said.Source);
        Assert.Equal("load", said.Stage);
        Assert.Equal("said hello", said.Message);
        Assert.Equal(4, said.Trial);
        Assert.Equal("akka://churn", said.Node);
        Assert.Equal("Information", said.Level);
        var line = File.ReadAllLines(LogFiles.Files(logs).Single()).Single(l => l.Contains("said hello", StringComparison.Ordinal));
        using var json = System.Text.Json.JsonDocument.Parse(line);
        Assert.Equal("r1", json.RootElement.GetProperty("runId").GetString());
        Assert.Equal("load", json.RootElement.GetProperty("stage").GetString());
        Assert.Equal(4, json.RootElement.GetProperty("trial").GetInt32());
        Assert.InRange(said.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);
    }

    [Fact]
    public void The_bridges_state_gives_source_time_and_the_run_fields_as_properties_never_from_the_text()
    {
        // The shape of the state Akka.Hosting's bridge logs with: the template's properties, LogSource (the actor's
        // path), ActorPath (the sender's), Timestamp and Thread.
        var path = "akka://churn/user/runs/run-r1";
        KeyValuePair<string, object?>[] state =
        [
            new("RunId", "r1"),
            new("Stage", "load"),
            new("Trial", ""),
            new("Message", "started x"),
            new("ActorPath", "akka://churn/deadLetters"),
            new("Timestamp", At),
            new("Thread", 8),
            new("LogSource", path),
        ];

        var entry = LogEntry.From(LogLevel.Information, "Akka.Actor.ActorSystem", state, "r1loadstarted x", null, At.AddHours(1));
        var akkasOwn = LogEntry.From(LogLevel.Information, "Akka.Actor.ActorSystem", state[4..], $"[INFO][{At:O}][Thread 0008][{path}] run=r9 stage=save restarted", null, At);

        Assert.Equal(path, entry.Source);
        Assert.Equal("r1", entry.RunId);
        Assert.Equal("load", entry.Stage);
        Assert.Null(entry.Trial);
        Assert.Equal("akka://churn", entry.Node);
        Assert.Equal("started x", entry.Message);
        Assert.Equal(At, entry.Timestamp);
        Assert.Null(akkasOwn.RunId);
        Assert.Equal("run=r9 stage=save restarted", akkasOwn.Message);
    }

    [Theory]
    [InlineData("akka://churn/user/runs/run-1", "akka://churn")]
    [InlineData("akka.tcp://churn@10.0.0.2:4053/user/trial-3", "akka.tcp://churn@10.0.0.2:4053")]
    [InlineData("Microsoft.AspNetCore.Server.Kestrel", null)]
    public void The_node_is_the_actor_systems_address(string source, string? node) => Assert.Equal(node, LogEntry.NodeOf(source));

    [Fact]
    public void Control_characters_in_a_message_are_escaped_on_the_console()
    {
        var entry = new LogEntry(At, "Information", "akka://churn/user/runs", "r1", "queue", "out /tmp/x\n12:00:00.000 ERROR forged\u001b[2J\u0007\u009b", "System.Exception: boom\n   at Here()\u001b[31m");

        var line = entry.ToHumanLine(withDate: false);

        Assert.Equal(3, line.Split('\n').Length);
        Assert.DoesNotContain(line, c => char.IsControl(c) && c != '\n');
        Assert.EndsWith("x\\n12:00:00.000 ERROR forged\\e[2J\\x07\\u009b", line.Split('\n')[0], StringComparison.Ordinal);
        Assert.EndsWith("at Here()\\e[31m", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_loggers_keep_their_category_as_source()
    {
        var entry = LogEntry.From(LogLevel.Warning, "Microsoft.AspNetCore.Server.Kestrel", "plain", "slow request", null, At);

        Assert.Equal("Microsoft.AspNetCore.Server.Kestrel", entry.Source);
        Assert.Null(entry.RunId);
        Assert.Equal("slow request", entry.Message);
        Assert.Equal(At, entry.Timestamp);
    }

    [Fact]
    public void A_json_line_reads_back_as_the_same_entry()
    {
        var entry = new LogEntry(At, "Warning", "akka://churn/user/loader/$a", "r2", "load", "failed: bad + \"quoted\" ü", "System.IO.IOException: gone");

        var line = entry.ToJsonLine();

        Assert.DoesNotContain('\n', line);
        Assert.Contains("bad + \\\"quoted\\\" ü", line, StringComparison.Ordinal);
        Assert.Equal(entry, LogEntry.Parse(line));
        Assert.Null(LogEntry.Parse("{\"timestamp\": \"2025-"));
    }

    [Theory]
    [InlineData(null, null, "Trace", 4)]
    [InlineData("r1", null, "Trace", 2)]
    [InlineData(null, "*/trainer*", "Trace", 1)]
    [InlineData(null, "/user/runs/run-?", "Trace", 1)]
    [InlineData(null, "akka://churn/user/loader/*", "Trace", 1)]
    [InlineData(null, null, "Warning", 2)]
    [InlineData("r2", "*loader*", "Error", 1)]
    [InlineData("r2", "*loader*", "Critical", 0)]
    public void Queries_filter_by_run_actor_glob_and_level(string? run, string? actor, string level, int expected)
    {
        LogEntry[] entries =
        [
            new(At, "Information", "akka://churn/user/runs/run-1", "r1", "load", "a", null),
            new(At, "Warning", "akka://churn/user/runs/run-1/trainer/model-cpu", "r1", "train", "b", null),
            new(At, "Error", "akka://churn/user/loader/$a", "r2", "load", "c", null),
            new(At, "Debug", "Akka.Actor.ActorSystem", null, null, "d", null),
        ];

        var query = new LogQuery(run, actor, Enum.Parse<LogLevel>(level));

        Assert.Equal(expected, entries.Count(query.Matches));
    }

    [Fact]
    public void A_days_files_of_several_processes_are_read_together_in_time_order_then_the_next_day()
    {
        var dir = TestPaths.NewTempDirectory();
        foreach (var (name, message, minute) in new[]
        {
            ("churn-20250102-p7.jsonl", "5", 0), ("churn-20250101-p9.jsonl", "2", 2), ("churn-20250101-p7-1.jsonl", "4", 4),
            ("churn-20250101-p7.jsonl", "1", 1), ("churn-20250101-p9.jsonl", "3", 3), ("other.jsonl", "x", 0),
        })
        {
            File.AppendAllText(Path.Combine(dir, name), new LogEntry(At.AddMinutes(minute), "Information", "s", null, null, message, null).ToJsonLine() + "\n");
        }

        Assert.Equal(["1", "2", "3", "4", "5"], LogFiles.Read(dir, LogQuery.All).Select(e => e.Message));
        Assert.Equal(["1", "2"], LogFiles.Read(dir, LogQuery.All, limit: 2).Select(e => e.Message));
        Assert.Equal(["5"], LogFiles.Read(dir, LogQuery.All, since: new DateTimeOffset(2025, 1, 2, 0, 0, 0, TimeSpan.Zero)).Select(e => e.Message));
    }

    [Theory]
    [InlineData("worker-1", "worker-1")]
    [InlineData("Node_A.Example.COM", "node-a.example.com")]
    [InlineData("a/b\\c d", "a-b-c-d")]
    [InlineData("", "host")]
    [InlineData("  ..  ", "host")]
    [InlineData("-p7-", "p7")]
    public void A_machine_name_stands_in_a_log_file_name_as_letters_digits_dots_and_dashes(string machine, string part)
    {
        Assert.Equal(part, LogFiles.HostPart(machine));
        Assert.Equal($"churn-20250101-{part}-p7-2.jsonl", LogFiles.FileName("20250101", machine, 7, 2));
        Assert.Equal(63, LogFiles.HostPart(new string('x', 200)).Length);
    }

    [Fact]
    public void Two_machines_whose_processes_have_the_same_pid_write_files_of_their_own_and_lose_no_line()
    {
        // Two machines sharing one logs directory (NFS), modelled as two providers in one process: the same pid.
        var dir = TestPaths.NewTempDirectory();
        var long_ = new string('x', 10_000);
        var providers = new[] { new JsonLinesLoggerProvider(dir, LogLevel.Information, 14, host: "node-a"), new JsonLinesLoggerProvider(dir, LogLevel.Information, 14, host: "node-b") };
        Parallel.For(0, 2, p =>
        {
            var log = providers[p].CreateLogger("churn");
            for (var i = 0; i < 500; i++)
            {
                if (log.IsEnabled(LogLevel.Information))
                {
                    log.Log(LogLevel.Information, "{Node} {Line} {Padding}", p, i, long_);
                }
            }
        });
        foreach (var provider in providers)
        {
            provider.Dispose();
        }

        var files = LogFiles.Files(dir).Select(Path.GetFileName).ToList();
        Assert.Equal(2, files.Count);
        Assert.Contains(files, f => f!.Contains("-node-a-p", StringComparison.Ordinal));
        Assert.Contains(files, f => f!.Contains("-node-b-p", StringComparison.Ordinal));
        var messages = LogFiles.Read(dir, LogQuery.All).Select(e => e.Message).ToList();
        Assert.Equal(1000, messages.Count);
        Assert.Equal(1000, messages.Distinct().Count());
        Assert.All(messages, m => Assert.EndsWith(long_, m, StringComparison.Ordinal));
    }

    [Fact]
    public void A_days_files_of_all_three_namings_are_read_together_and_pruned_by_their_day()
    {
        var dir = TestPaths.NewTempDirectory();
        // One file for everyone (oldest naming), one per process, one per machine and process; machine names that
        // look like the other parts ("p1", "node-2", "x-p3-4") must not be mistaken for them.
        foreach (var (name, message, minute) in new[]
        {
            ("churn-20250101.jsonl", "1", 1), ("churn-20250101-p9.jsonl", "2", 2), ("churn-20250101-p1-p7.jsonl", "3", 3),
            ("churn-20250101-node-2-p7-1.jsonl", "4", 4), ("churn-20250101-x-p3-4-p5.jsonl", "5", 5), ("churn-20250102-node-2-p7.jsonl", "6", 6),
        })
        {
            File.AppendAllText(Path.Combine(dir, name), new LogEntry(At.AddMinutes(minute), "Information", "s", null, null, message, null).ToJsonLine() + "\n");
        }

        Assert.Equal(6, LogFiles.Files(dir).Count);
        Assert.Equal(["1", "2", "3", "4", "5", "6"], LogFiles.Read(dir, LogQuery.All).Select(e => e.Message));
        Assert.Equal(["6"], LogFiles.Read(dir, LogQuery.All, since: new DateTimeOffset(2025, 1, 2, 0, 0, 0, TimeSpan.Zero)).Select(e => e.Message));

        Assert.Equal(5, LogFiles.Prune(dir, new DateTime(2025, 1, 2)));
        Assert.Equal(["churn-20250102-node-2-p7.jsonl"], LogFiles.Files(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void A_process_logs_to_a_file_named_by_its_machine_and_pid()
    {
        var dir = TestPaths.NewTempDirectory();
        using (var provider = new JsonLinesLoggerProvider(dir, LogLevel.Information, 14))
        {
            provider.CreateLogger("churn").Log(LogLevel.Information, "hello");
        }

        var file = Assert.Single(LogFiles.Files(dir));
        Assert.Equal(LogFiles.FileName(DateTime.UtcNow.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture), Environment.MachineName, Environment.ProcessId, 0), Path.GetFileName(file));
    }

    [Fact]
    public void Log_files_older_than_the_retention_are_deleted_when_a_process_starts_logging()
    {
        var dir = TestPaths.NewTempDirectory();
        string[] names = ["churn-20250101-p1.jsonl", "churn-20250109.jsonl", "churn-20250110-p2-3.jsonl", "churn-20250111-p3.jsonl", "notes.txt"];
        foreach (var name in names)
        {
            File.WriteAllText(Path.Combine(dir, name), "{}\n");
        }

        using var provider = new JsonLinesLoggerProvider(dir, LogLevel.Information, retentionDays: 2, today: new DateTime(2025, 1, 12));

        Assert.Equal(["churn-20250110-p2-3.jsonl", "churn-20250111-p3.jsonl", "notes.txt"], Directory.EnumerateFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Processes_sharing_a_logs_directory_lose_no_line_and_splice_none()
    {
        var dir = TestPaths.NewTempDirectory();
        var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
            Cli.ChurnProcess.RunAsync(dir, "prepare", "--data", TestPaths.BundledData, "--out", $"p{i}", "--seed", i.ToString(System.Globalization.CultureInfo.InvariantCulture))));

        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.Stderr));
        var files = LogFiles.Files(Path.Combine(dir, "logs"));
        Assert.True(files.Count == 3, string.Join(", ", files.Select(Path.GetFileName)));
        var lines = files.SelectMany(File.ReadAllLines).ToList();
        Assert.All(lines, l => Assert.NotNull(LogEntry.Parse(l)));
        var perRun = lines.Select(l => LogEntry.Parse(l)!).Where(e => e.RunId is not (null or "-")).GroupBy(e => e.RunId).ToList();
        Assert.Equal(3, perRun.Count);
        Assert.Single(perRun.Select(g => g.Count()).Distinct());
        var entries = lines.Select(l => LogEntry.Parse(l)!).ToList();
        var runActors = entries.Where(e => e.Source.Contains("/user/runs/run-", StringComparison.Ordinal) || e.Source.Contains("/user/loader/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(runActors);
        Assert.All(runActors, e =>
        {
            Assert.False(string.IsNullOrEmpty(e.RunId), e.ToJsonLine());
            Assert.False(string.IsNullOrEmpty(e.Stage), e.ToJsonLine());
        });
        Assert.All(perRun, g => Assert.Contains(g, e => e.Stage == Churn.Actors.Messages.Stage.Write && e.Message.Contains("succeeded", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Following_hands_over_lines_as_they_are_appended_but_not_half_written_ones()
    {
        var dir = TestPaths.NewTempDirectory();
        var file = Path.Combine(dir, "churn-20250101-p1.jsonl");
        File.WriteAllText(file, new LogEntry(At, "Information", "s", null, null, "first", null).ToJsonLine() + "\n");
        var seen = new List<string>();
        using var stop = new CancellationTokenSource();
        var following = LogFiles.FollowAsync(dir, LogQuery.All, e =>
        {
            lock (seen)
            {
                seen.Add(e.Message);
            }
        }, TimeSpan.FromMilliseconds(20), stop.Token);

        var second = new LogEntry(At, "Information", "s", null, null, "second", null).ToJsonLine();
        await File.AppendAllTextAsync(file, second[..10], TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        await File.AppendAllTextAsync(file, second[10..] + "\n", TestContext.Current.CancellationToken);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10) && seen.Count < 2)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        await stop.CancelAsync();
        await following;
        Assert.Equal(["first", "second"], seen);
    }

    [Fact]
    public async Task Following_a_run_skips_days_before_it_and_ends_after_a_last_pass_once_the_run_has_ended()
    {
        var dir = TestPaths.NewTempDirectory();
        string Line(string run, string message) => new LogEntry(At, "Information", "akka://churn/user/runs/x", run, "train", message, null).ToJsonLine() + "\n";
        File.WriteAllText(Path.Combine(dir, "churn-20250302-p1.jsonl"), Line("r1", "a day too early"));
        var today = Path.Combine(dir, "churn-20250304-p1.jsonl");
        File.WriteAllText(today, Line("r1", "first") + Line("r2", "another run's"));
        var seen = new List<string>();
        var ended = false;
        var following = LogFiles.FollowAsync(dir, new LogQuery("r1", null, LogLevel.Trace), e =>
        {
            lock (seen)
            {
                seen.Add(e.Message);
            }
        }, TimeSpan.FromMilliseconds(20), TestContext.Current.CancellationToken, since: At.AddDays(-1), ended: () => Volatile.Read(ref ended));

        // Lines written before the end is announced are all handed over, the stream then stops by itself.
        await File.AppendAllTextAsync(today, Line("r1", "last"), TestContext.Current.CancellationToken);
        Volatile.Write(ref ended, true);
        await following.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(["first", "last"], seen);
    }

    private sealed class Speaker : ReceiveActor
    {
        public Speaker()
        {
            var log = Context.GetLogger();
            Receive<string>(m =>
            {
                log.Info(RunLog.Line("r1", "load", $"said {m}", trial: 4));
                Sender.Tell(m);
            });
        }
    }
}
