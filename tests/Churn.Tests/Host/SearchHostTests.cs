using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Churn.Host.Search;
using Churn.Numerics.Search;
using Churn.Tests.Cli;

namespace Churn.Tests.Host;

/// <summary><c>/searches</c> on a host in this process, and a <c>churn host</c> process killed mid-search and started again.</summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public class SearchHostTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(180);

    private static JsonObject Space(int trials, int seeds, int maxEpochs, int patience = 20) => new()
    {
        ["trials"] = trials,
        ["seeds"] = seeds,
        ["maxEpochs"] = maxEpochs,
        ["space"] = new JsonObject
        {
            ["depth"] = new JsonArray(1, 2),
            ["width"] = new JsonArray(16, 32, 64),
            ["activation"] = new JsonArray("relu", "tanh"),
            ["learningRate"] = new JsonObject { ["min"] = 0.0005, ["max"] = 0.005, ["scale"] = "log" },
            ["batchSize"] = new JsonArray(64, 128),
            ["patience"] = new JsonArray(patience),
            ["dropout"] = new JsonArray(0, 0.1),
            ["weightDecay"] = new JsonArray(0),
            // The plain network only: its epochs are what maxEpochs says (a PLR trial also trains its distilled network).
            ["kind"] = new JsonArray("plain"),
        },
    };

    private static JsonObject Body(string outDir, int trials = 3, int seeds = 2, int maxEpochs = 4, int patience = 20)
    {
        var body = Space(trials, seeds, maxEpochs, patience);
        body["data"] = TestPaths.BundledData;
        body["out"] = outDir;
        body["seed"] = 3;
        body["parallel"] = 2;
        return body;
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, JsonObject body) =>
        await http.PostAsync("searches", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

    private static async Task<string> SubmitAsync(HttpClient http, JsonObject body)
    {
        using var response = await PostAsync(http, body);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["id"]!.GetValue<string>();
    }

    private static async Task<JsonNode> WaitForAsync(HttpClient http, string id, Func<JsonNode, bool> until)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            JsonNode? search = null;
            try
            {
                search = JsonNode.Parse(await http.GetStringAsync($"searches/{id}", TestContext.Current.CancellationToken))!;
            }
            catch (HttpRequestException)
            {
                // A host still starting.
            }
            if (search is not null && until(search))
            {
                return search;
            }
            Assert.True(DateTime.UtcNow < deadline, $"search {id} did not get there: {search?.ToJsonString()}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    private static string Status(JsonNode search) => search["status"]!.GetValue<string>();

    [Fact]
    public async Task A_search_reads_no_more_rows_than_the_configured_limits_allow_as_a_run()
    {
        await using var host = await TestHost.StartAsync(runSettings: new JsonObject { ["limits"] = new JsonObject { ["maxRows"] = 100 } });

        var id = await SubmitAsync(host.Http, Body(Path.Combine(host.Directory, "search"), trials: 1, seeds: 1, maxEpochs: 2));
        var done = await WaitForAsync(host.Http, id, s => Status(s) != "running");
        using var run = await host.Http.PostAsync("runs", new StringContent($$"""{"data": {{JsonValue.Create(TestPaths.BundledData).ToJsonString()}}}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var runId = JsonNode.Parse(await run.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["id"]!.GetValue<string>();
        JsonNode? failedRun = null;
        for (var deadline = DateTime.UtcNow + Patience; failedRun?["status"]?.GetValue<string>() is not ("failed" or "succeeded"); await Task.Delay(200, TestContext.Current.CancellationToken))
        {
            Assert.True(DateTime.UtcNow < deadline, $"run {runId} did not end: {failedRun?.ToJsonString()}");
            failedRun = JsonNode.Parse(await host.Http.GetStringAsync($"runs/{runId}", TestContext.Current.CancellationToken));
        }

        Assert.Equal("failed", Status(done));
        Assert.Contains("more than the limit of 100 rows (limits.maxRows)", done["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("failed", failedRun["status"]!.GetValue<string>());
        Assert.Contains("more than the limit of 100 rows (limits.maxRows)", failedRun.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_searchs_winner_plays_the_configured_campaign()
    {
        await using var host = await TestHost.StartAsync(runSettings: new JsonObject { ["campaign"] = new JsonObject { ["contactCost"] = 5 } });

        var id = await SubmitAsync(host.Http, Body(Path.Combine(host.Directory, "search"), trials: 1, seeds: 1, maxEpochs: 2));
        var done = await WaitForAsync(host.Http, id, s => Status(s) != "running");

        Assert.Equal("completed", Status(done));
        var campaign = done["summary"]!["winnerPopulation"]!["campaign"]!;
        Assert.Equal(5, campaign["contactCost"]!.GetValue<double>());
        Assert.Equal(10, campaign["conversionValue"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_search_posted_to_the_host_runs_to_a_leaderboard_and_its_report()
    {
        await using var host = await TestHost.StartAsync();
        var outDir = Path.Combine(host.Directory, "search");

        var id = await SubmitAsync(host.Http, Body(outDir));
        var done = await WaitForAsync(host.Http, id, s => Status(s) != "running");

        Assert.Equal("completed", Status(done));
        Assert.Equal(6, done["trials"]!["completed"]!.GetValue<int>());
        Assert.Equal(3, done["leaderboard"]!.AsArray().Count);
        Assert.Equal(SearchFiles.TestNote, done["testUse"]!.GetValue<string>());
        Assert.NotNull(done["summary"]!["winnerTest"]!["accuracy"]);
        // The default keeps every customer, so nobody is left out and the population is the test split itself.
        Assert.Null(done["summary"]!["winnerLeftOut"]);
        Assert.InRange(done["summary"]!["winnerPopulation"]!["rocAuc"]!.GetValue<double>(), 0.5, 1.0);
        Assert.True(File.Exists(Path.Combine(outDir, SearchFiles.BestFile)));
        Assert.True(File.Exists(Path.Combine(outDir, "model", "model.json")));

        // Its log lines, the first ?limit= of them as for a run; a bad value is a 400 naming the parameter.
        var lines = (await host.GetJsonAsync($"searches/{id}/logs"))["lines"]!.AsArray();
        Assert.True(lines.Count > 3, $"{lines.Count} lines");
        Assert.All(lines, l => Assert.StartsWith(id, l!["runId"]!.GetValue<string>(), StringComparison.Ordinal));
        var first = (await host.GetJsonAsync($"searches/{id}/logs?limit=3"))["lines"]!.AsArray();
        Assert.Equal(lines.Take(3).Select(l => l!.ToJsonString()), first.Select(l => l!.ToJsonString()));
        var warnings = (await host.GetJsonAsync($"searches/{id}/logs?level=warning"))["lines"]!.AsArray();
        Assert.True(warnings.Count < lines.Count);
        foreach (var (query, field) in new[] { ("limit=0", "limit"), ("limit=10001", "limit"), ("limit=x", "limit"), ("level=loud", "level") })
        {
            using var bad = await host.Http.GetAsync($"searches/{id}/logs?{query}", TestContext.Current.CancellationToken);
            var problem = JsonNode.Parse(await bad.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
            Assert.Equal((HttpStatusCode.BadRequest, field), (bad.StatusCode, problem["field"]!.GetValue<string>()));
        }

        using var again = await host.Http.DeleteAsync($"searches/{id}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var unknown = await host.Http.GetAsync("searches/search-nope", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Churn_search_with_host_sends_the_search_there_and_prints_its_leaderboard()
    {
        await using var host = await TestHost.StartAsync();
        var dir = TestPaths.NewTempDirectory();
        await File.WriteAllTextAsync(Path.Combine(dir, "space.json"), Space(3, 1, 3).ToJsonString(), TestContext.Current.CancellationToken);

        var result = await ChurnProcess.RunAsync(
            dir, "search", "--host", host.Server.Address.ToString(), "--space", "space.json", "--data", TestPaths.BundledData, "--out", Path.Combine(dir, "remote"));

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("submitted to", result.Stderr);
        Assert.Contains("rank  cfg  calibrated loss  validation loss", result.Stdout);
        Assert.Contains(SearchFiles.TestNote, result.Stdout);
        Assert.True(File.Exists(Path.Combine(dir, "remote", SearchFiles.BestFile)));
        // Followed through the host's event stream; stderr is a file here, so plain lines: one per trial, numbered from 1.
        Assert.DoesNotContain('\u001b', result.Stderr);
        var trialLines = result.Stderr.Split('\n').Where(l => l.TrimStart().StartsWith("trial ", StringComparison.Ordinal)).ToList();
        Assert.Equal([1, 2, 3], trialLines.Select(l => int.Parse(l.TrimStart().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture)).Order());
        Assert.All(trialLines, l => Assert.Contains("seed 1: completed after 3 epochs", l, StringComparison.Ordinal));
    }

    /// <summary>Every event of a search's stream, read until the host ends it (after <c>finished</c>).</summary>
    private static async Task<List<(string Name, JsonNode Data)>> SearchEventsAsync(HttpClient http, string id)
    {
        using var response = await http.GetAsync($"searches/{id}/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
        var events = new List<(string, JsonNode)>();
        await foreach (var (name, data) in Churn.Host.Api.RunEventStream.Read(stream, TestContext.Current.CancellationToken))
        {
            events.Add((name, JsonNode.Parse(data)!));
        }
        return events;
    }

    private static int Number(JsonNode data, string field) => data[field]!.GetValue<int>();

    [Fact]
    public async Task A_search_event_stream_tells_every_trial_numbered_from_1_live_and_again_from_the_store_then_finished()
    {
        await using var host = await TestHost.StartAsync();
        var id = await SubmitAsync(host.Http, Body(Path.Combine(host.Directory, "search"), trials: 2, seeds: 2, maxEpochs: 3));

        var live = await SearchEventsAsync(host.Http, id);
        var replayed = await SearchEventsAsync(host.Http, id);

        foreach (var events in new[] { live, replayed })
        {
            var (name, head) = events[0];
            Assert.Equal("search", name);
            Assert.Equal((id, 2, 2, 4, 2), (head["searchId"]!.GetValue<string>(), Number(head, "configurations"), Number(head, "seeds"), Number(head, "trials"), Number(head, "parallel")));
            Assert.Equal("finished", events[^1].Name);
            Assert.Single(events, e => e.Name == "finished");
            var finished = events[^1].Data;
            Assert.Equal("completed", finished["status"]!.GetValue<string>());
            Assert.Equal([1, 2], finished["summary"]!["leaderboard"]!.AsArray().Select(r => Number(r!, "configuration")).Order());

            var started = events.Where(e => e.Name == "trial-started").Select(e => e.Data).ToList();
            var ended = events.Where(e => e.Name == "trial-ended").Select(e => e.Data).ToList();
            Assert.Equal([1, 2, 3, 4], started.Select(d => Number(d, "trial")).Order());
            Assert.Equal([1, 2, 3, 4], ended.Select(d => Number(d, "trial")).Order());
            foreach (var d in ended)
            {
                // Trial t is configuration ⌈t/2⌉, seed 2 - t % 2: numbered as the console and leaderboard.csv number them.
                var trial = Number(d, "trial");
                Assert.Equal(((trial + 1) / 2, 2 - (trial % 2)), (Number(d, "configuration"), Number(d, "seed")));
                Assert.Equal("completed", d["status"]!.GetValue<string>());
                Assert.Equal([1, 2, 3], d["history"]!.AsArray().Select(h => Number(h!, "epoch")));
                Assert.True(
                    events.FindIndex(e => e.Name == "trial-started" && Number(e.Data, "trial") == trial) < events.FindIndex(e => e.Name == "trial-ended" && Number(e.Data, "trial") == trial),
                    $"trial {trial} ended before it started");
            }
            Assert.All(events.Skip(1).SkipLast(1), e => Assert.Equal(id, e.Data["searchId"]!.GetValue<string>()));
        }

        // Live, the stream told the epochs as they came and the winner it trained; from the store, what is kept.
        var epochs = live.Where(e => e.Name == "epoch").Select(e => e.Data).ToList();
        Assert.NotEmpty(epochs);
        Assert.All(epochs, d => Assert.InRange(Number(d, "trial"), 1, 4));
        Assert.All(epochs, d => Assert.InRange(Number(d, "epoch"), 1, 3));
        var winner = Assert.Single(live, e => e.Name == "winner").Data;
        Assert.Equal(Number(live[^1].Data["summary"]!["leaderboard"]![0]!, "configuration"), Number(winner, "configuration"));
        Assert.DoesNotContain(replayed, e => e.Name is "epoch" or "winner");

        using var unknown = await host.Http.GetAsync("searches/search-nope/events", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Theory]
    [InlineData("""{ "space": { "dropout": [0, 1.5] } }""", "space.dropout[1]")]
    [InlineData("""{ "seeds": "three" }""", "seeds")]
    [InlineData("""{ "parallel": 0 }""", "parallel")]
    [InlineData("""{ "data": "/nonexistent.csv" }""", "data")]
    [InlineData("""{ "colour": "blue" }""", "colour")]
    public async Task A_bad_search_request_is_a_400_naming_the_field(string body, string field)
    {
        await using var host = await TestHost.StartAsync();

        using var response = await host.Http.PostAsync("searches", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        Assert.StartsWith(field, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_bad_search_fields_are_one_400_listing_each()
    {
        await using var host = await TestHost.StartAsync();
        var body = """
            { "trials": 0, "minDelta": -1, "sampling": "sideways", "parallel": 0, "seed": "x", "data": "/nonexistent.csv",
              "space": { "dropout": [0, 1.5], "width": { "min": 0, "max": 8 }, "colour": "blue" } }
            """;

        using var response = await host.Http.PostAsync("searches", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        var fields = problem["errors"]!.AsArray().Select(e => e!["field"]!.GetValue<string>()).ToList();
        string[] expected = ["data", "minDelta", "parallel", "sampling", "seed", "space.colour", "space.dropout[1]", "space.width.min", "trials"];
        Assert.Equal(expected, fields.Order(StringComparer.Ordinal));
        Assert.All(problem["errors"]!.AsArray(), e => Assert.False(string.IsNullOrWhiteSpace(e!["reason"]!.GetValue<string>())));
        Assert.Equal(fields[0], problem["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deleting_a_running_search_cancels_it_and_keeps_the_best_so_far()
    {
        await using var host = await TestHost.StartAsync();
        var id = await SubmitAsync(host.Http, Body(Path.Combine(host.Directory, "endless"), trials: 4, seeds: 1, maxEpochs: 1000, patience: 1000));
        await WaitForAsync(host.Http, id, s => s["epochsSpent"]!.GetValue<int>() > 0);

        using var cancel = await host.Http.DeleteAsync($"searches/{id}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var cancelled = await WaitForAsync(host.Http, id, s => Status(s) != "running");

        Assert.Equal("cancelled", Status(cancelled));
        Assert.Equal(0, cancelled["trials"]!["running"]!.GetValue<int>());
        Assert.True(cancelled["trials"]!["cancelled"]!.GetValue<int>() >= 1);
    }

    [Fact]
    public async Task A_cancelled_search_is_listed_and_resumed_through_the_api_to_completion()
    {
        await using var host = await TestHost.StartAsync();
        var id = await SubmitAsync(host.Http, Body(Path.Combine(host.Directory, "resumed"), trials: 3, seeds: 1, maxEpochs: 40, patience: 40));
        await WaitForAsync(host.Http, id, s => s["epochsSpent"]!.GetValue<int>() > 0);
        using (var cancel = await host.Http.DeleteAsync($"searches/{id}", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }
        await WaitForAsync(host.Http, id, s => Status(s) == "cancelled");
        var listed = JsonNode.Parse(await host.Http.GetStringAsync("searches", TestContext.Current.CancellationToken))!["searches"]!.AsArray();
        var entry = Assert.Single(listed)!;
        Assert.Equal(id, entry["id"]!.GetValue<string>());
        Assert.Equal("cancelled", entry["status"]!.GetValue<string>());
        Assert.Equal(3, entry["trials"]!.GetValue<int>());

        using var resume = await host.Http.PostAsync($"searches/{id}/resume", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, resume.StatusCode);
        using (var twice = await host.Http.PostAsync($"searches/{id}/resume", null, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        }
        var done = await WaitForAsync(host.Http, id, s => Status(s) is not ("running" or "cancelled"));

        Assert.Equal("completed", Status(done));
        Assert.Equal(3, done["trials"]!["completed"]!.GetValue<int>());
        var after = JsonNode.Parse(await host.Http.GetStringAsync("searches", TestContext.Current.CancellationToken))!["searches"]![0]!;
        Assert.Equal("completed", after["status"]!.GetValue<string>());
        Assert.Equal(3, after["trialsByStatus"]!["completed"]!.GetValue<int>());
        using (var completed = await host.Http.PostAsync($"searches/{id}/resume", null, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Conflict, completed.StatusCode);
        }
        using var unknown = await host.Http.PostAsync("searches/search-nope/resume", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_search_cancelled_on_a_host_is_resumed_from_the_command_line_with_its_store()
    {
        string id, store;
        await using (var host = await TestHost.StartAsync())
        {
            store = host.StorePath;
            id = await SubmitAsync(host.Http, Body(Path.Combine(host.Directory, "cli-resumed"), trials: 2, seeds: 1, maxEpochs: 30, patience: 30));
            await WaitForAsync(host.Http, id, s => s["epochsSpent"]!.GetValue<int>() > 0);
            using var cancel = await host.Http.DeleteAsync($"searches/{id}", TestContext.Current.CancellationToken);
            await WaitForAsync(host.Http, id, s => Status(s) == "cancelled");
        }

        var result = await ChurnProcess.RunAsync(TestPaths.NewTempDirectory(), "search", "--resume", id, "--store", store);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains($"{id} resumed", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("completed", SearchStore.Open(store).Unwrap().Load(id).Unwrap().Status);
    }

    [Fact]
    public async Task A_host_killed_mid_search_resumes_it_at_its_next_start_with_every_trial_accounted_for_once()
    {
        var dir = TestPaths.NewTempDirectory();
        var store = Path.Combine(dir, "runs", "churn.db");
        var body = Body(Path.Combine(dir, "hosted"), trials: 4, seeds: 2, maxEpochs: 12);
        string id;
        await using (var first = await HostProcess.StartAsync(dir, store))
        {
            id = await SubmitAsync(first.Http, body);
            await WaitForAsync(first.Http, id, s => s["trials"]!["ended"]!.GetValue<int>() >= 3);
            first.Kill();
        }
        var before = SearchStore.Open(store).Unwrap().Load(id).Unwrap();
        Assert.Equal("running", before.Status);
        Assert.Contains(before.Trials, t => t.Status == TrialStatus.Running);

        await using var second = await HostProcess.StartAsync(dir, store);
        var done = await WaitForAsync(second.Http, id, s => Status(s) != "running");

        Assert.Equal("completed", Status(done));
        var searches = SearchStore.Open(store).Unwrap();
        var after = searches.Load(id).Unwrap();
        Assert.All(after.Trials, t => Assert.Equal(TrialStatus.Completed, t.Status));
        Assert.All(after.Trials, t => Assert.Equal(Enumerable.Range(1, t.History.Length), t.History.Select(h => h.Epoch)));
        var attempts = searches.Attempts(id);
        Assert.All(before.Trials.Where(t => t.Ended), t => Assert.Equal(1, attempts[t.Spec.Index]));
        Assert.All(before.Trials.Where(t => t.Status == TrialStatus.Running), t => Assert.Equal(2, attempts[t.Spec.Index]));

        // The same search straight through the CLI gives the same leaderboard.
        await File.WriteAllTextAsync(Path.Combine(dir, "space.json"), Space(4, 2, 12).ToJsonString(), TestContext.Current.CancellationToken);
        var straight = await ChurnProcess.RunAsync(dir, "search", "--space", "space.json", "--data", TestPaths.BundledData, "--seed", "3", "--out", "straight");
        Assert.True(straight.ExitCode == 0, straight.Stderr);
        Assert.Equal(
            await File.ReadAllTextAsync(Path.Combine(dir, "straight", SearchFiles.LeaderboardFile), TestContext.Current.CancellationToken),
            await File.ReadAllTextAsync(Path.Combine(dir, "hosted", SearchFiles.LeaderboardFile), TestContext.Current.CancellationToken));
    }
}
