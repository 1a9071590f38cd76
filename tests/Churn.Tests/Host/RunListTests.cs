using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Churn.Host.Api;
using Churn.Tests.Cli;

namespace Churn.Tests.Host;

/// <summary>
/// What a host shows of the store it shares: run summaries by page, a command's run recorded beside the host's, the
/// files a run wrote (and nothing else), the searches, and a cancelled search resumed.
/// </summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public class RunListTests
{
    private static async Task<(HttpStatusCode Status, JsonNode? Body)> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private static string[] Ids(JsonNode page) => [.. page["runs"]!.AsArray().Select(r => r!["id"]!.GetValue<string>())];

    [Fact]
    public async Task Runs_are_listed_as_summaries_newest_first_page_by_page_and_filtered_by_status()
    {
        await using var host = await TestHost.StartAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await host.SubmitAsync(RunBodies.Prepare(Path.Combine(host.Directory, $"p{i}"))));
            await host.EventsAsync(ids[^1]);
        }

        var malformed = Path.Combine(host.Directory, "malformed.csv");
        await File.WriteAllTextAsync(malformed, "1,2,3\n", TestContext.Current.CancellationToken);
        var bad = await host.SubmitAsync(new JsonObject { ["mode"] = "prepare", ["data"] = malformed });
        await host.EventsAsync(bad);
        ids.Add(bad);
        ids.Reverse();

        var first = await host.GetJsonAsync("runs?limit=2");
        Assert.Equal(ids[..2], Ids(first));
        var summary = first["runs"]![1]!;
        Assert.Null(summary["config"]);
        Assert.Null(summary["epochs"]);
        Assert.Null(summary["stages"]);
        Assert.Equal("succeeded", summary["status"]!.GetValue<string>());
        Assert.True(summary["durationSeconds"]!.GetValue<double>() > 0);
        var second = await host.GetJsonAsync(first["next"]!.GetValue<string>().TrimStart('/'));
        Assert.Equal(ids[2..], Ids(second));
        Assert.Null(second["next"]);

        var failed = await host.GetJsonAsync("runs?status=failed");
        Assert.Equal([bad], Ids(failed));
        Assert.Contains("malformed.csv", failed["runs"]![0]!["error"]!.GetValue<string>(), StringComparison.Ordinal);

        foreach (var (query, field) in new[] { ("status=done", "status"), ("limit=0", "limit"), ("limit=x", "limit"), ("before=nope", "before") })
        {
            var (status, problem) = await GetAsync(host.Http, $"runs?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal(field, problem!["field"]!.GetValue<string>());
        }
    }

    /// <summary>What a run's summary says of where it is: status, stage, epoch.</summary>
    private static string Progress(JsonNode run) => $"{run["status"]} {run["stage"]?.ToString() ?? "-"} {run["epoch"]?.ToString() ?? "-"}";

    [Fact]
    public async Task The_runs_stream_starts_with_the_list_then_tells_a_run_started_after_it_change_by_change_in_order()
    {
        await using var host = await TestHost.StartAsync();
        var earlier = await host.SubmitAsync(RunBodies.Prepare(Path.Combine(host.Directory, "earlier")));
        await host.EventsAsync(earlier);

        await using var stream = await RunsStream.OpenAsync(host.Http, "runs/events?limit=5");
        var (name, listed) = await stream.NextAsync();
        Assert.Equal(RunEventStream.RunsEvent, name);
        // The list GET /runs gives (a finished run's summary does not change with time).
        Assert.Equal((await host.GetJsonAsync("runs?limit=5")).ToJsonString(), listed.ToJsonString());
        Assert.Equal([earlier], Ids(listed));

        var id = await host.SubmitAsync(RunBodies.Train(Path.Combine(host.Directory, "live"), maxEpochs: 3));
        var told = new List<JsonNode>();
        while (told.Count == 0 || told[^1]["status"]!.GetValue<string>() is "queued" or "running")
        {
            (name, var run) = await stream.NextAsync();
            Assert.Equal(RunEventStream.RunEvent, name);
            Assert.Equal(id, run["id"]!.GetValue<string>());
            told.Add(run);
        }

        // Every change the run went through, in order, once each: as its stages and epochs were recorded.
        var stored = await host.GetJsonAsync($"runs/{id}");
        var expected = new List<string> { "queued - -", "running - -" };
        var epoch = "-";
        foreach (var stage in stored["stages"]!.AsArray().Select(s => s!["stage"]!.GetValue<string>()))
        {
            expected.Add($"running {stage} {epoch}");
            if (stage == "train")
            {
                foreach (var e in stored["epochs"]!.AsArray().Select(e => e!["epoch"]!.GetValue<int>()))
                {
                    epoch = e.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    expected.Add($"running train {epoch}");
                }
            }
        }
        expected.Add(Progress(stored));
        Assert.Equal("succeeded", stored["status"]!.GetValue<string>());
        Assert.Equal(3, stored["epochs"]!.AsArray().Count);
        Assert.Equal(expected, told.Select(Progress));

        // Summaries only, as the list has them, the last one the list's own: the flat parameters the runs table's
        // columns need, but no stored configuration, epochs or metrics.
        Assert.All(told, t => Assert.True(t["config"] is null && t["epochs"] is null && t["metrics"] is null && t.ToJsonString().Length < 2048, t.ToJsonString()));
        Assert.All(told[..^1], t => Assert.Null(t["headline"]));
        Assert.Equal((await host.GetJsonAsync("runs?limit=1"))["runs"]![0]!.ToJsonString(), told[^1].ToJsonString());
    }

    /// <summary>Changes a run's row and labels in the store behind the host's back, as only another writer could.</summary>
    private static void Tamper(string storePath, string id)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={storePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE runs SET mode = 'tampered' WHERE id = $id; UPDATE run_labels SET name = 'tampered', tags = '[]' WHERE run_id = $id;";
        command.Parameters.AddWithValue("$id", id);
        Assert.Equal(2, command.ExecuteNonQuery());
    }

    [Fact]
    public async Task The_runs_stream_tells_a_run_from_its_events_alone_and_never_reads_the_store_for_them()
    {
        await using var host = await TestHost.StartAsync();
        await using var stream = await RunsStream.OpenAsync(host.Http, "runs/events");
        Assert.Empty(Ids((await stream.NextAsync()).Data));

        var run = RunBodies.Train(Path.Combine(host.Directory, "live"), maxEpochs: 3);
        run["name"] = "weekly";
        run["tags"] = new JsonArray("baseline");
        var id = await host.SubmitAsync(run);
        var told = new List<JsonNode> { (await stream.NextAsync()).Data };
        Assert.Equal(("queued", "weekly", "run"), (told[0]["status"]!.GetValue<string>(), told[0]["name"]!.GetValue<string>(), told[0]["mode"]!.GetValue<string>()));

        // From here the store says otherwise: a stream that read it on a change of status or at the end would tell it.
        Tamper(host.StorePath, id);
        while (told[^1]["status"]!.GetValue<string>() is "queued" or "running")
        {
            told.Add((await stream.NextAsync()).Data);
        }

        var stored = (await host.GetJsonAsync("runs?limit=1"))["runs"]![0]!;
        Assert.Equal(("tampered", "tampered"), (stored["name"]!.GetValue<string>(), stored["mode"]!.GetValue<string>()));
        Assert.Contains(told, t => t["status"]!.GetValue<string>() == "running");
        Assert.All(told, t => Assert.Equal((id, "weekly", "baseline", "run"),
            (t["id"]!.GetValue<string>(), t["name"]!.GetValue<string>(), t["tags"]![0]!.GetValue<string>(), t["mode"]!.GetValue<string>())));
        // Everything else the list shows comes from the events too, the outcome's figures and times included.
        var last = told[^1].AsObject();
        foreach (var field in new[] { "status", "stage", "epoch", "queuedAt", "startedAt", "finishedAt", "durationSeconds", "headline", "parameters", "links" })
        {
            Assert.True(JsonNode.DeepEquals(stored[field], last[field]), $"{field}: stored {stored[field]?.ToJsonString()}, told {last[field]?.ToJsonString()}");
        }

        Assert.NotNull(last["headline"]!["testAccuracy"]);
    }

    [Fact]
    public async Task A_run_renamed_while_it_runs_is_told_with_its_new_name_up_to_its_end()
    {
        await using var host = await TestHost.StartAsync();
        await using var stream = await RunsStream.OpenAsync(host.Http, "runs/events");
        Assert.Empty(Ids((await stream.NextAsync()).Data));
        var id = await host.SubmitAsync(RunBodies.Endless(Path.Combine(host.Directory, "endless")));
        while ((await stream.NextAsync()).Data["status"]!.GetValue<string>() != "running")
        {
        }

        using (var patch = await host.Http.PatchAsync($"runs/{id}", new StringContent("""{ "name": "renamed", "archived": true }""", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }

        JsonNode renamed;
        while ((renamed = (await stream.NextAsync()).Data)["name"] is null)
        {
        }

        Assert.Equal(("renamed", true), (renamed["name"]!.GetValue<string>(), renamed["archived"]!.GetValue<bool>()));
        using (var cancel = await host.Http.DeleteAsync($"runs/{id}", TestContext.Current.CancellationToken))
        {
            Assert.True(cancel.IsSuccessStatusCode);
        }

        JsonNode ended;
        while ((ended = (await stream.NextAsync()).Data)["status"]!.GetValue<string>() == "running")
        {
            Assert.Equal("renamed", ended["name"]!.GetValue<string>());
        }

        Assert.Equal(("cancelled", "renamed"), (ended["status"]!.GetValue<string>(), ended["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_command_records_into_the_hosts_store_and_the_host_serves_exactly_the_files_that_run_wrote()
    {
        await using var host = await TestHost.StartAsync();
        var dir = TestPaths.NewTempDirectory();
        await File.WriteAllTextAsync(Path.Combine(dir, "fast.json"), """{ "model": { "maxEpochs": 2 }, "device": "cpu" }""", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, "secret.txt"), "not a run's file", TestContext.Current.CancellationToken);
        await using var stream = await RunsStream.OpenAsync(host.Http, "runs/events");
        Assert.Empty(Ids((await stream.NextAsync()).Data));

        var cli = await ChurnProcess.RunAsync(dir, "run", "--config", "fast.json", "--out", "out", "--store", host.StorePath);

        Assert.True(cli.ExitCode == 0, cli.Stderr);
        var listed = (await host.GetJsonAsync("runs"))["runs"]![0]!;
        var id = listed["id"]!.GetValue<string>();
        Assert.Contains($"run {id}", cli.Stderr.Split('\n')[0], StringComparison.Ordinal);
        Assert.Equal("succeeded", listed["status"]!.GetValue<string>());

        // The host's stream of every run tells the command's run too, from the store, up to its end.
        var told = new List<string>();
        while (told.Count == 0 || told[^1] is "queued" or "running")
        {
            var (name, run) = await stream.NextAsync();
            Assert.Equal((RunEventStream.RunEvent, id), (name, run["id"]!.GetValue<string>()));
            told.Add(run["status"]!.GetValue<string>());
        }
        Assert.Equal("succeeded", told[^1]);

        var artifacts = (await host.GetJsonAsync($"runs/{id}/artifacts"))["artifacts"]!.AsArray();
        var names = artifacts.Select(a => a!["name"]!.GetValue<string>()).ToArray();
        Assert.Contains("report.png", names);
        Assert.Contains("metrics.json", names);
        Assert.Contains("model/model.json", names);
        Assert.Contains("Audiobooks_data_train.npz", names);

        using (var png = await host.Http.GetAsync($"runs/{id}/artifacts/report.png", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, png.StatusCode);
            Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
            var bytes = await png.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(dir, "out", "report.png"), TestContext.Current.CancellationToken), bytes);
        }

        using (var model = await host.Http.GetAsync($"runs/{id}/artifacts/model/model.json", TestContext.Current.CancellationToken))
        {
            Assert.Equal("application/json", model.Content.Headers.ContentType?.MediaType);
            Assert.Equal(
                await File.ReadAllTextAsync(Path.Combine(dir, "out", "model", "model.json"), TestContext.Current.CancellationToken),
                await model.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        foreach (var name in new[] { "secret.txt", "../secret.txt", "..%2Fsecret.txt", "%2E%2E/secret.txt", "model/../../secret.txt", "/etc/passwd", "fast.json" })
        {
            var (status, body) = await GetAsync(host.Http, $"runs/{id}/artifacts/{name}");
            Assert.True(status == HttpStatusCode.NotFound, $"{name}: {(int)status} {body?.ToJsonString()}");
        }

        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(host.Http, "runs/nope/artifacts/report.png")).Status);
    }

    /// <summary><c>GET /runs/events</c> read in the background: its frames in order, as they come.</summary>
    private sealed class RunsStream : IAsyncDisposable
    {
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
        private readonly HttpResponseMessage _response;
        private readonly CancellationTokenSource _stop;
        private readonly Channel<(string Name, JsonNode Data)> _frames;
        private readonly Task _reading;

        private RunsStream(HttpResponseMessage response, CancellationTokenSource stop, Channel<(string, JsonNode)> frames, Task reading)
        {
            _response = response;
            _stop = stop;
            _frames = frames;
            _reading = reading;
        }

        public static async Task<RunsStream> OpenAsync(HttpClient http, string path)
        {
            var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, stop.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            var body = await response.Content.ReadAsStreamAsync(stop.Token);
            var frames = Channel.CreateUnbounded<(string, JsonNode)>();
            var reading = Task.Run(async () =>
            {
                try
                {
                    await foreach (var (name, data) in RunEventStream.Read(body, stop.Token))
                    {
                        frames.Writer.TryWrite((name, JsonNode.Parse(data)!));
                    }
                }
                catch (OperationCanceledException)
                {
                    // The test is done with the stream.
                }
                finally
                {
                    frames.Writer.TryComplete();
                }
            }, CancellationToken.None);
            return new RunsStream(response, stop, frames, reading);
        }

        public async Task<(string Name, JsonNode Data)> NextAsync()
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            wait.CancelAfter(Patience);
            return await _frames.Reader.ReadAsync(wait.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _response.Dispose();
            await _reading;
            _stop.Dispose();
        }
    }
}
