using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Churn.Host;
using Churn.Host.Configuration;
using Churn.Host.Logging;
using Microsoft.Extensions.DependencyInjection;
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
        using var host = ChurnHostBuilder.Embedded(config, verbose: false, journal: null);
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
        Assert.Equal("Information", said.Level);
        Assert.InRange(said.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);
    }

    [Fact]
    public void The_bridges_state_gives_the_source_and_time_and_its_prefix_is_dropped_from_the_message()
    {
        // The shape of the state Akka.Hosting's bridge logs with: LogSource is the actor's path, ActorPath the sender's.
        var path = "akka://churn/user/runs/run-r1";
        KeyValuePair<string, object?>[] state =
        [
            new("0", "x"),
            new("ActorPath", "akka://churn/deadLetters"),
            new("Timestamp", At),
            new("Thread", 8),
            new("LogSource", path),
            new("{OriginalFormat}", "run=r1 stage=load started {0}"),
        ];

        var entry = LogEntry.From(LogLevel.Information, "Akka.Actor.ActorSystem", state, $"[INFO][{At:O}][Thread 0008][{path}] run=r1 stage=load started x", null, At.AddHours(1));

        Assert.Equal(path, entry.Source);
        Assert.Equal("r1", entry.RunId);
        Assert.Equal("load", entry.Stage);
        Assert.Equal("started x", entry.Message);
        Assert.Equal(At, entry.Timestamp);
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
    public void Files_are_read_day_by_day_and_rolled_files_after_their_first()
    {
        var dir = TestPaths.NewTempDirectory();
        foreach (var (name, message) in new[] { ("churn-20250102.jsonl", "3"), ("churn-20250101-1.jsonl", "2"), ("churn-20250101.jsonl", "1"), ("other.jsonl", "x") })
        {
            File.WriteAllText(Path.Combine(dir, name), new LogEntry(At, "Information", "s", null, null, message, null).ToJsonLine() + "\n");
        }

        Assert.Equal(["1", "2", "3"], LogFiles.Read(dir, LogQuery.All).Select(e => e.Message));
    }

    [Fact]
    public async Task Following_hands_over_lines_as_they_are_appended_but_not_half_written_ones()
    {
        var dir = TestPaths.NewTempDirectory();
        var file = Path.Combine(dir, "churn-20250101.jsonl");
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

    private sealed class Speaker : ReceiveActor
    {
        public Speaker()
        {
            var log = Context.GetLogger();
            Receive<string>(m =>
            {
                log.Info("run=r1 stage=load said {0}", m);
                Sender.Tell(m);
            });
        }
    }
}
