using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Hosting;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Actors.Runs;
using Churn.Host.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Churn.Tests.Host;

/// <summary>Every bound a request meets on the host, refused with a 4xx that names the limit, and the list queries.</summary>
public class HostLimitsTests
{
    /// <summary>
    /// GET of the stream at <paramref name="path"/> once a place among the event streams is free again (a closed stream
    /// gives its place back when the host notices the disconnect): the open response, or a failure naming what kept it.
    /// </summary>
    private static async Task<HttpResponseMessage> StreamOnceFreeAsync(TestHost host, string path, string keptItsPlace)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var response = await host.Http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return response;
            }
            response.Dispose();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), keptItsPlace);
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    private static async Task<(HttpStatusCode Status, JsonNode Body)> PostAsync(TestHost host, string path, JsonObject body)
    {
        using var response = await host.Http.PostAsync(path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!);
    }

    [Fact]
    public async Task A_full_queue_is_a_429_naming_the_limit_and_takes_runs_again_once_there_is_room()
    {
        await using var host = await TestHost.StartAsync(hostSettings: new JsonObject { ["limits"] = new JsonObject { ["maxQueuedRuns"] = 2 } });
        var running = await host.SubmitAsync(RunBodies.Endless(Path.Combine(host.Directory, "endless")));
        var waiting = new[]
        {
            await host.SubmitAsync(RunBodies.Prepare(Path.Combine(host.Directory, "w1"))),
            await host.SubmitAsync(RunBodies.Prepare(Path.Combine(host.Directory, "w2"))),
        };

        var (status, problem) = await PostAsync(host, "runs", RunBodies.Prepare(Path.Combine(host.Directory, "w3")));
        using var cancel = await host.Http.DeleteAsync($"runs/{waiting[0]}", TestContext.Current.CancellationToken);
        var (again, _) = await PostAsync(host, "runs", RunBodies.Prepare(Path.Combine(host.Directory, "w4")));

        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Contains("host.limits.maxQueuedRuns", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, again);
        Assert.Equal(4, host.Server.Store.List(null, 100).Length);
        Assert.Equal(RunStatus.Running, host.Server.Store.Get(running)!.Status);
    }

    public static TheoryData<string, string, string> OverLimit => new()
    {
        { """{"model": {"width": 4096, "depth": 10, "maxEpochs": 10000, "patience": 10000}}""", "model.width", "host.limits.maxWidth" },
        { """{"model": {"depth": 9}}""", "model.depth", "host.limits.maxDepth" },
        { """{"model": {"width": 1024, "depth": 4}}""", "model.width", "host.limits.maxParameters" },
        { """{"model": {"maxEpochs": 10000}}""", "model.maxEpochs", "host.limits.maxEpochs" },
        { """{"model": {"patience": 5000}}""", "model.patience", "host.limits.maxPatience" },
    };

    [Theory]
    [MemberData(nameof(OverLimit))]
    public async Task A_network_or_training_over_the_hosts_limits_is_a_400_naming_field_and_limit(string body, string field, string limit)
    {
        await using var host = await TestHost.StartAsync();

        var (status, problem) = await PostAsync(host, "runs", JsonNode.Parse(body)!.AsObject());

        Assert.Equal(HttpStatusCode.BadRequest, status);
        // Every field over a limit is named (in the form's order), each with its limit.
        var named = problem["errors"]!.AsArray().Single(e => e!["field"]!.GetValue<string>() == field);
        Assert.Contains(limit, named!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(limit, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(host.Server.Store.List(null, 10));
    }

    [Fact]
    public async Task A_search_over_the_trial_limit_is_refused_at_once_and_records_nothing()
    {
        await using var host = await TestHost.StartAsync();

        var (status, problem) = await PostAsync(host, "searches", new JsonObject { ["trials"] = 10000, ["seeds"] = 100, ["maxEpochs"] = 1, ["parallel"] = 1 });
        var (epochs, epochProblem) = await PostAsync(host, "searches", new JsonObject { ["trials"] = 2, ["seeds"] = 1, ["maxEpochs"] = 5000 });
        var (wide, wideProblem) = await PostAsync(host, "searches", new JsonObject { ["trials"] = 2, ["seeds"] = 1, ["space"] = new JsonObject { ["width"] = new JsonArray(4096) } });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("trials", problem["field"]!.GetValue<string>());
        Assert.Contains("host.limits.maxTrialsPerSearch", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, epochs);
        Assert.Equal("maxEpochs", epochProblem["field"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, wide);
        Assert.Equal("space.width", wideProblem["field"]!.GetValue<string>());
        Assert.Equal(0, Churn.Host.Search.SearchStore.Open(host.StorePath).Unwrap().Running());
    }

    [Fact]
    public async Task Searches_beyond_the_concurrent_limit_are_a_429()
    {
        await using var host = await TestHost.StartAsync(hostSettings: new JsonObject { ["limits"] = new JsonObject { ["maxConcurrentSearches"] = 1 } });
        var endless = new JsonObject { ["trials"] = 1, ["seeds"] = 1, ["maxEpochs"] = 1000, ["space"] = new JsonObject { ["patience"] = new JsonArray(1000) }, ["out"] = Path.Combine(host.Directory, "s1") };

        var (first, _) = await PostAsync(host, "searches", endless);
        endless["out"] = Path.Combine(host.Directory, "s2");
        var (second, problem) = await PostAsync(host, "searches", endless);

        Assert.Equal(HttpStatusCode.Accepted, first);
        Assert.Equal(HttpStatusCode.TooManyRequests, second);
        Assert.Contains("host.limits.maxConcurrentSearches", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_submitted_while_the_host_stops_is_a_503()
    {
        await using var host = await TestHost.StartAsync();
        var runs = host.Server.Services.GetRequiredService<ActorRegistry>().Get<RunsActor>();

        // What the host tells the runs actor as it begins to stop.
        runs.Tell(new StopAllRuns(ChurnActorsSetup.StopGrace), ActorRefs.NoSender);
        var (status, problem) = await PostAsync(host, "runs", RunBodies.Prepare(Path.Combine(host.Directory, "late")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("shutting down", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(host.Server.Store.List(null, 10));
    }

    [Fact]
    public async Task The_list_filters_by_status_and_limits_newest_first()
    {
        await using var host = await TestHost.StartAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = await host.SubmitAsync(RunBodies.Prepare(Path.Combine(host.Directory, $"p{i}")));
            await host.WaitForAsync(id, r => RunStatus.IsFinished(r["status"]!.GetValue<string>()), TimeSpan.FromMinutes(2));
            ids.Add(id);
        }
        var cancelled = await host.SubmitAsync(RunBodies.Endless(Path.Combine(host.Directory, "endless")));
        using (await host.Http.DeleteAsync($"runs/{cancelled}", TestContext.Current.CancellationToken))
        {
        }
        await host.WaitForAsync(cancelled, r => RunStatus.IsFinished(r["status"]!.GetValue<string>()), TimeSpan.FromMinutes(2));

        static IEnumerable<string> Ids(JsonNode list) => list["runs"]!.AsArray().Select(r => r!["id"]!.GetValue<string>());
        var succeeded = Ids(await host.GetJsonAsync("runs?status=succeeded"));
        var two = Ids(await host.GetJsonAsync("runs?status=succeeded&limit=2"));
        var onlyCancelled = Ids(await host.GetJsonAsync("runs?status=cancelled"));
        var newest = Ids(await host.GetJsonAsync("runs?limit=1"));
        using var badStatus = await host.Http.GetAsync("runs?status=sleeping", TestContext.Current.CancellationToken);
        using var badLimit = await host.Http.GetAsync("runs?limit=0", TestContext.Current.CancellationToken);

        Assert.Equal(Enumerable.Reverse(ids), succeeded);
        Assert.Equal(Enumerable.Reverse(ids).Take(2), two);
        Assert.Equal([cancelled], onlyCancelled);
        Assert.Equal([cancelled], newest);
        Assert.Equal(HttpStatusCode.BadRequest, badStatus.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
    }

    [Fact]
    public async Task Event_streams_beyond_the_limit_are_a_429_and_a_closed_stream_frees_its_place()
    {
        await using var host = await TestHost.StartAsync(hostSettings: new JsonObject { ["limits"] = new JsonObject { ["maxEventStreams"] = 1 } });
        var id = await host.SubmitAsync(RunBodies.Endless(Path.Combine(host.Directory, "endless")));

        var first = await host.Http.GetAsync($"runs/{id}/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        using (var second = await host.Http.GetAsync($"runs/{id}/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
            Assert.Contains("host.limits.maxEventStreams", await second.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
        first.Dispose();

        (await StreamOnceFreeAsync(host, $"runs/{id}/events", "the closed stream kept its place")).Dispose();
    }
    [Fact]
    public async Task A_search_event_stream_takes_its_place_among_the_same_event_streams_as_the_runs()
    {
        await using var host = await TestHost.StartAsync(hostSettings: new JsonObject { ["limits"] = new JsonObject { ["maxEventStreams"] = 1 } });
        var run = await host.SubmitAsync(RunBodies.Endless(Path.Combine(host.Directory, "endless")));
        var body = new JsonObject
        {
            ["trials"] = 1,
            ["seeds"] = 1,
            ["maxEpochs"] = 1000,
            ["space"] = new JsonObject { ["patience"] = new JsonArray(1000) },
            ["data"] = TestPaths.BundledData,
            ["out"] = Path.Combine(host.Directory, "search"),
        };
        using var posted = await host.Http.PostAsync("searches", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var answer = await posted.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(posted.StatusCode == HttpStatusCode.Accepted, answer);
        var search = JsonNode.Parse(answer)!["id"]!.GetValue<string>();

        var first = await host.Http.GetAsync($"searches/{search}/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        using (var runStream = await host.Http.GetAsync($"runs/{run}/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken))
        using (var searchStream = await host.Http.GetAsync($"searches/{search}/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.TooManyRequests, runStream.StatusCode);
            Assert.Equal(HttpStatusCode.TooManyRequests, searchStream.StatusCode);
            Assert.Contains($"poll GET /searches/{search}", await searchStream.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
        first.Dispose();

        (await StreamOnceFreeAsync(host, $"runs/{run}/events", "the closed search stream kept its place")).Dispose();
    }

    [Fact]
    public async Task A_log_stream_takes_its_place_among_the_same_event_streams_as_the_runs()
    {
        await using var host = await TestHost.StartAsync(hostSettings: new JsonObject { ["limits"] = new JsonObject { ["maxEventStreams"] = 1 } });
        var run = await host.SubmitAsync(RunBodies.Endless(Path.Combine(host.Directory, "endless")));

        var logs = await host.Http.GetAsync($"runs/{run}/logs/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        using (var runStream = await host.Http.GetAsync($"runs/{run}/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken))
        using (var logStream = await host.Http.GetAsync($"runs/{run}/logs/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, logs.StatusCode);
            Assert.Equal("text/event-stream", logs.Content.Headers.ContentType?.MediaType);
            Assert.Equal(HttpStatusCode.TooManyRequests, runStream.StatusCode);
            Assert.Equal(HttpStatusCode.TooManyRequests, logStream.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(10), logStream.Headers.RetryAfter?.Delta);
            Assert.Contains($"poll GET /runs/{run}/logs", await logStream.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
        logs.Dispose();

        // The closed log stream frees its place for a run stream, and an open run stream keeps the log stream out.
        using (await StreamOnceFreeAsync(host, $"runs/{run}/events", "the closed log stream kept its place"))
        using (var refused = await host.Http.GetAsync($"runs/{run}/logs/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }
    }

    [Fact]
    public async Task The_stream_of_every_run_takes_its_place_among_the_same_event_streams_and_gives_it_back_when_closed()
    {
        await using var host = await TestHost.StartAsync(hostSettings: new JsonObject { ["limits"] = new JsonObject { ["maxEventStreams"] = 1 } });
        var run = await host.SubmitAsync(RunBodies.Prepare(Path.Combine(host.Directory, "prepared")));
        await host.EventsAsync(run);

        var all = await host.Http.GetAsync("runs/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        using (var runStream = await host.Http.GetAsync($"runs/{run}/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken))
        using (var second = await host.Http.GetAsync("runs/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken))
        {
            // "events" is the stream's, not a run id.
            Assert.Equal(HttpStatusCode.OK, all.StatusCode);
            Assert.Equal("text/event-stream", all.Content.Headers.ContentType?.MediaType);
            Assert.Equal(HttpStatusCode.TooManyRequests, runStream.StatusCode);
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
            Assert.Contains("poll GET /runs", await second.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
        all.Dispose();

        (await StreamOnceFreeAsync(host, $"runs/{run}/events", "the closed stream of every run kept its place")).Dispose();
    }
}
