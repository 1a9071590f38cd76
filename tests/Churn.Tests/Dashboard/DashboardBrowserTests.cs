using System.Globalization;
using System.Text.Json.Nodes;
using Churn.Tests.Host;

namespace Churn.Tests.Dashboard;

/// <summary>One host with two finished runs, and one headless Chromium, shared by the dashboard's browser tests.</summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    public Browser Browser { get; private set; } = null!;

    public string[] Finished { get; private set; } = [];

    public string Origin => Host.Server.Address.ToString().TrimEnd('/');

    public async ValueTask InitializeAsync()
    {
        Host = await TestHost.StartAsync();
        var ids = new List<string>();
        foreach (var width in new[] { 16, 32 })
        {
            var body = RunBodies.Train(Path.Combine(Host.Directory, $"w{width}"), maxEpochs: 4);
            body["model"]!["width"] = width;
            ids.Add(await Host.SubmitAsync(body));
            await Host.EventsAsync(ids[^1]);
        }

        Finished = [.. ids];
        Browser = Browser.Start();
    }

    public async ValueTask DisposeAsync()
    {
        Browser?.Dispose();
        await Host.DisposeAsync();
    }
}

/// <summary>
/// The dashboard in a real browser: what it shows matches the API, a run started from its form follows live to the
/// end, a bad field is reported beside it, cancel, compare, downloads, searches, and a token asked for once.
/// </summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public sealed class DashboardBrowserTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private Browser B => fixture.Browser;

    private void Open(string hash)
    {
        B.Driver.Navigate().GoToUrl($"{fixture.Origin}/{hash}");
    }

    private static string F4(JsonNode? node) => node!.GetValue<double>().ToString("F4", CultureInfo.InvariantCulture);

    private void AssertOnlyLoopback()
    {
        var origin = new Uri(fixture.Origin);
        Assert.All(B.RequestedUrls(), url =>
        {
            var uri = new Uri(url);
            Assert.True(uri.Scheme is "blob" || (uri.Host == origin.Host && uri.Port == origin.Port), $"a request left the host: {url}");
        });
    }

    [Fact]
    public async Task The_runs_page_shows_the_runs_and_figures_the_api_reports_with_no_console_errors()
    {
        var api = (await fixture.Host.GetJsonAsync("runs"))["runs"]!.AsArray();
        Assert.All(fixture.Finished, id => Assert.Contains(api, r => r!["id"]!.GetValue<string>() == id && r["headline"]?["testAccuracy"] is not null));

        Open("#/runs");
        B.Wait(d => B.FindAll("#runs tbody tr").Count >= fixture.Finished.Length, "the runs table");

        foreach (var run in api)
        {
            var row = B.Find($"tr[data-run='{run!["id"]!.GetValue<string>()}']");
            Assert.Contains(run["status"]!.GetValue<string>(), row.Text, StringComparison.Ordinal);
            if (run["headline"]?["testAccuracy"] is { } accuracy)
            {
                Assert.Contains(F4(accuracy), row.Text, StringComparison.Ordinal);
            }
        }

        B.Screenshot("runs");
        Assert.Empty(B.ConsoleErrors());
        AssertOnlyLoopback();
        var size = 0;
        foreach (var path in new[] { "", "assets/app.js", "assets/app.css" })
        {
            size += (await fixture.Host.Http.GetByteArrayAsync(path, TestContext.Current.CancellationToken)).Length;
        }

        Assert.True(size < 1_000_000, $"the dashboard's assets weigh {size} bytes");
    }

    [Fact]
    public async Task A_run_started_after_the_runs_page_loaded_appears_and_reaches_its_end_live_without_a_reload_or_a_poll()
    {
        Open("#/runs");
        B.Wait(d => B.FindAll("#runs tbody tr").Count >= fixture.Finished.Length, "the runs table");
        // Every row the table draws, as it draws it; a reload would lose the recorder.
        B.Driver.ExecuteScript("""
            window.drawnRows = [];
            new MutationObserver(changes => changes.forEach(c => c.addedNodes.forEach(n => {
              if (n.dataset && n.dataset.run) window.drawnRows.push([n.dataset.run, n.querySelector('.status').textContent, n.querySelector('[data-col="epoch"]').textContent]);
            }))).observe(document.querySelector('#runs tbody'), { childList: true });
            """);
        // The table came from the stream of every run (GET /runs/events), opened as the page loaded.
        Assert.Contains(B.SentRequests(), r => new Uri(r.Url).AbsolutePath == "/runs/events");

        var id = await fixture.Host.SubmitAsync(RunBodies.Train(Path.Combine(fixture.Host.Directory, "live-table"), maxEpochs: 5));
        B.Wait(d => B.FindAll($"tr[data-run='{id}']").Count == 1, "the new run's row", 60);
        B.Wait(d => B.FindAll($"tr[data-run='{id}'] [data-status='succeeded']").Count == 1, "the new run to reach succeeded in the table", 180);

        var listed = (await fixture.Host.GetJsonAsync("runs?limit=1"))["runs"]![0]!;
        Assert.Equal(id, listed["id"]!.GetValue<string>());
        var row = B.Find($"tr[data-run='{id}']");
        Assert.Equal("5", row.FindElement(OpenQA.Selenium.By.CssSelector("[data-col='epoch']")).Text);
        Assert.Contains(F4(listed["headline"]!["testAccuracy"]), row.Text, StringComparison.Ordinal);
        // It is the table's first row: newest first.
        Assert.Equal(id, B.Find("#runs tbody tr").GetAttribute("data-run"));

        var drawn = ((IEnumerable<object>)B.Driver.ExecuteScript("return window.drawnRows;")!)
            .Select(r => ((IEnumerable<object>)r).Select(v => v.ToString()!).ToArray()).Where(r => r[0] == id).ToList();
        Assert.True(drawn.Count >= 5, $"the row was drawn {drawn.Count} times");
        var order = new[] { "queued", "running", "succeeded" };
        var statuses = drawn.Select(r => Array.IndexOf(order, r[1])).ToList();
        Assert.DoesNotContain(-1, statuses);
        Assert.Equal(statuses.Order(), statuses);
        Assert.Contains(drawn, r => r[1] == "running" && r[2] is "1" or "2" or "3" or "4");
        // No reload (the recorder is still there) and nothing asked of /runs while the run went on: one stream told it all.
        var asked = B.SentRequests().Select(r => new Uri(r.Url).AbsolutePath).Where(p => p.StartsWith("/runs", StringComparison.Ordinal)).ToList();
        Assert.Empty(asked);
        Assert.Empty(B.ConsoleErrors());
    }

    [Fact]
    public async Task A_run_started_from_the_form_follows_live_to_succeeded_with_its_loss_chart_and_downloads_its_report()
    {
        Open("#/new-run");
        var epochs = B.Wait(d => B.Find("#f-model-maxEpochs"), "the run form");
        Assert.Equal("cpu", B.Find("#f-device").GetAttribute("value"));
        epochs.Clear();
        epochs.SendKeys("5");
        B.Find("#submit-run").Click();

        B.Wait(d => d.Url.Contains("#/runs/", StringComparison.Ordinal), "the new run's page");
        B.Wait(d => B.FindAll("#run-status [data-status='succeeded']").Count == 1, "the run to succeed", 180);
        B.Wait(d => B.Drawn("#loss-chart"), "the loss chart");
        var id = B.Find("#run-id").Text;
        var run = await fixture.Host.GetJsonAsync($"runs/{id}");
        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        Assert.Equal(5, run["epochs"]!.AsArray().Count);
        B.Wait(d => B.Find("#recipe").Text.Contains(F4(run["metrics"]!["test"]!["accuracy"]), StringComparison.Ordinal), "the test accuracy the API reports");
        B.Wait(d => B.FindAll("#stages tbody tr").Count >= 7, "every stage");
        B.Wait(d => B.Drawn("#gains-chart") && B.Drawn("#importance-chart"), "the gains and importance charts");
        B.Wait(d => B.FindAll("#logs div").Count > 0, "the run's actor logs");
        B.Screenshot("run");

        B.Find("button[data-artifact='report.png']").Click();
        var saved = Path.Combine(B.Downloads, "report.png");
        B.Wait(d => File.Exists(saved) && new FileInfo(saved).Length > 0, "report.png in the downloads folder");
        var expected = await fixture.Host.Http.GetByteArrayAsync($"runs/{id}/artifacts/report.png", TestContext.Current.CancellationToken);
        B.Wait(d => File.ReadAllBytes(saved).SequenceEqual(expected), "the downloaded report to be complete");
        Assert.Empty(B.ConsoleErrors());
    }

    [Fact]
    public async Task A_runs_page_shows_its_population_figures_first_then_the_recipes_with_the_charts_and_tables_behind_them()
    {
        var id = fixture.Finished[0];
        var run = await fixture.Host.GetJsonAsync($"runs/{id}");
        var population = run["metrics"]!["population"]!;

        Open($"#/runs/{id}");
        var cards = B.Wait(d => B.Find("#population-cards").Text, "the population figures");
        Assert.Contains(F4(population["rocAuc"]), cards, StringComparison.Ordinal);
        Assert.Contains(F4(population["brier"]), cards, StringComparison.Ordinal);
        Assert.Contains(F4(population["calibrationError"]), cards, StringComparison.Ordinal);
        Assert.Contains(population["sample"]!.GetValue<string>(), B.Find("#population-sample").Text, StringComparison.Ordinal);
        Assert.Contains(population["calibration"]!["method"]!.GetValue<string>(), B.Find("#calibration").Text, StringComparison.OrdinalIgnoreCase);
        var campaign = B.Find("#campaign-cards").Text;
        Assert.Contains(Whole(population["campaign"]!["profitPer1000"]), campaign, StringComparison.Ordinal);
        Assert.Contains(Whole(population["campaign"]!["randomProfitPer1000"]), campaign, StringComparison.Ordinal);

        // The population's figures come first; the test split's follow, labelled with the mix it holds.
        Assert.Equal(true, B.Driver.ExecuteScript("return !!(document.querySelector('#population').compareDocumentPosition(document.querySelector('#recipe')) & Node.DOCUMENT_POSITION_FOLLOWING);"));
        Assert.Contains("natural mix", B.Find("#recipe h3").Text, StringComparison.Ordinal);
        Assert.Contains(F4(run["metrics"]!["test"]!["accuracy"]), B.Find("#recipe").Text, StringComparison.Ordinal);

        B.Wait(d => B.Drawn("#reliability-chart") && B.Drawn("#gains-chart") && B.Drawn("#profit-chart"), "the reliability, gains and profit charts");
        foreach (var (table, rows) in new[] { ("reliability", population["equalCountReliability"]!.AsArray().Count), ("gains", population["gains"]!.AsArray().Count) })
        {
            Assert.True(rows > 0, $"the run reports no {table} rows");
            Assert.Equal(rows, B.FindAll($"#{table} tbody tr").Count);
        }
        // The charts are drawn from the population, not the balanced split.
        var gains = await fixture.Host.Http.GetStringAsync($"runs/{id}/charts/gains.svg", TestContext.Current.CancellationToken);
        Assert.Contains("natural mix", gains, StringComparison.Ordinal);
        var reliability = await fixture.Host.Http.GetStringAsync($"runs/{id}/charts/reliability.svg", TestContext.Current.CancellationToken);
        Assert.Contains("bins of equal size", reliability, StringComparison.Ordinal);
        B.Screenshot("run-population");
        Assert.Empty(B.ConsoleErrors());
    }

    [Fact]
    public async Task A_runs_actor_logs_follow_the_level_and_actor_filters_the_api_applies()
    {
        var id = fixture.Finished[0];
        Open($"#/runs/{id}");
        await AssertLogsAsync(id, "info", "");

        var actor = B.Find("#log-actor");
        actor.SendKeys("*trainer*");
        actor.SendKeys(OpenQA.Selenium.Keys.Tab);
        var lines = await AssertLogsAsync(id, "info", "*trainer*");
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Contains("trainer", l, StringComparison.Ordinal));

        B.Find("#log-level").SendKeys("warning");
        await AssertLogsAsync(id, "warning", "*trainer*");
        Assert.Empty(B.ConsoleErrors());
    }

    /// <summary>Waits for the page's log stream to end and checks it shows what <c>GET /runs/{id}/logs</c> does with the same filters.</summary>
    private async Task<IReadOnlyList<string>> AssertLogsAsync(string id, string level, string actor)
    {
        B.Wait(d => B.Find("#log-state").Text.Contains("ended", StringComparison.Ordinal), $"the log stream at {level} {actor} to end");
        var query = $"runs/{id}/logs?level={level}" + (actor.Length > 0 ? $"&actor={Uri.EscapeDataString(actor)}" : "");
        var api = (await fixture.Host.GetJsonAsync(query))["lines"]!.AsArray().Select(l => l!["message"]!.GetValue<string>()).TakeLast(500).ToList();
        var shown = B.FindAll("#logs div").Select(d => d.Text).ToList();
        Assert.Equal(api.Count, shown.Count);
        Assert.All(api.Zip(shown), pair => Assert.EndsWith(pair.First, pair.Second, StringComparison.Ordinal));
        if (api.Count == 0)
        {
            Assert.Equal("No log lines match.", B.Find("#logs").Text);
        }

        return shown;
    }

    private static string Whole(JsonNode? node) => Math.Round(node!.GetValue<double>(), MidpointRounding.AwayFromZero).ToString("N0", CultureInfo.InvariantCulture);

    [Fact]
    public void A_bad_field_shows_the_hosts_message_beside_that_field()
    {
        Open("#/new-run");
        var epochs = B.Wait(d => B.Find("#f-model-maxEpochs"), "the run form");
        epochs.Clear();
        epochs.SendKeys("0");
        B.Find("#submit-run").Click();

        var error = B.Wait(d => B.Find("#f-model-maxEpochs-error").Text is { Length: > 0 } text ? text : null, "the field's error");
        Assert.StartsWith("model.maxEpochs", error, StringComparison.Ordinal);
        Assert.Equal("true", epochs.GetAttribute("aria-invalid"));
        Assert.Equal("", B.Find("#form-error").Text);
        Assert.Contains("#/new-run", B.Driver.Url, StringComparison.Ordinal);
        B.Screenshot("form-error");
        // The 400 itself is logged by the browser as a failed resource; nothing else may be.
        Assert.All(B.ConsoleErrors(), e => Assert.Contains("400", e, StringComparison.Ordinal));
        Open("#/runs");
    }

    [Fact]
    public async Task Cancel_on_a_running_runs_page_stops_it()
    {
        var id = await fixture.Host.SubmitAsync(RunBodies.Endless(Path.Combine(fixture.Host.Directory, "endless")));
        await fixture.Host.WaitForAsync(id, r => r["epoch"] is not null, TimeSpan.FromSeconds(120));

        Open($"#/runs/{id}");
        B.Wait(d => B.Find("#cancel-run").Displayed, "the cancel button");

        // Followed live, without a reload: the status line's epoch and the epoch lines of the trainer's log move on.
        var first = (int)B.Wait(d => (object?)LastEpoch(B.Find("#run-status").Text), "an epoch in the status line")!;
        var logged = (int)B.Wait(d => (object?)LastEpoch(B.Find("#logs").Text), "an epoch line in the log")!;
        B.Wait(d => LastEpoch(B.Find("#run-status").Text) > first && LastEpoch(B.Find("#logs").Text) > logged, "later epochs to arrive live", 60);
        B.Find("#cancel-run").Click();

        B.Wait(d => B.FindAll("#run-status [data-status='cancelled']").Count == 1, "the run to show cancelled", 60);
        Assert.Equal("cancelled", (await fixture.Host.GetJsonAsync($"runs/{id}"))["status"]!.GetValue<string>());
        Assert.False(B.Find("#cancel-run").Displayed);
    }

    /// <summary>The highest "epoch N" the text names; null for none.</summary>
    private static int? LastEpoch(string text) =>
        System.Text.RegularExpressions.Regex.Matches(text, @"epoch (\d+)").Select(m => (int?)int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Max();

    [Fact]
    public void Several_bad_fields_are_each_marked_beside_their_field_at_once()
    {
        Open("#/new-run");
        var values = new Dictionary<string, string> { ["seed"] = "-1", ["model-width"] = "5000", ["model-maxEpochs"] = "0", ["model-dropout"] = "2" };
        B.Wait(d => B.Find("#f-model-maxEpochs"), "the run form");
        foreach (var (id, value) in values)
        {
            var input = B.Find($"#f-{id}");
            input.Clear();
            input.SendKeys(value);
        }
        B.Find("#submit-run").Click();

        B.Wait(d => values.Keys.All(id => B.Find($"#f-{id}-error").Text.Length > 0), "an error beside every bad field");
        foreach (var id in values.Keys)
        {
            Assert.StartsWith(id.Replace('-', '.'), B.Find($"#f-{id}-error").Text, StringComparison.Ordinal);
            Assert.Equal("true", B.Find($"#f-{id}").GetAttribute("aria-invalid"));
        }
        // The width's limit is this host's, as the host says it; fields that were fine are not marked.
        Assert.Contains("between 1 and 1024", B.Find("#f-model-width-error").Text, StringComparison.Ordinal);
        Assert.Null(B.Find("#f-model-depth").GetAttribute("aria-invalid"));
        Assert.Equal("f-seed", B.Driver.SwitchTo().ActiveElement().GetAttribute("id"));
        Assert.All(B.ConsoleErrors(), e => Assert.Contains("400", e, StringComparison.Ordinal));
        // Away from the form, so that the next test opening it gets a fresh one, not these values.
        Open("#/runs");
    }

    [Fact]
    public void Several_bad_fields_of_the_search_form_are_each_marked_at_once()
    {
        Open("#/new-search");
        var values = new Dictionary<string, string> { ["trials"] = "0", ["minDelta"] = "-1", ["asha-reductionFactor"] = "1", ["parallel"] = "0" };
        B.Wait(d => B.Find("#f-trials"), "the search form");
        foreach (var (id, value) in values)
        {
            var input = B.Find($"#f-{id}");
            input.Clear();
            input.SendKeys(value);
        }
        var space = B.Find("#f-space");
        space.Clear();
        space.SendKeys("""{ "depth": [1], "width": [8], "activation": ["relu"], "learningRate": [0.001], "batchSize": [64], "patience": [5], "dropout": [2], "weightDecay": [0] }""");
        B.Find("#submit-search").Click();

        B.Wait(d => values.Keys.Append("space").All(id => B.Find($"#f-{id}-error").Text.Length > 0), "an error beside every bad field");
        foreach (var id in values.Keys)
        {
            Assert.StartsWith(id.Replace('-', '.'), B.Find($"#f-{id}-error").Text, StringComparison.Ordinal);
            Assert.Equal("true", B.Find($"#f-{id}").GetAttribute("aria-invalid"));
        }
        Assert.StartsWith("space.dropout[0]", B.Find("#f-space-error").Text, StringComparison.Ordinal);
        Assert.Null(B.Find("#f-seeds").GetAttribute("aria-invalid"));
        // The focus is on the form's first bad field, though the host names the search's own fields (parallel) first.
        Assert.Equal("f-trials", B.Driver.SwitchTo().ActiveElement().GetAttribute("id"));
        Assert.All(B.ConsoleErrors(), e => Assert.Contains("400", e, StringComparison.Ordinal));
        Open("#/runs");
    }

    [Fact]
    public void Two_runs_selected_on_the_runs_page_compare_side_by_side_with_their_differences_highlighted()
    {
        Open("#/runs");
        foreach (var id in fixture.Finished)
        {
            B.Wait(d => B.Find($"#select-{id}"), $"run {id}'s checkbox").Click();
        }

        B.Find("#compare").Click();

        B.Wait(d => B.Drawn("#compare-chart"), "the overlaid loss curves");
        var header = B.Find("#compare-metrics thead").Text;
        Assert.All(fixture.Finished, id => Assert.Contains(id, header, StringComparison.Ordinal));
        var differing = B.FindAll("#compare-config tr[data-differs='true'] th").Select(th => th.Text).ToList();
        Assert.Contains("model.width (differs)", differing);
        // Each run writes to a folder of its own: that is no difference of settings.
        Assert.DoesNotContain(differing, d => d.StartsWith("out", StringComparison.Ordinal));
        Assert.Equal("Comparing 2 runs", B.Find("main h2").Text);
        // Settings that differ come first.
        Assert.Equal("true", B.Find("#compare-config tbody tr").GetAttribute("data-differs"));
        // The better figure of each comparable row is marked: a higher ROC AUC, a lower Brier.
        Assert.NotEmpty(B.FindAll("#compare-metrics [data-better='true']"));
        B.Wait(d => B.Drawn("#compare-gains-chart") && B.Drawn("#compare-profit-chart"), "the overlaid gains and profit curves");
        Assert.DoesNotContain(differing, d => d.StartsWith("seed", StringComparison.Ordinal));
        B.Screenshot("compare");
        Assert.Empty(B.ConsoleErrors());
    }

    [Fact]
    public async Task A_search_shows_its_trials_leaderboard_decisions_curves_and_effects()
    {
        var body = new JsonObject
        {
            ["trials"] = 3,
            ["seeds"] = 2,
            ["maxEpochs"] = 8,
            ["scheduler"] = "asha",
            ["asha"] = new JsonObject { ["rungs"] = new JsonArray(2, 4), ["reductionFactor"] = 2 },
            ["space"] = new JsonObject { ["depth"] = new JsonArray(1, 2), ["width"] = new JsonArray(8, 16), ["patience"] = new JsonArray(20) },
            ["data"] = TestPaths.BundledData,
            ["out"] = Path.Combine(fixture.Host.Directory, "search"),
            ["seed"] = 1,
            ["parallel"] = 2,
        };
        using var response = await fixture.Host.Http.PostAsync("searches", new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var id = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["id"]!.GetValue<string>();

        Open("#/searches");
        B.Wait(d => B.Find($"tr[data-search='{id}'] a"), "the search in the list").Click();
        B.Wait(d => B.FindAll("#search-status [data-status='completed']").Count == 1, "the search to complete", 180);
        B.Wait(d => B.Drawn("#curves-chart") && B.FindAll("#effects img").Count > 0 && B.FindAll("#effects img").All(i => B.Drawn($"#{i.GetAttribute("id")}")), "the curves and effects");

        var search = await fixture.Host.GetJsonAsync($"searches/{id}");
        // The trial table followed the search's event stream, not a poll.
        Assert.Contains(B.RequestedUrls(), u => new Uri(u).AbsolutePath == $"/searches/{id}/events");
        Assert.Equal(6, B.FindAll("#trials tbody tr").Count);
        foreach (var trial in search["trialList"]!.AsArray())
        {
            var row = B.Find($"#trials tr[data-trial='{trial!["index"]}']").Text;
            Assert.Contains(trial["status"]!.GetValue<string>(), row, StringComparison.Ordinal);
            Assert.Contains(F4(trial["bestValidationLoss"]), row, StringComparison.Ordinal);
        }
        Assert.Equal(search["leaderboard"]!.AsArray().Count, B.FindAll("#leaderboard tbody tr").Count);
        Assert.Equal(Math.Max(1, search["decisions"]!.AsArray().Count), B.FindAll("#decisions tbody tr").Count);
        var best = search["leaderboard"]![0]!["meanValidationLoss"]!;
        Assert.Contains(F4(best), B.Find("#leaderboard tbody tr").Text, StringComparison.Ordinal);

        // The analysis Optuna Dashboard gives: history, parallel coordinates, importance saying how it is computed.
        B.Wait(d => B.Drawn("#history-chart") && B.Drawn("#parallel-chart"), "the optimization history and parallel coordinates");
        var history = await fixture.Host.Http.GetStringAsync($"searches/{id}/charts/history.svg", TestContext.Current.CancellationToken);
        Assert.Contains("best so far", history, StringComparison.Ordinal);
        Assert.Contains("η²", B.Wait(d => B.Find("#importance-method").Text, "how importance is computed"), StringComparison.Ordinal);
        // And a link to the winner's run, which the store holds.
        var winner = B.Wait(d => B.Find("#winner-link"), "the link to the winner's run");
        var winnerId = winner.GetAttribute("href")!.Split("#/runs/")[1];
        Assert.Equal("succeeded", (await fixture.Host.GetJsonAsync($"runs/{winnerId}"))["status"]!.GetValue<string>());
        B.Screenshot("search");
        Open("#/searches");
        B.Wait(d => B.FindAll($"tr[data-search='{id}'] [data-status='completed']").Count == 1, "the list's status");
        B.Screenshot("searches");
        Assert.Empty(B.ConsoleErrors());
    }

    [Fact]
    public async Task A_host_with_a_token_asks_for_it_once_and_the_page_sends_it_as_a_header()
    {
        await using var host = await TestHost.StartAsync(apiToken: "dashboard-test-token-0123456789");
        var origin = host.Server.Address.ToString().TrimEnd('/');
        try
        {
            B.SentRequests();
            B.Driver.Navigate().GoToUrl($"{origin}/#/runs");
            var input = B.Wait(d => B.Find("#token-input") is { Displayed: true } i ? i : null, "the token dialog")!;
            B.Screenshot("token");
            input.SendKeys("wrong");
            B.Find("#token-submit").Click();
            B.Wait(d => B.Find("#token-error").Text.Contains("not accepted", StringComparison.Ordinal), "the wrong token refused");
            B.Find("#token-input").SendKeys("dashboard-test-token-0123456789");
            B.Find("#token-submit").Click();
            B.Wait(d => B.FindAll("#runs").Count == 1 && !B.Find("#token-dialog").Displayed, "the runs table behind the token");

            B.Driver.Navigate().Refresh();
            B.Wait(d => B.FindAll("#runs").Count == 1, "the runs table after a reload");
            Assert.False(B.Find("#token-dialog").Displayed);
            Assert.Empty(B.Driver.Manage().Cookies.AllCookies);
            Assert.DoesNotContain("dashboard-test-token", B.Driver.Url, StringComparison.Ordinal);
            Assert.All(B.RequestedUrls(), u => Assert.DoesNotContain("dashboard-test-token", u, StringComparison.Ordinal));

            // What left the browser: the API requests carry the token in the Authorization header and nowhere else, no cookie.
            var sent = B.SentRequests().Where(r => r.Url.StartsWith(origin, StringComparison.Ordinal)).ToList();
            var withToken = sent.Where(r => r.Headers.TryGetValue("Authorization", out var h) && h == "Bearer dashboard-test-token-0123456789").ToList();
            Assert.Contains(withToken, r => new Uri(r.Url).AbsolutePath == "/runs/events");
            Assert.All(sent, r =>
            {
                Assert.DoesNotContain("dashboard-test-token", r.Url, StringComparison.Ordinal);
                Assert.False(r.Headers.ContainsKey("Cookie"), $"{r.Url} sent a cookie");
                Assert.All(r.Headers.Where(h => !h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase)),
                    h => Assert.DoesNotContain("dashboard-test-token", h.Value, StringComparison.Ordinal));
            });
            // After the reload the page asked no more: every API request carried the token from the start.
            var reload = sent.FindLastIndex(r => new Uri(r.Url).AbsolutePath == "/");
            Assert.True(reload > sent.FindIndex(r => new Uri(r.Url).AbsolutePath == "/"), "the reload's page request is missing");
            var afterReload = sent.Skip(reload).ToList();
            Assert.Contains(afterReload, r => new Uri(r.Url).AbsolutePath == "/runs/events");
            Assert.All(afterReload.Where(r => new Uri(r.Url).AbsolutePath.StartsWith("/runs", StringComparison.Ordinal)),
                r => Assert.Equal("Bearer dashboard-test-token-0123456789", r.Headers["Authorization"]));
            // The 401s before the token are logged by the browser as failed resources; nothing else may be.
            Assert.All(B.ConsoleErrors(), e => Assert.Contains("401", e, StringComparison.Ordinal));
            B.Driver.ExecuteScript("sessionStorage.clear();");
        }
        finally
        {
            // Away from this host before it stops: its runs page would keep trying to open its stream again.
            B.Driver.Navigate().GoToUrl("about:blank");
        }
    }
}
