using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Churn.Numerics.Data;
using Churn.Tests.Data;
using Churn.Tests.Host;

namespace Churn.Tests.Explanation;

/// <summary><c>POST /runs/{id}/explain</c> and the reasons of <c>POST /runs/{id}/target</c>.</summary>
public class ExplainApiTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_finished_runs_model_explains_posted_customers_and_refuses_hostile_requests_by_field()
    {
        await using var host = await TestHost.StartAsync();
        var id = await host.SubmitAsync(RunBodies.Train(Path.Combine(host.Directory, "trained"), maxEpochs: 3));
        await host.WaitForAsync(id, r => r["status"]!.GetValue<string>() == "succeeded", Patience);
        string[] lines = [Rows.Buyer(1), Rows.NonBuyer(2), "3,1200,2400,8.5,17,1,7,0.4,480,1,12,0"];

        using var response = await PostAsync(host, $"runs/{id}/explain", new JsonObject { ["customers"] = new JsonArray([.. lines.Select(l => (JsonNode)Customer(l))]) });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());

        // The same customers scored by the target endpoint: the explanation's probability is theirs.
        using var scored = await PostAsync(host, $"runs/{id}/target", new JsonObject { ["customers"] = string.Join("\n", lines) + "\n", ["list"] = "scores" });
        var scores = JsonNode.Parse(await scored.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["rows"]!.AsArray();
        var baseLogOdds = body["baseLogOdds"]!.GetValue<double>();
        var customers = body["customers"]!.AsArray();
        Assert.Equal(3, customers.Count);
        for (var i = 0; i < 3; i++)
        {
            var customer = customers[i]!;
            var logOdds = customer["logOdds"]!.GetValue<double>();
            var contributions = customer["contributions"]!.AsArray();
            Assert.Equal(Schema.FeatureNames, contributions.Select(c => c!["feature"]!.GetValue<string>()));
            Assert.InRange(Math.Abs(baseLogOdds + contributions.Sum(c => c!["logOdds"]!.GetValue<double>()) - logOdds), 0, 1e-9);
            Assert.InRange(Math.Abs(customer["probability"]!.GetValue<double>() - scores[i]!["probability"]!.GetValue<double>()), 0, 1e-9);
            Assert.Equal(3, customer["reasons"]!.AsArray().Count);
        }
        Assert.Equal(1603.8, customers[0]!["contributions"]!.AsArray()[7]!["value"]!.GetValue<double>());

        // Bad requests name their field, and never a path of the host.
        await AssertBadAsync(host, id, new JsonObject { ["customers"] = new JsonArray([.. Enumerable.Range(0, 101).Select(i => Customer(Rows.NonBuyer(i)))]) }, "customers");
        await AssertBadAsync(host, id, new JsonObject { ["customers"] = new JsonArray() }, "customers");
        await AssertBadAsync(host, id, new JsonObject { ["customers"] = new JsonArray(Customer(Rows.Buyer(1), ("colour", 1))) }, "customers[0]");
        await AssertBadAsync(host, id, new JsonObject { ["customers"] = new JsonArray(Without(Customer(Rows.Buyer(1)), "completion")) }, "customers[0].completion");
        var detail = await AssertBadAsync(host, id, new JsonObject { ["customers"] = new JsonArray(Customer(Rows.Buyer(1)), Customer(Rows.Buyer(2), ("completion", 2))) }, "customers[1].completion");
        Assert.DoesNotContain(Path.GetTempPath(), detail, StringComparison.Ordinal);
        await AssertBadAsync(host, id, new JsonObject { ["customers"] = new JsonArray(Customer(Rows.Buyer(1), ("minutes_listened", -5))) }, "customers[0].minutes_listened");
        await AssertBadAsync(host, id, new JsonObject { ["customers"] = new JsonArray(Customer(Rows.Buyer(1))), ["baseRate"] = 1.5 }, "baseRate");
        using var unknown = await PostAsync(host, "runs/no-such-run/explain", new JsonObject { ["customers"] = new JsonArray(Customer(Rows.Buyer(1))) });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var tooLarge = await PostAsync(host, $"runs/{id}/explain", new JsonObject { ["customers"] = new string('1', 70_000) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        using var crossSite = new HttpRequestMessage(HttpMethod.Post, $"runs/{id}/explain")
        {
            Content = new StringContent(new JsonObject { ["customers"] = new JsonArray(Customer(Rows.Buyer(1))) }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        crossSite.Headers.TryAddWithoutValidation("Origin", "https://evil.example");
        using var refused = await host.Http.SendAsync(crossSite, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        // The contact list with reasons: every contacted customer has them, the others none.
        var many = string.Join("\n", Enumerable.Range(1, 20).Select(i => i % 2 == 0 ? Rows.Buyer(i) : $"{i},1500,1500,{i},{i},0,8.91,0.{i % 10},{i * 10},0,{i},0")) + "\n";
        using var planned = await PostAsync(host, $"runs/{id}/target", new JsonObject { ["customers"] = many, ["budget"] = 5, ["reasons"] = 2 });
        var plan = JsonNode.Parse(await planned.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.True(planned.StatusCode == HttpStatusCode.OK, plan.ToJsonString());
        Assert.All(plan["rows"]!.AsArray(), r => Assert.Equal(r!["contact"]!.GetValue<bool>() ? 2 : 0, r["reasons"]!.AsArray().Count));
        Assert.Equal(5, plan["rows"]!.AsArray().Count(r => r!["contact"]!.GetValue<bool>()));
        using var badReasons = await PostAsync(host, $"runs/{id}/target", new JsonObject { ["customers"] = many, ["reasons"] = 11 });
        Assert.Equal(HttpStatusCode.BadRequest, badReasons.StatusCode);
    }

    /// <summary>A customer file's line as the endpoint's object: the ten behaviours by name and the ID, with some values replaced.</summary>
    private static JsonObject Customer(string line, params (string Name, double Value)[] replaced)
    {
        var fields = line.Split(',');
        var customer = new JsonObject { ["customerId"] = long.Parse(fields[0], CultureInfo.InvariantCulture) };
        for (var j = 0; j < Schema.FeatureCount; j++)
        {
            customer[Schema.FeatureNames[j]] = double.Parse(fields[j + 1], CultureInfo.InvariantCulture);
        }
        foreach (var (name, value) in replaced)
        {
            customer[name] = value;
        }
        return customer;
    }

    private static JsonObject Without(JsonObject customer, string name)
    {
        customer.Remove(name);
        return customer;
    }

    private static Task<HttpResponseMessage> PostAsync(TestHost host, string path, JsonObject body) =>
        host.Http.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") },
            TestContext.Current.CancellationToken);

    private static async Task<string> AssertBadAsync(TestHost host, string id, JsonObject body, string field)
    {
        using var response = await PostAsync(host, $"runs/{id}/explain", body);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, problem.ToJsonString());
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        return problem["detail"]!.GetValue<string>();
    }
}
