using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Churn.Tests.Host;

namespace Churn.Tests.Dashboard;

/// <summary>A host with two trained runs and a browser, for the models pages.</summary>
public sealed class ModelsDashboardFixture : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    public Browser Browser { get; private set; } = null!;

    public string[] Runs { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        Host = await TestHost.StartAsync();
        var ids = new List<string>();
        foreach (var width in new[] { 16, 32 })
        {
            var body = RunBodies.Train(Path.Combine(Host.Directory, $"w{width}"), maxEpochs: 3);
            body["model"]!["width"] = width;
            ids.Add(await Host.SubmitAsync(body));
            await Host.EventsAsync(ids[^1]);
        }
        Runs = [.. ids];
        Browser = Browser.Start();
    }

    public async ValueTask DisposeAsync()
    {
        Browser?.Dispose();
        await Host.DisposeAsync();
    }
}

/// <summary>
/// The models pages in a real browser: register and promote from a run's page, the production version and the drift
/// alarms of its scorings on the model's page, promote and roll back there, the campaign page's default, and champion
/// against challenger as the API gives it.
/// </summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public sealed class ModelsBrowserTests(ModelsDashboardFixture fixture) : IClassFixture<ModelsDashboardFixture>
{
    private Browser B => fixture.Browser;

    private TestHost H => fixture.Host;

    private void Open(string hash) => B.Driver.Navigate().GoToUrl($"{H.Server.Address.ToString().TrimEnd('/')}/{hash}");

    [Fact]
    public async Task A_model_registered_from_a_runs_page_shows_its_drift_alarms_and_is_promoted_and_rolled_back_from_its_page()
    {
        var (first, second) = (fixture.Runs[0], fixture.Runs[1]);
        Open($"#/runs/{first}");
        var name = B.Wait(d => B.Find("#register-name"), "the register form");
        name.Clear();
        name.SendKeys("weekly");
        B.Find("#register-button").Click();
        var registered = B.Wait(d => B.Find("#register-status").Text is { Length: > 0 } t ? t : null, "the registration's answer");
        Assert.StartsWith("Registered as weekly@1, in production", registered, StringComparison.Ordinal);
        using var second2 = await H.Http.PostAsync("models/weekly/versions", new StringContent(new JsonObject { ["runId"] = second }.ToJsonString(), Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Created, second2.StatusCode);

        // A week's export with minutes listened in hours instead of minutes, scored by name into the host's store.
        var dir = TestPaths.NewTempDirectory();
        var rescaled = Path.Combine(dir, "week.csv");
        File.WriteAllLines(rescaled, File.ReadLines(TestPaths.BundledData).Take(2000).Select(l =>
        {
            var f = l.Split(',');
            f[8] = (double.Parse(f[8], CultureInfo.InvariantCulture) / 60).ToString("R", CultureInfo.InvariantCulture);
            return string.Join(',', f);
        }));
        var scored = await Churn.Tests.Cli.ChurnProcess.RunAsync(dir, "predict", "--model", "weekly", "--input", rescaled, "--output", "scores.csv", "--store", H.StorePath);
        Assert.True(scored.ExitCode == 0, scored.Stderr);

        B.Find("#register-link").Click();
        B.Wait(d => B.Find("#production-version").GetAttribute("data-version") == "1", "weekly@1 in production");
        var alarm = B.Wait(d => B.Find("#model-scorings tbody tr"), "the scoring");
        Assert.Equal("alarm", alarm.GetAttribute("data-drift"));
        Assert.Contains("minutes_listened", alarm.Text, StringComparison.Ordinal);
        Assert.Contains("week.csv", alarm.Text, StringComparison.Ordinal);
        B.Screenshot("model-page");

        B.Find("button[data-promote='2']").Click();
        B.Wait(d => B.Find("#production-version").GetAttribute("data-version") == "2", "weekly@2 in production");
        Assert.Equal(2, (await H.GetJsonAsync("models/weekly"))["production"]!.GetValue<int>());
        B.Find("#rollback").Click();
        B.Wait(d => B.Find("#production-version").GetAttribute("data-version") == "1", "weekly@1 back in production");
        Assert.Equal(1, H.Server.Store.Model("weekly")!.Production);

        // The campaign page plans with the production model's run unless told otherwise, though another run is newer.
        Open("#/campaign");
        B.Wait(d => B.Find("#campaign-model").GetAttribute("value") is { Length: > 0 } v ? v : null, "the model list");
        Assert.Equal(first, B.Find("#campaign-model").GetAttribute("value"));

        // Champion against challenger: the page shows what the API answers for the same request.
        var labelled = Path.Combine(dir, "labelled.csv");
        File.WriteAllLines(labelled, File.ReadLines(TestPaths.BundledData).Take(300));
        Open("#/models");
        B.Wait(d => B.Find("#compare-form"), "the comparison form");
        Assert.Equal("weekly@1", B.Find("#compare-a").GetAttribute("value"));
        Assert.Equal("weekly@2", B.Find("#compare-b").GetAttribute("value"));
        B.Find("#f-labelled").SendKeys(labelled);
        B.Find("#compare-button").Click();
        var verdict = B.Wait(d => B.Find("#compare-verdict").Text is { Length: > 0 } t ? t : null, "the verdict");
        using var api = await H.Http.PostAsync("models/compare", new StringContent(
            new JsonObject { ["a"] = "weekly@1", ["b"] = "weekly@2", ["customers"] = File.ReadAllText(labelled) }.ToJsonString(), Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var comparison = JsonNode.Parse(await api.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["comparison"]!;
        Assert.Equal($"Verdict: {comparison["verdict"]!.GetValue<string>()}", verdict);
        var auc = B.Find("#compare-figures tr[data-metric='ROC AUC']");
        Assert.Contains(comparison["a"]!["rocAuc"]!.GetValue<double>().ToString("F4", CultureInfo.InvariantCulture), auc.Text, StringComparison.Ordinal);
        Assert.Empty(B.ConsoleErrors());
        B.Screenshot("models-compare");
    }
}
