using System.Net;
using System.Text.Json.Nodes;
using Churn.Actors.Messages;
using Churn.Host.Api;

namespace Churn.Tests.Host;

/// <summary><c>churn host</c> in this process, driven over real HTTP: submit, follow, read back, cancel.</summary>
public class HostApiTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Submitted_prepare_run_is_accepted_followed_to_the_end_and_read_back()
    {
        await using var host = await TestHost.StartAsync();
        var outDir = Path.Combine(host.Directory, "prep");

        using var response = await host.PostAsync(RunBodies.Prepare(outDir).ToJsonString());

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var submitted = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        var id = submitted["id"]!.GetValue<string>();
        Assert.Equal("queued", submitted["status"]!.GetValue<string>());
        Assert.Equal($"/runs/{id}", response.Headers.Location?.OriginalString);

        var events = await host.EventsAsync(id);
        Assert.Equal(RunEventStream.Queued, events[0].Name);
        Assert.Equal(RunEventStream.Started, events[1].Name);
        Assert.Equal(
            [Stage.Load, Stage.Balance, Stage.Scale, Stage.Split, Stage.Write],
            events.Where(e => e.Name == RunEventStream.StageCompletedEvent).Select(e => e.Data["stage"]!.GetValue<string>()));
        var (last, finished) = events[^1];
        Assert.Equal(RunEventStream.Finished, last);
        Assert.Equal("succeeded", finished["status"]!.GetValue<string>());

        var run = await host.GetJsonAsync($"runs/{id}");
        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        Assert.Equal("prepare", run["mode"]!.GetValue<string>());
        // The default keeps every customer: the natural mix, nothing balanced away.
        Assert.Equal(14084, run["manifest"]!["after"]!["total"]!.GetValue<int>());
        Assert.NotNull(run["startedAt"]);
        Assert.NotNull(run["finishedAt"]);
        Assert.Equal(outDir, run["config"]!["out"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(outDir, "Audiobooks_data_train.npz")));

        var list = await host.GetJsonAsync("runs");
        Assert.Contains(list["runs"]!.AsArray(), r => r!["id"]!.GetValue<string>() == id);
    }

    [Fact]
    public async Task A_run_asked_for_log_features_prepares_with_them_and_says_so()
    {
        await using var host = await TestHost.StartAsync();
        var body = RunBodies.Prepare(Path.Combine(host.Directory, "logged"));
        body["logFeatures"] = "price_avg,last_visit_days";

        var id = await host.SubmitAsync(body);
        await host.EventsAsync(id);

        var run = await host.GetJsonAsync($"runs/{id}");
        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        string[] expected = ["price_avg", "last_visit_days"];
        Assert.Equal(expected, run["config"]!["logFeatures"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(expected, run["manifest"]!["scaler"]!["logFeatures"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task A_late_follower_gets_what_happened_so_far_then_the_end()
    {
        await using var host = await TestHost.StartAsync();
        var id = await host.SubmitAsync(RunBodies.Train(Path.Combine(host.Directory, "late"), maxEpochs: 2));
        var live = await host.EventsAsync(id);

        var late = await host.EventsAsync(id);

        Assert.Equal(live.Select(e => e.Name), late.Select(e => e.Name));
        Assert.Equal(2, late.Count(e => e.Name == RunEventStream.Epoch));
        Assert.Equal("succeeded", late[^1].Data["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_device_that_fails_is_told_in_the_event_stream_before_the_first_epoch()
    {
        await using var host = await TestHost.StartAsync();
        var body = RunBodies.Train(Path.Combine(host.Directory, "fallback"), maxEpochs: 2);
        body["device"] = "cuda";
        var id = await host.SubmitAsync(body);

        var live = await host.EventsAsync(id);

        var names = live.Select(e => e.Name).ToList();
        var fallback = Assert.Single(live, e => e.Name == RunEventStream.DeviceFallback).Data;
        Assert.Equal(id, fallback["runId"]!.GetValue<string>());
        Assert.Equal("cuda", fallback["device"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(fallback["reason"]!.GetValue<string>()));
        Assert.True(names.IndexOf(RunEventStream.DeviceFallback) < names.IndexOf(RunEventStream.Epoch), string.Join(", ", names));
        Assert.Equal("succeeded", live[^1].Data["status"]!.GetValue<string>());
        Assert.Equal("cpu", live[^1].Data["metrics"]!["training"]!["device"]!.GetValue<string>());

        // What the CLI decodes from the frame is the event the trainer sent.
        var frame = live.Single(e => e.Name == RunEventStream.DeviceFallback);
        var decoded = Assert.IsType<DeviceFellBack>(RunEventStream.Decode(frame.Name, frame.Data.ToJsonString()));
        Assert.Equal((frame.Name, frame.Data.ToJsonString(RunEventStream.Json)), RunEventStream.Encode(decoded)!.Value);
    }

    [Fact]
    public async Task Full_run_reports_its_epochs_metrics_and_artifacts()
    {
        await using var host = await TestHost.StartAsync();
        var outDir = Path.Combine(host.Directory, "full");
        var id = await host.SubmitAsync(RunBodies.Train(outDir, maxEpochs: 2));

        var events = await host.EventsAsync(id);

        Assert.Equal([1, 2], events.Where(e => e.Name == RunEventStream.Epoch).Select(e => e.Data["epoch"]!.GetValue<int>()));
        var run = await host.GetJsonAsync($"runs/{id}");
        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        Assert.Equal(2, run["epoch"]!.GetValue<int>());
        Assert.Equal(2, run["epochs"]!.AsArray().Count);
        Assert.InRange(run["metrics"]!["test"]!["accuracy"]!.GetValue<double>(), 0.5, 1.0);
        Assert.Equal(2, run["metrics"]!["training"]!["epochsRun"]!.GetValue<int>());
        Assert.Contains(Path.Combine(outDir, "metrics.json"), run["artifacts"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(
            [Stage.Load, Stage.Balance, Stage.Scale, Stage.Split, Stage.Write, Stage.Train, Stage.Evaluate, Stage.Explain, Stage.Save],
            run["stages"]!.AsArray().Select(s => s!["stage"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_runs_logs_carry_its_id_and_the_actor_paths_they_came_from()
    {
        await using var host = await TestHost.StartAsync();
        var id = await host.SubmitAsync(RunBodies.Prepare(Path.Combine(host.Directory, "logged")));
        await host.EventsAsync(id);

        var logs = await host.GetJsonAsync($"runs/{id}/logs");

        var lines = logs["lines"]!.AsArray().Select(l => l!).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Equal(id, l["runId"]!.GetValue<string>()));
        var sources = lines.Select(l => l["source"]!.GetValue<string>()).ToHashSet();
        Assert.Contains("akka://churn/user/runs", sources);
        Assert.Contains($"akka://churn/user/runs/run-{id}", sources);
        Assert.Contains(sources, s => s.StartsWith("akka://churn/user/loader/", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.DoesNotContain("[INFO]", l["message"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.Contains(lines, l => l["stage"]!.GetValue<string>() == Stage.Write && l["message"]!.GetValue<string>().Contains("succeeded", StringComparison.Ordinal));

        var firstTwo = await host.GetJsonAsync($"runs/{id}/logs?limit=2");
        Assert.Equal([.. lines.Take(2).Select(l => l.ToJsonString())], firstTwo["lines"]!.AsArray().Select(l => l!.ToJsonString()));
        using var badLimit = await host.Http.GetAsync($"runs/{id}/logs?limit=0", TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, badLimit.StatusCode);

        var coordinatorOnly = await host.GetJsonAsync($"runs/{id}/logs?actor=/user/runs/run-*&level=info");
        Assert.NotEmpty(coordinatorOnly["lines"]!.AsArray());
        Assert.All(coordinatorOnly["lines"]!.AsArray(), l => Assert.StartsWith($"akka://churn/user/runs/run-{id}", l!["source"]!.GetValue<string>(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancel_ends_a_queued_run_at_once_and_a_running_one_between_epochs()
    {
        await using var host = await TestHost.StartAsync(maxConcurrentRuns: 1);
        var running = await host.SubmitAsync(RunBodies.Endless(Path.Combine(host.Directory, "endless")));
        var queued = await host.SubmitAsync(RunBodies.Prepare(Path.Combine(host.Directory, "waiting")));
        var waiting = await host.GetJsonAsync($"runs/{queued}");
        Assert.Equal("queued", waiting["status"]!.GetValue<string>());
        Assert.Equal(1, waiting["position"]!.GetValue<int>());

        using (var cancelQueued = await host.Http.DeleteAsync($"runs/{queued}", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, cancelQueued.StatusCode);
        }

        var cancelled = await host.GetJsonAsync($"runs/{queued}");
        Assert.Equal("cancelled", cancelled["status"]!.GetValue<string>());
        Assert.Null(cancelled["startedAt"]);

        await host.WaitForAsync(running, r => r["epoch"] is not null, Patience);
        using (var cancelRunning = await host.Http.DeleteAsync($"runs/{running}", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancelRunning.StatusCode);
        }

        var events = await host.EventsAsync(running);
        var end = events[^1].Data;
        Assert.Equal("cancelled", end["status"]!.GetValue<string>());
        Assert.Equal(Stage.Train, end["stage"]!.GetValue<string>());
        using var again = await host.Http.DeleteAsync($"runs/{running}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task A_failing_run_is_recorded_and_the_host_keeps_taking_runs()
    {
        await using var host = await TestHost.StartAsync();
        var broken = Path.Combine(host.Directory, "broken.csv");
        await File.WriteAllTextAsync(broken, "this is not,the customer file\n1,2\n", TestContext.Current.CancellationToken);
        var bad = RunBodies.Prepare(Path.Combine(host.Directory, "bad"));
        bad["data"] = broken;

        var failedId = await host.SubmitAsync(bad);
        var failed = (await host.EventsAsync(failedId))[^1].Data;
        var good = await host.SubmitAsync(RunBodies.Prepare(Path.Combine(host.Directory, "good")));
        var succeeded = (await host.EventsAsync(good))[^1].Data;

        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        Assert.Equal(Stage.Load, failed["stage"]!.GetValue<string>());
        Assert.Contains("broken.csv", failed["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("succeeded", succeeded["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_answers_without_a_token()
    {
        await using var host = await TestHost.StartAsync(apiToken: "s3cret-s3cret-s3cret");

        var health = await host.GetJsonAsync("health");

        Assert.Equal("ok", health["status"]!.GetValue<string>());
    }
}
