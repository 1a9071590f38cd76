using System.Net;
using System.Text.Json.Nodes;
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

    [Fact]
    public async Task A_command_records_into_the_hosts_store_and_the_host_serves_exactly_the_files_that_run_wrote()
    {
        await using var host = await TestHost.StartAsync();
        var dir = TestPaths.NewTempDirectory();
        await File.WriteAllTextAsync(Path.Combine(dir, "fast.json"), """{ "model": { "maxEpochs": 2 }, "device": "cpu" }""", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, "secret.txt"), "not a run's file", TestContext.Current.CancellationToken);

        var cli = await ChurnProcess.RunAsync(dir, "run", "--config", "fast.json", "--out", "out", "--store", host.StorePath);

        Assert.True(cli.ExitCode == 0, cli.Stderr);
        var listed = (await host.GetJsonAsync("runs"))["runs"]![0]!;
        var id = listed["id"]!.GetValue<string>();
        Assert.Contains($"run {id}", cli.Stderr.Split('\n')[0], StringComparison.Ordinal);
        Assert.Equal("succeeded", listed["status"]!.GetValue<string>());

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
}
