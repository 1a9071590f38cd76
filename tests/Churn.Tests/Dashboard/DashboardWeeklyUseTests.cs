using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Churn.Tests.Host;
using OpenQA.Selenium;

namespace Churn.Tests.Dashboard;

/// <summary>
/// The dashboard as a weekly user meets it: a run opened mid-training, a cancelled run, the status filter from the
/// keyboard, figures named for the customers they were measured on, pages that render without their streams and fit
/// an 800 px window.
/// </summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public sealed class DashboardWeeklyUseTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private Browser B => fixture.Browser;

    private void Open(string hash) => B.Driver.Navigate().GoToUrl($"{fixture.Origin}/{hash}");

    private void Resize(int width, int height) => B.Driver.Manage().Window.Size = new System.Drawing.Size(width, height);

    [Fact]
    public async Task A_run_opened_mid_training_shows_each_stage_once_and_once_cancelled_what_it_wrote()
    {
        var id = await fixture.Host.SubmitAsync(RunBodies.Endless(Path.Combine(fixture.Host.Directory, "mid-training")));
        await fixture.Host.WaitForAsync(id, r => r["epoch"] is not null, TimeSpan.FromSeconds(120));

        Open($"#/runs/{id}");
        B.Wait(d => B.FindAll("#stages tbody tr").Count > 0, "the stages");
        // The event stream replays the run's past stages: they must not be listed a second time.
        B.Wait(d => ExtractEpoch(B.Find("#run-status").Text) is > 0, "an epoch from the stream");
        await Task.Delay(1500, TestContext.Current.CancellationToken);
        var stages = B.FindAll("#stages tbody tr td:first-child").Select(c => c.Text).ToList();
        Assert.Equal(stages.Distinct(), stages);
        Assert.Contains("train", stages);

        using var cancelled = await fixture.Host.Http.DeleteAsync($"runs/{id}", TestContext.Current.CancellationToken);
        B.Wait(d => B.FindAll("#run-status [data-status='cancelled']").Count == 1, "the run to show cancelled", 60);
        B.Wait(d => !B.Find("#stages").Text.Contains('…', StringComparison.Ordinal), "no stage still waiting");
        Assert.Contains("stopped", B.Find("#stages").Text, StringComparison.Ordinal);
        stages = [.. B.FindAll("#stages tbody tr td:first-child").Select(c => c.Text)];
        Assert.Equal(stages.Distinct(), stages);

        // Files lists what the cancelled run left in its folder, and each can be fetched.
        var files = await fixture.Host.GetJsonAsync($"runs/{id}/artifacts");
        var names = files["artifacts"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("manifest.json", names);
        Assert.Contains(names, n => n.EndsWith(".npz", StringComparison.Ordinal));
        B.Wait(d => B.FindAll("button[data-artifact='manifest.json']").Count == 1, "manifest.json among the files");
        Assert.DoesNotContain("wrote no files", B.Find("main").Text, StringComparison.Ordinal);
        using var manifest = await fixture.Host.Http.GetAsync($"runs/{id}/artifacts/manifest.json", TestContext.Current.CancellationToken);
        Assert.True(manifest.IsSuccessStatusCode);
    }

    private static int? ExtractEpoch(string text) =>
        System.Text.RegularExpressions.Regex.Match(text, @"epoch (\d+)") is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    [Fact]
    public async Task A_natural_mix_run_never_calls_its_test_accuracy_balanced()
    {
        var id = fixture.Finished[0];
        var run = await fixture.Host.GetJsonAsync($"runs/{id}");
        Assert.Equal("none", run["config"]!["balance"]!.GetValue<string>());

        Open($"#/runs/{id}");
        var recipe = B.Wait(d => B.Find("#recipe h3").Text, "the test split's figures");
        Assert.DoesNotContain("alanced", recipe, StringComparison.Ordinal);
        Assert.Contains("natural mix", recipe, StringComparison.Ordinal);

        Open("#/runs");
        B.Wait(d => B.FindAll($"tr[data-run='{id}']").Count == 1, "the runs table");
        Assert.DoesNotContain("balanced", B.Find("#runs").Text, StringComparison.OrdinalIgnoreCase);

        Open($"#/compare/{string.Join(',', fixture.Finished)}");
        var metrics = B.Wait(d => B.Find("#compare-metrics").Text, "the compared metrics");
        Assert.DoesNotContain("balanced", metrics, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(B.ConsoleErrors());
    }

    [Fact]
    public void A_run_page_speaks_plainly_and_explains_on_focus_the_terms_it_keeps()
    {
        Open($"#/runs/{fixture.Finished[1]}");
        B.Wait(d => B.FindAll("#population-cards .card").Count > 0 && B.FindAll("#calibration").Count == 1, "the run's figures");

        var text = (string)B.Driver.ExecuteScript("return document.querySelector('main').innerText;")!;
        foreach (var jargon in new[] { "recipe", "platt calibration", "prior calibration", "(ECE)", "the search's", "corrected by", "standardized", "background rows" })
        {
            Assert.DoesNotContain(jargon, text, StringComparison.OrdinalIgnoreCase);
        }
        // The terms that stay carry a "?" reachable with Tab, whose explanation shows on focus.
        foreach (var term in new[] { "#population h3 .term", "#population-cards .term", "#calibration .term", "#stages .term" })
        {
            Assert.NotEmpty(B.FindAll(term));
        }
        var first = B.Find("#population-cards .term");
        Assert.Equal("0", first.GetAttribute("tabindex"));
        B.Driver.ExecuteScript("arguments[0].focus();", first);
        var shown = (string)B.Driver.ExecuteScript("return getComputedStyle(arguments[0], '::after').content;", first)!;
        Assert.Contains("ROC AUC", shown, StringComparison.Ordinal);
        Assert.All(B.FindAll(".term"), t => Assert.False(string.IsNullOrWhiteSpace(t.GetAttribute("data-tip"))));
        Assert.Empty(B.ConsoleErrors());
    }

    [Fact]
    public void The_status_filter_works_from_the_keyboard_without_reloading_the_page()
    {
        Open("#/runs");
        B.Wait(d => B.FindAll("#runs tbody tr[data-run]").Count >= fixture.Finished.Length, "the runs table");
        B.Driver.ExecuteScript("window.stillHere = true;");
        var filter = B.Find("#status-filter");
        var heading = B.Find("main h2");
        filter.SendKeys(Keys.ArrowDown); // queued
        B.Wait(d => d.Url.Contains("status=queued", StringComparison.Ordinal), "the filter in the address");
        B.Wait(d => B.FindAll("#runs tbody tr[data-run]").Count == 0, "no queued runs listed");
        Assert.Equal("status-filter", B.Driver.ExecuteScript("return document.activeElement.id;"));
        filter.SendKeys(Keys.ArrowDown); // running
        filter.SendKeys(Keys.ArrowDown); // succeeded
        B.Wait(d => B.FindAll("#runs tbody tr[data-run]").Count >= fixture.Finished.Length, "the succeeded runs");
        Assert.All(B.FindAll("#runs tbody tr[data-run] .status"), s => Assert.Equal("succeeded", s.Text));
        Assert.Equal("status-filter", B.Driver.ExecuteScript("return document.activeElement.id;"));
        // The same page all along: no element was replaced, nothing reloaded.
        Assert.Equal("Runs", heading.Text);
        Assert.Equal(true, B.Driver.ExecuteScript("return window.stillHere === true;"));
        Assert.Equal("succeeded", filter.GetAttribute("value"));
        Assert.Empty(B.ConsoleErrors());
    }

    [Fact]
    public void The_runs_page_lists_the_runs_from_a_plain_request_when_its_stream_never_answers()
    {
        // Every fetch of the runs-wide stream hangs forever: the table must come from GET /runs alone.
        var script = B.Driver.ExecuteCdpCommand("Page.addScriptToEvaluateOnNewDocument", new Dictionary<string, object?>
        {
            ["source"] = "const realFetch = window.fetch; window.fetch = (u, i) => String(u).includes('/runs/events') ? new Promise(() => {}) : realFetch(u, i);",
        });
        var identifier = System.Text.Json.JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize(script)).RootElement.GetProperty("identifier").GetString();
        try
        {
            Open("#/runs");
            B.Wait(d => fixture.Finished.All(id => B.FindAll($"tr[data-run='{id}']").Count == 1), "the runs without their stream", 15);
            // Filtered, the list comes from GET /runs?status=..., again without the stream.
            B.Driver.Navigate().GoToUrl("about:blank");
            B.SentRequests();
            Open("#/runs?status=succeeded");
            B.Wait(d => fixture.Finished.All(id => B.FindAll($"tr[data-run='{id}']").Count == 1), "the succeeded runs without their stream", 15);
            Assert.Contains(B.SentRequests(), r => new Uri(r.Url).AbsolutePath == "/runs");
        }
        finally
        {
            B.Driver.ExecuteCdpCommand("Page.removeScriptToEvaluateOnNewDocument", new Dictionary<string, object?> { ["identifier"] = identifier });
            B.Driver.Navigate().GoToUrl("about:blank");
        }
    }

    [Fact]
    public async Task Chromiums_dump_dom_of_the_runs_page_lists_the_runs_in_the_store()
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var process = Process.Start(new ProcessStartInfo("/usr/bin/chromium",
                ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", $"--user-data-dir={TestPaths.NewTempDirectory()}", "--dump-dom", $"{fixture.Origin}/#/runs"])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var dom = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            _ = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            var text = await dom;
            Assert.All(fixture.Finished, id => Assert.Contains($"data-run=\"{id}\"", text, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Money_never_shows_minus_zero_a_too_wide_network_names_the_hosts_limit_and_head_answers()
    {
        Open("#/runs");
        B.Wait(d => B.FindAll("#runs").Count == 1, "the page");
        Assert.Equal("0", B.Driver.ExecuteScript("return money(-0.4);"));
        Assert.Equal("-1,115", B.Driver.ExecuteScript("return money(-1115.2);"));

        var body = RunBodies.Train(Path.Combine(fixture.Host.Directory, "too-wide"));
        body["model"]!["width"] = 5000;
        using var refused = await fixture.Host.PostAsync(body.ToJsonString());
        var detail = JsonNode.Parse(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["detail"]!.GetValue<string>();
        Assert.StartsWith("model.width", detail, StringComparison.Ordinal);
        Assert.Contains("1024", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("4096", detail, StringComparison.Ordinal);

        using var head = await fixture.Host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"), TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, head.StatusCode);
    }

    public static TheoryData<int> Widths => [800, 1400];

    [Theory]
    [MemberData(nameof(Widths))]
    public void No_page_is_wider_than_the_window(int width)
    {
        var (first, second) = (fixture.Finished[0], fixture.Finished[1]);
        var pages = new (string Hash, string Ready)[]
        {
            ("#/runs", $"tr[data-run='{first}']"),
            ($"#/runs/{first}", "#population-cards"),
            ($"#/compare/{first},{second}", "#compare-config"),
            ("#/searches", "#searches"),
            ("#/new-run", "#run-form"),
            ("#/new-search", "#search-form"),
            ("#/campaign", "#campaign-form"),
            ($"#/customer/{second}", "#customer-form"),
        };
        Resize(width, 900);
        try
        {
            foreach (var (hash, ready) in pages)
            {
                Open(hash);
                B.Wait(d => B.FindAll(ready).Count > 0, $"{hash} to render");
                var (scroll, inner) = ((long)B.Driver.ExecuteScript("return document.documentElement.scrollWidth;")!, (long)B.Driver.ExecuteScript("return window.innerWidth;")!);
                if (scroll > inner)
                {
                    B.Screenshot($"too-wide-{width}-{hash.Trim('#', '/').Replace('/', '-').Replace(',', '-')}");
                }

                Assert.True(scroll <= inner, $"{hash} is {scroll} px wide in a {inner} px window");
            }
        }
        finally
        {
            Resize(1400, 1000);
        }
    }

    [Fact]
    public async Task The_campaign_page_plans_as_churn_target_does_and_downloads_exactly_the_contacted_customers()
    {
        var newest = (await fixture.Host.GetJsonAsync("runs?status=succeeded&limit=1"))["runs"]![0]!["id"]!.GetValue<string>();
        var run = await fixture.Host.GetJsonAsync($"runs/{newest}");
        var rows = File.ReadLines(TestPaths.BundledData).Take(501).ToList();
        var customers = Path.Combine(fixture.Host.Directory, "campaign-500.csv");
        await File.WriteAllLinesAsync(customers, rows, TestContext.Current.CancellationToken);

        Open("#/campaign");
        B.Wait(d => B.Find("#campaign-model").GetAttribute("value") is { Length: > 0 } v ? v : null, "the model list");
        Assert.Equal(newest, B.Find("#campaign-model").GetAttribute("value"));
        B.Find("#f-customers").SendKeys(customers);
        Type("#f-contactCost", "3");
        Type("#f-conversionValue", "12");
        Type("#campaign-currency", "EUR");
        B.Find("#campaign-plan-button").Click();
        var plan = B.Wait(d => B.Find("#campaign-plan").Text is { Length: > 0 } t ? t : null, "the plan in words");

        // The same file and model through the command line.
        var dir = TestPaths.NewTempDirectory();
        var model = Path.Combine(run["config"]!["out"]!.GetValue<string>(), "model");
        var cli = await Churn.Tests.Cli.ChurnProcess.RunAsync(dir, "target", "--model", model, "--input", customers,
            "--contact-cost", "3", "--conversion-value", "12", "--output", "cli.csv", "--json");
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        var summary = JsonNode.Parse(cli.Stdout)!;
        int contacted = summary["contacted"]!.GetValue<int>(), total = summary["customers"]!.GetValue<int>();
        Assert.Equal(rows.Count, total);
        Assert.StartsWith($"Contact {contacted:N0} of {total:N0} customers", plan, StringComparison.Ordinal);
        Assert.Contains($"expect {summary["expectedBuyers"]!.GetValue<double>():N0} buyers among them", plan, StringComparison.Ordinal);
        Assert.Contains($"expected profit EUR {summary["expectedProfit"]!.GetValue<double>():N0}", plan, StringComparison.Ordinal);
        Assert.Contains($"EUR {summary["everyoneExpectedProfit"]!.GetValue<double>():N0} for contacting everyone", plan, StringComparison.Ordinal);
        var shown = B.Find("#campaign-plan");
        Assert.Equal(contacted.ToString(CultureInfo.InvariantCulture), shown.GetAttribute("data-contacted"));
        foreach (var (attribute, key) in new[] { ("data-expected-buyers", "expectedBuyers"), ("data-expected-profit", "expectedProfit"), ("data-everyone-profit", "everyoneExpectedProfit") })
        {
            Assert.Equal(summary[key]!.GetValue<double>(), double.Parse(shown.GetAttribute(attribute)!, CultureInfo.InvariantCulture));
        }

        // The file holds the outcomes: what really happened follows the plan.
        var realized = B.Find("#campaign-realized").Text;
        Assert.Contains($"{summary["realized"]!["buyersContacted"]!.GetValue<int>():N0} of the {summary["realized"]!["buyers"]!.GetValue<int>():N0} buyers", realized, StringComparison.Ordinal);
        Assert.Equal(Math.Min(contacted, 100), B.FindAll("#campaign-contacts tbody tr").Count);

        var cliRows = File.ReadAllLines(Path.Combine(dir, "cli.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        var expected = cliRows.Where(r => r[4] == "1").OrderBy(r => int.Parse(r[3], CultureInfo.InvariantCulture)).Select(r => r[0]).ToList();
        B.Find("#download-contacts").Click();
        var saved = Path.Combine(B.Downloads, $"contacted-{newest}.csv");
        B.Wait(d => File.Exists(saved) && File.ReadAllLines(saved).Length == contacted + 1, "the contacted customers' CSV");
        var lines = File.ReadAllLines(saved);
        Assert.StartsWith("customer_id,probability,expected_value,rank", lines[0], StringComparison.Ordinal);
        Assert.Equal(expected, lines.Skip(1).Select(l => l.Split(',')[0]));

        B.Find("#download-scores").Click();
        var scored = Path.Combine(B.Downloads, $"scored-{newest}.csv");
        B.Wait(d => File.Exists(scored) && File.ReadAllLines(scored).Length == total + 1, "the full scored list");
        Assert.Equal(File.ReadAllLines(Path.Combine(dir, "cli.csv")), File.ReadAllLines(scored));
        B.Screenshot("campaign");

        // A row with a word where a number belongs: the host's message beside the file field, and no plan.
        var bad = rows.Take(5).Select((r, i) => i == 2 ? string.Join(',', r.Split(',').Select((v, c) => c == 3 ? "many" : v)) : r).ToList();
        var badFile = Path.Combine(fixture.Host.Directory, "campaign-bad.csv");
        await File.WriteAllLinesAsync(badFile, bad, TestContext.Current.CancellationToken);
        B.Find("#f-customers").SendKeys(badFile);
        B.Find("#campaign-plan-button").Click();
        var error = B.Wait(d => B.Find("#f-customers-error").Text is { Length: > 0 } text ? text : null, "the file field's error");
        Assert.Contains("line 3", error, StringComparison.Ordinal);
        Assert.Equal("true", B.Find("#f-customers").GetAttribute("aria-invalid"));
        Assert.Equal("", B.Find("#campaign-plan").Text);
        Assert.All(B.ConsoleErrors(), e => Assert.Contains("400", e, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_contacted_list_gives_reasons_its_columns_are_chosen_and_near_certain_chances_keep_their_digits()
    {
        var newest = (await fixture.Host.GetJsonAsync("runs?status=succeeded&limit=1"))["runs"]![0]!["id"]!.GetValue<string>();
        // A file no other test scores: 300 customers drawn at random from the bundled data.
        var lines = File.ReadAllLines(TestPaths.BundledData);
        var random = new Random(20);
        var customers = Path.Combine(fixture.Host.Directory, "campaign-random-300.csv");
        await File.WriteAllLinesAsync(customers, [lines[0], .. lines.Skip(1).OrderBy(_ => random.Next()).Take(300)], TestContext.Current.CancellationToken);
        Open($"#/campaign?run={newest}");
        B.Wait(d => B.Find("#campaign-model").GetAttribute("value") is { Length: > 0 } v ? v : null, "the model list");
        try
        {
            Assert.Equal("99.96 %", B.Driver.ExecuteScript("return pct(0.9996);"));
            Assert.Equal("> 99.99 %", B.Driver.ExecuteScript("return pct(0.99999);"));
            Assert.Equal("< 0.01 %", B.Driver.ExecuteScript("return pct(0.00004);"));
            Assert.Equal("0.04 %", B.Driver.ExecuteScript("return pct(0.0004);"));
            Assert.Equal("15.9 %", B.Driver.ExecuteScript("return pct(0.159);"));
            Assert.Equal("100.0 %", B.Driver.ExecuteScript("return pct(1);"));

            B.Find("#f-customers").SendKeys(customers);
            Type("#f-contactCost", "3");
            Type("#f-conversionValue", "12");
            Type("#campaign-currency", "USD");
            B.Find("#campaign-plan-button").Click();
            B.Wait(d => B.FindAll("#campaign-contacts tbody tr").Count > 0, "the contacted customers");
            var headers = B.FindAll("#campaign-contacts thead th").Select(h => h.Text).ToList();
            Assert.Equal(["rank", "customer", "chance of buying", "expected value (USD)", "why (strongest reasons)"], headers);
            var first = B.FindAll("#campaign-contacts tbody tr td").Select(c => c.Text).ToList();
            Assert.NotEqual("", first[4]);
            Assert.StartsWith("USD ", first[3], StringComparison.Ordinal);
            Assert.DoesNotContain(B.FindAll("#campaign-contacts tbody td:nth-child(3)"), c => c.Text == "100.0 %");

            // Fewer columns: the page and the download hold just those.
            B.Find("#column-expected_value").Click();
            B.Find("#column-reasons").Click();
            Assert.Equal(["rank", "customer", "chance of buying"], B.FindAll("#campaign-contacts thead th").Select(h => h.Text));
            var saved = Path.Combine(B.Downloads, $"contacted-{newest}.csv");
            File.Delete(saved);
            B.Find("#download-contacts").Click();
            B.Wait(d => File.Exists(saved) && File.ReadAllLines(saved).Length > 1, "the contacted customers' CSV");
            var csv = File.ReadAllLines(saved);
            Assert.Equal("customer_id,probability,rank", csv[0]);
            Assert.Equal(B.FindAll("#campaign-contacts tbody tr").Count, Math.Min(100, csv.Length - 1));
            Assert.All(csv.Skip(1), l => Assert.Equal(3, l.Split(',').Length));
        }
        finally
        {
            B.Driver.ExecuteScript("localStorage.removeItem('churn-contact-columns'); localStorage.removeItem('churn-currency');");
            File.Delete(Path.Combine(B.Downloads, $"contacted-{newest}.csv"));
            // Away from the campaign page, so that the next test's page is drawn anew, not found half-replaced.
            Open("#/runs");
        }
    }

    private void Type(string css, string text)
    {
        var input = B.Find(css);
        input.Clear();
        input.SendKeys(text);
    }

    private async Task<string> StartSearchAsync(string name, int parallel)
    {
        var body = new JsonObject
        {
            ["trials"] = 3,
            ["seeds"] = 2,
            ["maxEpochs"] = 6,
            ["space"] = new JsonObject { ["depth"] = new JsonArray(1, 2), ["width"] = new JsonArray(8, 16), ["patience"] = new JsonArray(20) },
            ["data"] = TestPaths.BundledData,
            ["out"] = Path.Combine(fixture.Host.Directory, name),
            ["seed"] = 3,
            ["parallel"] = parallel,
        };
        using var response = await fixture.Host.Http.PostAsync("searches", new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task A_live_search_shows_its_trials_truthfully_and_the_list_agrees_with_its_page()
    {
        var id = await StartSearchAsync("truthful-search", 2);
        Open($"#/searches/{id}");
        B.Wait(d => B.FindAll("#trials tbody").Count == 1, "the trial table");
        // Every trial row as drawn: status, node, calibrated loss.
        B.Driver.ExecuteScript("""
            window.drawnTrials = [];
            new MutationObserver(() => document.querySelectorAll('#trials tbody tr').forEach(r => window.drawnTrials.push(
              [r.querySelector('.status') ? r.querySelector('.status').textContent : '', r.cells[4].textContent, r.cells[6].textContent])))
              .observe(document.querySelector('#trials tbody'), { childList: true, subtree: true });
            """);
        B.Wait(d => B.FindAll("#search-status [data-status='completed']").Count == 1, "the search to complete", 240);
        var search = await fixture.Host.GetJsonAsync($"searches/{id}");
        B.Wait(d => search["trialList"]!.AsArray().All(t => B.Find($"#trials tr[data-trial='{t!["index"]}']").FindElements(By.TagName("td"))[6].Text == F4(t["calibratedLoss"])),
            "each ended trial's calibrated loss, without a reload");

        var drawn = ((IEnumerable<object>)B.Driver.ExecuteScript("return window.drawnTrials;")!).Select(r => ((IEnumerable<object>)r).Select(v => v.ToString()!).ToArray()).ToList();
        Assert.Contains(drawn, r => r[0] == "running");
        Assert.All(drawn, r => Assert.DoesNotContain("akka://", r[1], StringComparison.Ordinal));
        Assert.All(drawn.Where(r => r[0] == "running"), r => Assert.Equal("", r[2]));

        // The list says what the page says: trials ended, and the winner's calibrated loss.
        var status = B.Find("#search-status").Text;
        Open("#/searches");
        var row = B.Wait(d => B.Find($"tr[data-search='{id}']").Text, "the search in the list");
        var ended = search["trials"]!["ended"]!.GetValue<int>();
        Assert.Contains($"{ended} of {search["trials"]!["total"]} trials ended", status, StringComparison.Ordinal);
        Assert.Contains($"{ended} / {search["trials"]!["total"]}", row, StringComparison.Ordinal);
        Assert.Contains(F4(search["leaderboard"]![0]!["meanCalibratedLoss"]), row, StringComparison.Ordinal);

        // A search cancelled at once: its page and the list count the same trials as ended.
        var cancelled = await StartSearchAsync("cancelled-search", 1);
        using var stop = await fixture.Host.Http.DeleteAsync($"searches/{cancelled}", TestContext.Current.CancellationToken);
        Open($"#/searches/{cancelled}");
        B.Wait(d => B.FindAll("#search-status [data-status='running']").Count == 0 && B.FindAll("#search-status .status").Count == 1, "the search to stop", 120);
        var stopped = await fixture.Host.GetJsonAsync($"searches/{cancelled}");
        var stoppedEnded = stopped["trials"]!["ended"]!.GetValue<int>();
        Open("#/searches");
        B.Wait(d => B.Find($"tr[data-search='{cancelled}']").Text.Contains($"{stoppedEnded} / {stopped["trials"]!["total"]}", StringComparison.Ordinal), "the list's count of ended trials");
        Assert.Empty(B.ConsoleErrors());
    }

    private static string F4(JsonNode? node) => node!.GetValue<double>().ToString("F4", CultureInfo.InvariantCulture);

    [Fact]
    public async Task The_runs_table_shows_names_and_tags_sorts_chooses_its_columns_and_hides_archived_runs()
    {
        var (first, second) = (fixture.Finished[0], fixture.Finished[1]);
        using (var named = await fixture.Host.Http.PatchAsync($"runs/{first}",
            new StringContent("""{ "name": "narrow net", "tags": ["baseline"] }""", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken))
        {
            Assert.True(named.IsSuccessStatusCode);
        }

        try
        {
            Open("#/runs");
            var row = B.Wait(d => B.Find($"tr[data-run='{first}']"), "the named run's row");
            Assert.Contains("narrow net", row.Text, StringComparison.Ordinal);
            Assert.Contains("baseline", row.Text, StringComparison.Ordinal);
            var listed = (await fixture.Host.GetJsonAsync("runs"))["runs"]!.AsArray();
            double Auc(string id) => listed.Single(r => r!["id"]!.GetValue<string>() == id)!["headline"]!["populationRocAuc"]!.GetValue<double>();
            string Profit(string id) => listed.Single(r => r!["id"]!.GetValue<string>() == id)!["headline"]!["campaignProfitPer1000"]!.GetValue<double>().ToString("N0", CultureInfo.InvariantCulture);
            Assert.Contains(Profit(first), B.Find($"tr[data-run='{first}'] [data-col='profit']").Text, StringComparison.Ordinal);

            // Sorting by ROC AUC, best first, then the other way, from the keyboard.
            var sort = B.Find("button[data-sort='rocAuc']");
            sort.SendKeys(Keys.Enter);
            string[] Order() => [.. B.FindAll("#runs tbody tr[data-run]").Select(r => r.GetAttribute("data-run")!).Where(fixture.Finished.Contains)];
            var best = Auc(first) >= Auc(second) ? new[] { first, second } : [second, first];
            B.Wait(d => Order().SequenceEqual(best), "the runs by ROC AUC, highest first");
            B.Find("button[data-sort='rocAuc']").SendKeys(Keys.Enter);
            B.Wait(d => Order().SequenceEqual(best.Reverse()), "the runs by ROC AUC, lowest first");

            // A setting as a column.
            B.Find("#column-chooser summary").Click();
            B.Find("#column-p-model-width").Click();
            B.Wait(d => B.FindAll($"tr[data-run='{first}'] [data-col='p:model.width']").Count == 1, "the width column");
            Assert.Equal("16", B.Find($"tr[data-run='{first}'] [data-col='p:model.width']").Text);
            Assert.Equal("32", B.Find($"tr[data-run='{second}'] [data-col='p:model.width']").Text);

            // Archived from its page: out of the table until asked for.
            Open($"#/runs/{first}");
            B.Wait(d => B.Find("#run-labels"), "the labels");
            Assert.Equal("narrow net", B.Find("#run-name").GetAttribute("value"));
            B.Find("#archive-run").Click();
            B.Wait(d => B.Find("#archive-run").Text == "Unarchive", "the run archived");
            Open("#/runs");
            B.Wait(d => B.FindAll($"tr[data-run='{second}']").Count == 1, "the table");
            Assert.Empty(B.FindAll($"tr[data-run='{first}']"));
            B.Find("#show-archived").Click();
            B.Wait(d => B.FindAll($"tr[data-run='{first}']").Count == 1, "the archived run shown on request");
            B.Screenshot("runs-labelled");
            Assert.Empty(B.ConsoleErrors());
        }
        finally
        {
            using var restored = await fixture.Host.Http.PatchAsync($"runs/{first}",
                new StringContent("""{ "name": null, "tags": [], "archived": false }""", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        }
    }
}
