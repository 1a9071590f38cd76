using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Explanation;

namespace Churn.Tests.Host;

/// <summary>A host with one trained run, for the model registry's endpoints.</summary>
public sealed class ModelsHostFixture : IAsyncLifetime
{
    /// <summary>Customers a request may score at once on this host.</summary>
    public const int MaxRows = 5;

    public TestHost Host { get; private set; } = null!;

    public string RunId { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Host = await TestHost.StartAsync(maxScoreBytes: 8192, hostSettings: new JsonObject { ["limits"] = new JsonObject { ["maxScoreRows"] = MaxRows } });
        RunId = await Host.SubmitAsync(RunBodies.Train(Path.Combine(Host.Directory, "trained"), maxEpochs: 3));
        await Host.WaitForAsync(RunId, r => r["status"]!.GetValue<string>() is "succeeded" or "failed", TimeSpan.FromMinutes(3));
    }

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// <c>/models</c>: register a run's model, list and show, promote and roll back, score customers in real time (with
/// reasons, from the promoted version), compare two versions; bad requests name their field, and the host's origin,
/// size and token checks hold.
/// </summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public sealed class ModelsApiTests(ModelsHostFixture fixture) : IClassFixture<ModelsHostFixture>
{
    private TestHost H => fixture.Host;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string Customer(long id, string minutes = "1603.8") =>
        $$"""{"customer_id": {{id}}, "book_length_avg_min": 1620, "book_length_total_min": 1620, "price_avg": 19.73, "price_total": 19.73, "review": 1, "review_score": 10, "completion": 0.99, "minutes_listened": {{minutes}}, "support_requests": 5, "last_visit_days": 92}""";

    private async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpMethod method, string path, string? body = null, string? origin = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin);
        }
        using var response = await H.Http.SendAsync(request, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        return (response.StatusCode, text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!);
    }

    private async Task<string> RegisteredAsync(string name)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, $"models/{name}/versions", new JsonObject { ["runId"] = fixture.RunId }.ToJsonString());
        Assert.True(status == HttpStatusCode.Created, body.ToJsonString());
        return $"{name}@{body["version"]}";
    }

    private static void AssertBad((HttpStatusCode Status, JsonNode Body) answer, string field)
    {
        Assert.True(answer.Status == HttpStatusCode.BadRequest, answer.Body.ToJsonString());
        Assert.Equal(field, answer.Body["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_runs_model_is_registered_listed_promoted_and_rolled_back_and_bad_requests_name_their_field()
    {
        Assert.Equal("weekly@1", await RegisteredAsync("weekly"));
        Assert.Equal("weekly@2", await RegisteredAsync("weekly"));

        var listed = (await SendAsync(HttpMethod.Get, "models")).Body["models"]!.AsArray().Single(m => m!["name"]!.GetValue<string>() == "weekly")!;
        Assert.Null(listed["production"]);
        var version = listed["versions"]![0]!;
        Assert.Equal(fixture.RunId, version["runId"]!.GetValue<string>());
        Assert.NotNull(version["testMetrics"]!["rocAuc"]);
        Assert.DoesNotContain(H.Directory, listed.ToJsonString(), StringComparison.Ordinal);

        var promoted = await SendAsync(HttpMethod.Put, "models/weekly/production", """{"version": 2}""");
        Assert.Equal(HttpStatusCode.OK, promoted.Status);
        Assert.Equal(2, promoted.Body["production"]!.GetValue<int>());
        Assert.Equal(1, (await SendAsync(HttpMethod.Put, "models/weekly/production", """{"version": 1}""")).Body["production"]!.GetValue<int>());
        Assert.Equal(2, (await SendAsync(HttpMethod.Put, "models/weekly/production", """{"version": 2}""")).Body["production"]!.GetValue<int>());
        var rolledBack = await SendAsync(HttpMethod.Post, "models/weekly/rollback");
        Assert.Equal(HttpStatusCode.OK, rolledBack.Status);
        Assert.Equal(1, rolledBack.Body["production"]!.GetValue<int>());
        Assert.Equal(1, (await H.GetJsonAsync("models/weekly"))["production"]!.GetValue<int>());
        Assert.Equal(1, H.Server.Store.Model("weekly")!.Production);

        AssertBad(await SendAsync(HttpMethod.Put, "models/weekly/production", """{"version": 9}"""), "version");
        AssertBad(await SendAsync(HttpMethod.Put, "models/weekly/production", """{"version": "two"}"""), "version");
        AssertBad(await SendAsync(HttpMethod.Put, "models/weekly/production", """{"version": 1, "colour": "red"}"""), "colour");
        AssertBad(await SendAsync(HttpMethod.Post, "models/weekly/versions", """{}"""), "runId");
        AssertBad(await SendAsync(HttpMethod.Post, "models/weekly/versions", """{"runId": "no-such-run"}"""), "runId");
        AssertBad(await SendAsync(HttpMethod.Post, "models/-bad-/versions", new JsonObject { ["runId"] = fixture.RunId }.ToJsonString()), "name");
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "models/nobody")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Put, "models/nobody/production", """{"version": 1}""")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Post, "models/nobody/rollback")).Status);
    }

    [Fact]
    public async Task Scoring_gives_the_models_probabilities_contact_decisions_and_reasons_and_follows_a_promotion()
    {
        await RegisteredAsync("live");
        await RegisteredAsync("live");
        var unpromoted = await SendAsync(HttpMethod.Post, "models/live/score", $"[{Customer(1)}]");
        Assert.Equal(HttpStatusCode.Conflict, unpromoted.Status);
        Assert.Contains("no production version", unpromoted.Body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await SendAsync(HttpMethod.Put, "models/live/production", """{"version": 1}""");

        var customers = $"[{Customer(7)}, {Customer(8, "0")}, {Customer(9, "250")}]";
        var (status, body) = await SendAsync(HttpMethod.Post, "models/live/score", customers);
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(1, body["version"]!.GetValue<int>());
        var rows = body["customers"]!.AsArray();
        Assert.Equal([7L, 8L, 9L], rows.Select(r => r!["customerId"]!.GetValue<long>()));

        // The same customers scored and explained in process with the registered copy: the same figures.
        var copy = ModelArtifact.Load(H.Server.Store.Model("live")!.Versions[0].Directory).Unwrap();
        var data = new Dataset([7, 8, 9], MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfRowArrays(
            [1620, 1620, 19.73, 19.73, 1, 10, 0.99, 1603.8, 5, 92], [1620, 1620, 19.73, 19.73, 1, 10, 0.99, 0, 5, 92], [1620, 1620, 19.73, 19.73, 1, 10, 0.99, 250, 5, 92]), []);
        var expected = copy.Score(data).Unwrap().Probabilities;
        // Fast reasons by default: the table fitted on the copy's saved sample against its first 100 customers.
        var background = Explained.Background(copy, null, null, DataLimits.Default).Unwrap();
        var logOdds = Shapley.CalibratedLogOdds(copy)(Scaler.Apply(copy.Scaler, data.Inputs));
        var fast = ReasonTable.ForModel(copy, background).Unwrap().Explain(Scaler.Apply(copy.Scaler, data.Inputs), logOdds);
        var reasons = Enumerable.Range(0, 3).Select(i => Explained.Reasons(fast, data.Inputs, copy.FeatureNames, i, 3)).ToArray();
        Assert.Equal("fast", body["reasonMethod"]!.GetValue<string>());
        var cost = body["contactCost"]!.GetValue<double>();
        var value = body["conversionValue"]!.GetValue<double>();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(expected[i], rows[i]!["probability"]!.GetValue<double>());
            Assert.Equal(expected[i] * value > cost, rows[i]!["contact"]!.GetValue<bool>());
            Assert.Equal(reasons[i].Select(r => r.Feature), rows[i]!["reasons"]!.AsArray().Select(r => r!["feature"]!.GetValue<string>()));
            Assert.Equal(reasons[i].Select(r => r.ToString()), rows[i]!["reasons"]!.AsArray().Select(r => r!["text"]!.GetValue<string>()));
        }
        // Exact reasons on asking: those of churn predict --reasons.
        var exact = await SendAsync(HttpMethod.Post, "models/live/score?method=exact", customers);
        Assert.Equal("exact", exact.Body["reasonMethod"]!.GetValue<string>());
        var exactReasons = Explained.TopReasons(copy, data.Inputs, [0, 1, 2], 3).Unwrap();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(exactReasons[i].Select(r => r.ToString()), exact.Body["customers"]![i]!["reasons"]!.AsArray().Select(r => r!["text"]!.GetValue<string>()));
        }
        var five = await SendAsync(HttpMethod.Post, "models/live@2/score?reasons=5", $"[{Customer(1)}]");
        Assert.Equal(5, five.Body["customers"]![0]!["reasons"]!.AsArray().Count);
        Assert.Null((await SendAsync(HttpMethod.Post, "models/live/score?reasons=0", $"[{Customer(1)}]")).Body["customers"]![0]!["reasons"]);
        // Against the first 10 customers of the saved background: the reasons that smaller background gives.
        var small = await SendAsync(HttpMethod.Post, "models/live/score?method=exact&background=10", customers);
        var againstTen = Shapley.Explain(copy, data.Inputs, Explained.Background(copy, null, 10, DataLimits.Default).Unwrap()).Unwrap();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Explained.Reasons(againstTen, data.Inputs, copy.FeatureNames, i, 3).Select(r => r.LogOdds),
                small.Body["customers"]![i]!["reasons"]!.AsArray().Select(r => r!["logOdds"]!.GetValue<double>()));
        }

        // A promotion through the host is seen by the next request.
        await SendAsync(HttpMethod.Put, "models/live/production", """{"version": 2}""");
        Assert.Equal(2, (await SendAsync(HttpMethod.Post, "models/live/score", $"[{Customer(1)}]")).Body["version"]!.GetValue<int>());
        await SendAsync(HttpMethod.Post, "models/live/rollback");
        Assert.Equal(1, (await SendAsync(HttpMethod.Post, "models/live/score", $"[{Customer(1)}]")).Body["version"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Post, "models/nobody/score", $"[{Customer(1)}]")).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Post, "models/live@9/score", $"[{Customer(1)}]")).Status);
    }

    /// <summary>The host's log lines that say <paramref name="version"/>'s fast reasons were fitted.</summary>
    private static List<string> FittedLines(TestHost host, string version)
    {
        var lines = new List<string>();
        foreach (var file in Directory.Exists(host.LogsDirectory) ? Directory.GetFiles(host.LogsDirectory, "*.jsonl") : [])
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                if (line.Length > 0 && JsonNode.Parse(line)!["message"]?.GetValue<string>() is { } message
                    && message.StartsWith($"{version}: fast reasons fitted", StringComparison.Ordinal))
                {
                    lines.Add(line);
                }
            }
        }
        return lines;
    }

    private static async Task<string> FittedLineAsync(TestHost host, string version)
    {
        for (var waited = 0; waited < 600; waited++)
        {
            if (FittedLines(host, version) is [var line, ..])
            {
                return line;
            }
            await Task.Delay(100, Cancel);
        }
        Assert.Fail($"{version}'s fast reasons were not fitted within a minute");
        return "";
    }

    [Fact]
    public async Task A_promoted_version_gets_its_fast_reasons_fitted_ahead_once_and_a_request_during_the_fit_gets_the_later_answer()
    {
        await RegisteredAsync("ahead");
        await RegisteredAsync("ahead");

        // Promoted and never scored: the table is fitted all the same, logged with the version's run id and stage.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "models/ahead/production", """{"version": 1}""")).Status);
        var fitted = JsonNode.Parse(await FittedLineAsync(H, "ahead@1"))!;
        Assert.Equal(fixture.RunId, fitted["runId"]!.GetValue<string>());
        Assert.Equal("reasons", fitted["stage"]!.GetValue<string>());

        // Scored at once after a promotion, while its table is being fitted: the answer a later request gets.
        var customers = $"[{Customer(7)}, {Customer(8, "0")}, {Customer(9, "250")}]";
        Assert.Empty(FittedLines(H, "ahead@2"));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "models/ahead/production", """{"version": 2}""")).Status);
        var during = await SendAsync(HttpMethod.Post, "models/ahead/score", customers);
        Assert.True(during.Status == HttpStatusCode.OK, during.Body.ToJsonString());
        await FittedLineAsync(H, "ahead@2");
        var after = await SendAsync(HttpMethod.Post, "models/ahead/score", customers);
        Assert.Equal(2, during.Body["version"]!.GetValue<int>());
        Assert.Equal("fast", during.Body["reasonMethod"]!.GetValue<string>());
        Assert.Equal(after.Body.ToJsonString(), during.Body.ToJsonString());

        // Each version was fitted once, whoever asked first.
        Assert.Single(FittedLines(H, "ahead@1"));
        Assert.Single(FittedLines(H, "ahead@2"));
    }

    [Fact]
    public async Task A_starting_host_fits_each_models_production_version_ahead()
    {
        var copy = H.Server.Store.ResolveModel(await RegisteredAsync("restarted")).Unwrap().Directory;
        var directory = TestPaths.NewTempDirectory();
        await using (var first = await TestHost.StartAsync(directory: directory))
        {
            // Registered and promoted by another process (the store alone): this host fits nothing for it.
            first.Server.Store.RegisterModel("restarted", copy, null, DateTimeOffset.UtcNow).Unwrap();
            first.Server.Store.RegisterModel("restarted", copy, null, DateTimeOffset.UtcNow).Unwrap();
            first.Server.Store.Promote("restarted", 2, DateTimeOffset.UtcNow).Unwrap();
            first.Server.Store.RegisterModel("unpromoted", copy, null, DateTimeOffset.UtcNow).Unwrap();
        }
        await using var again = await TestHost.StartAsync(directory: directory);
        await FittedLineAsync(again, "restarted@2");
        Assert.Empty(FittedLines(again, "restarted@1"));
        Assert.Empty(FittedLines(again, "unpromoted@1"));
    }

    [Fact]
    public async Task A_model_saved_without_a_background_sample_scores_and_refuses_reasons_of_either_kind_with_a_conflict()
    {
        var legacy = TestPaths.ModelV1;
        H.Server.Store.RegisterModel("legacy", legacy, null, DateTimeOffset.UtcNow).Unwrap();
        H.Server.Store.Promote("legacy", 1, DateTimeOffset.UtcNow).Unwrap();

        var scored = await SendAsync(HttpMethod.Post, "models/legacy/score?reasons=0", $"[{Customer(1)}]");
        Assert.True(scored.Status == HttpStatusCode.OK, scored.Body.ToJsonString());
        Assert.Null(scored.Body["reasonMethod"]);
        foreach (var query in new[] { "", "?method=exact" })
        {
            var refused = await SendAsync(HttpMethod.Post, "models/legacy/score" + query, $"[{Customer(1)}]");
            Assert.True(refused.Status == HttpStatusCode.Conflict, refused.Body.ToJsonString());
            Assert.Equal("reasons", refused.Body["field"]!.GetValue<string>());
            Assert.Contains("?reasons=0", refused.Body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Bad_customers_are_refused_naming_the_row_and_field_and_the_hosts_checks_hold()
    {
        await RegisteredAsync("guarded");
        await SendAsync(HttpMethod.Put, "models/guarded/production", """{"version": 1}""");
        var good = Customer(1);
        AssertBad(await SendAsync(HttpMethod.Post, "models/guarded/score", $"[{good}, {Customer(2, "NaN")}]"), "[1].minutes_listened");
        AssertBad(await SendAsync(HttpMethod.Post, "models/guarded/score", $"[{good}, {Customer(2, "\"NaN\"")}]"), "[1].minutes_listened");
        AssertBad(await SendAsync(HttpMethod.Post, "models/guarded/score", $"[{Customer(2, "\"12\"")}]"), "[0].minutes_listened");
        AssertBad(await SendAsync(HttpMethod.Post, "models/guarded/score", $"[{Customer(2, "-1")}]"), "[0].minutes_listened");
        AssertBad(await SendAsync(HttpMethod.Post, "models/guarded/score", $"[{good}, {good.Replace("\"price_avg\": 19.73, ", "", StringComparison.Ordinal)}]"), "[1].price_avg");
        AssertBad(await SendAsync(HttpMethod.Post, "models/guarded/score", $"[{good.Replace("\"review\": 1", "\"review\": 2", StringComparison.Ordinal)}]"), "[0].review");
        AssertBad(await SendAsync(HttpMethod.Post, "models/guarded/score", """{"customer_id": 1}"""), "body");
        var tooMany = await SendAsync(HttpMethod.Post, "models/guarded/score", "[" + string.Join(",", Enumerable.Repeat(good, ModelsHostFixture.MaxRows + 1)) + "]");
        AssertBad(tooMany, $"[{ModelsHostFixture.MaxRows}]");
        Assert.Contains("host.limits.maxScoreRows", tooMany.Body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        AssertBad(await SendAsync(HttpMethod.Post, "models/guarded/score?reasons=11", $"[{good}]"), "reasons");
        AssertBad(await SendAsync(HttpMethod.Post, "models/guarded/score?method=exact&background=0", $"[{good}]"), "background");
        AssertBad(await SendAsync(HttpMethod.Post, "models/guarded/score?background=10", $"[{good}]"), "background");
        AssertBad(await SendAsync(HttpMethod.Post, "models/guarded/score?method=sampled", $"[{good}]"), "method");
        AssertBad(await SendAsync(HttpMethod.Post, "models/guarded@0/score", $"[{good}]"), "model");

        // Larger than host.maxScoreBytes: 413, before anything is parsed.
        var large = await SendAsync(HttpMethod.Post, "models/guarded/score", "[" + string.Join(",", Enumerable.Repeat(good, 40)) + "]");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.Status);
        Assert.Contains("host.maxScoreBytes", large.Body["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // Another site's page is refused, whatever it asks; production stays where it was.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, "models/guarded/score", $"[{good}]", origin: "https://evil.example")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, "models/guarded/rollback", origin: "https://evil.example")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, "models/guarded/versions", new JsonObject { ["runId"] = fixture.RunId }.ToJsonString(), origin: "https://evil.example")).Status);
        Assert.Single(H.Server.Store.Model("guarded")!.Versions);
        // A form post (text/plain needs no preflight) is refused too.
        using var form = new HttpRequestMessage(HttpMethod.Put, "models/guarded/production") { Content = new StringContent("""{"version": 1}""", Encoding.UTF8, "text/plain") };
        using var formAnswer = await H.Http.SendAsync(form, Cancel);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, formAnswer.StatusCode);
    }

    [Fact]
    public async Task Comparing_a_version_with_itself_finds_every_difference_zero_and_not_distinguishable()
    {
        var a = await RegisteredAsync("pair");
        var b = await RegisteredAsync("pair");
        var labelled = string.Join("\n", File.ReadLines(TestPaths.BundledData).Take(60)) + "\n";
        var (status, body) = await SendAsync(HttpMethod.Post, "models/compare", new JsonObject { ["a"] = a, ["b"] = b, ["customers"] = labelled, ["resamples"] = 200 }.ToJsonString());
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        var comparison = body["comparison"]!;
        Assert.Equal(60, comparison["rows"]!.GetValue<int>());
        Assert.All(comparison["differences"]!.AsArray(), d => Assert.Equal(0, d!["difference"]!.GetValue<double>()));
        Assert.Contains("not distinguishable", comparison["verdict"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(comparison["a"]!["rocAuc"]!.GetValue<double>(), comparison["b"]!["rocAuc"]!.GetValue<double>());

        AssertBad(await SendAsync(HttpMethod.Post, "models/compare", new JsonObject { ["a"] = a, ["b"] = "nobody", ["customers"] = labelled }.ToJsonString()), "b");
        AssertBad(await SendAsync(HttpMethod.Post, "models/compare", new JsonObject { ["a"] = a, ["b"] = b }.ToJsonString()), "customers");
        AssertBad(await SendAsync(HttpMethod.Post, "models/compare", new JsonObject { ["a"] = a, ["b"] = b, ["customers"] = labelled, ["resamples"] = 5 }.ToJsonString()), "resamples");
        var unlabelled = string.Join("\n", File.ReadLines(TestPaths.BundledData).Take(5).Select(l => l[..l.LastIndexOf(',')])) + "\n";
        AssertBad(await SendAsync(HttpMethod.Post, "models/compare", new JsonObject { ["a"] = a, ["b"] = b, ["customers"] = unlabelled }.ToJsonString()), "customers");
    }

    [Fact]
    public async Task With_a_token_the_models_endpoints_need_it()
    {
        const string token = "models-token-0123456789";
        await using var host = await TestHost.StartAsync(apiToken: token);
        using var anonymous = await host.Http.GetAsync("models", Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var score = await host.Http.PostAsync("models/any/score", new StringContent($"[{Customer(1)}]", Encoding.UTF8, "application/json"), Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, score.StatusCode);
        host.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var models = await host.GetJsonAsync("models");
        Assert.Empty(models["models"]!.AsArray());
    }
}
