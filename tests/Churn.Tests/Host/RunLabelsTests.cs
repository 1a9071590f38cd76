using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Churn.Tests.Cli;

namespace Churn.Tests.Host;

/// <summary>Names, tags and notes of runs: set from the command line, POST /runs and PATCH /runs/{id}; archive and delete.</summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public sealed class RunLabelsTests
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_run_named_and_tagged_on_the_command_line_shows_them_in_get_runs()
    {
        await using var host = await TestHost.StartAsync();
        var prepared = await ChurnProcess.RunAsync(host.Directory, "prepare", "--data", TestPaths.BundledData, "--out", Path.Combine(host.Directory, "cli-prepared"),
            "--store", host.StorePath, "--name", "weekly baseline", "--tag", "baseline", "--tag", "q3");
        Assert.True(prepared.ExitCode == 0, prepared.Stderr);

        var run = (await host.GetJsonAsync("runs"))["runs"]!.AsArray().Single()!;
        Assert.Equal("weekly baseline", run["name"]!.GetValue<string>());
        Assert.Equal(["baseline", "q3"], run["tags"]!.AsArray().Select(t => t!.GetValue<string>()));

        var refused = await ChurnProcess.RunAsync(host.Directory, "prepare", "--data", TestPaths.BundledData, "--out", Path.Combine(host.Directory, "cli-bad"),
            "--store", host.StorePath, "--tag", new string('x', 41));
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("--tag", refused.Stderr, StringComparison.Ordinal);
        Assert.Single((await host.GetJsonAsync("runs"))["runs"]!.AsArray());
    }

    [Fact]
    public async Task Labels_set_on_post_and_patch_are_kept_and_bad_ones_are_refused_naming_the_field()
    {
        await using var host = await TestHost.StartAsync();
        var body = RunBodies.Prepare(Path.Combine(host.Directory, "labelled"));
        body["name"] = "first try";
        body["tags"] = new JsonArray("a", "b", "a");
        var id = await host.SubmitAsync(body);
        await host.WaitForAsync(id, r => r["status"]!.GetValue<string>() == "succeeded", TimeSpan.FromSeconds(120));

        var run = await host.GetJsonAsync($"runs/{id}");
        Assert.Equal("first try", run["name"]!.GetValue<string>());
        Assert.Equal(["a", "b"], run["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        // The labels are not settings: the stored configuration does not hold them.
        Assert.Null(run["config"]!["name"]);

        using var patched = await host.Http.PatchAsync($"runs/{id}", Json("""{ "notes": "kept for the Q3 review", "archived": true }"""), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        run = await host.GetJsonAsync($"runs/{id}");
        Assert.Equal("kept for the Q3 review", run["notes"]!.GetValue<string>());
        Assert.True(run["archived"]!.GetValue<bool>());
        Assert.Equal("first try", run["name"]!.GetValue<string>());

        foreach (var (bad, field) in new[] { ("""{ "tags": "one" }""", "tags"), ("""{ "name": 3 }""", "name"), ("""{ "model": { "width": 8 } }""", "body") })
        {
            using var refused = await host.Http.PatchAsync($"runs/{id}", Json(bad), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal(field, JsonNode.Parse(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["field"]!.GetValue<string>());
        }

        var tooMany = RunBodies.Prepare(Path.Combine(host.Directory, "too-many"));
        tooMany["tags"] = new JsonArray([.. Enumerable.Range(0, 21).Select(i => (JsonNode)$"t{i}")]);
        using var posted = await host.PostAsync(tooMany.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, posted.StatusCode);
        Assert.StartsWith("tags:", JsonNode.Parse(await posted.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_a_run_forgets_it_and_removes_its_folder_only_when_asked_and_only_inside_the_output_root()
    {
        await using var host = await TestHost.StartAsync();
        var keep = Path.Combine(host.Directory, "out", "kept-files");
        var gone = Path.Combine(host.Directory, "out", "removed-files");
        var kept = await host.SubmitAsync(RunBodies.Prepare(keep));
        var removed = await host.SubmitAsync(RunBodies.Prepare(gone));
        foreach (var id in new[] { kept, removed })
        {
            await host.WaitForAsync(id, r => r["status"]!.GetValue<string>() == "succeeded", TimeSpan.FromSeconds(120));
        }

        using (var answer = await host.Http.DeleteAsync($"runs/{kept}/record", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        Assert.True(Directory.Exists(keep));
        using (var answer = await host.Http.DeleteAsync($"runs/{removed}/record?files=true", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        Assert.False(Directory.Exists(gone));
        Assert.True(Directory.Exists(Path.Combine(host.Directory, "out")));
        Assert.Empty((await host.GetJsonAsync("runs"))["runs"]!.AsArray());
        using var unknown = await host.Http.GetAsync($"runs/{kept}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        // A run recorded by a command with its folder outside the host's output root: forgotten, its folder untouched.
        var outside = Path.Combine(Path.GetTempPath(), $"churn-outside-{Guid.NewGuid():N}");
        try
        {
            var prepared = await ChurnProcess.RunAsync(host.Directory, "prepare", "--data", TestPaths.BundledData, "--out", outside, "--store", host.StorePath);
            Assert.True(prepared.ExitCode == 0, prepared.Stderr);
            var foreign = (await host.GetJsonAsync("runs"))["runs"]![0]!["id"]!.GetValue<string>();
            using (var answer = await host.Http.DeleteAsync($"runs/{foreign}/record?files=true", TestContext.Current.CancellationToken))
            {
                Assert.Equal(HttpStatusCode.Conflict, answer.StatusCode);
            }

            Assert.True(Directory.Exists(outside));
            Assert.Single((await host.GetJsonAsync("runs"))["runs"]!.AsArray());
        }
        finally
        {
            if (Directory.Exists(outside))
            {
                Directory.Delete(outside, recursive: true);
            }
        }
    }
}
