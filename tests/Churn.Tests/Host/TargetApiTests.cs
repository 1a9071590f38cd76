using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Churn.Tests.Data;

namespace Churn.Tests.Host;

/// <summary><c>POST /runs/{id}/target</c>: a finished run's model scores posted customers into a contact list.</summary>
public class TargetApiTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static readonly string Customers =
        string.Join("\n", Enumerable.Range(1, 30).Select(i => i % 3 == 0 ? Rows.Buyer(i) : Rows.NonBuyer(i))) + "\n";

    [Fact]
    public async Task A_finished_run_scores_posted_customers_into_the_contact_list_churn_target_would_write()
    {
        await using var host = await TestHost.StartAsync(maxScoreBytes: 4096);
        var id = await host.SubmitAsync(RunBodies.Train(Path.Combine(host.Directory, "trained"), maxEpochs: 3));
        await host.WaitForAsync(id, r => r["status"]!.GetValue<string>() == "succeeded", Patience);

        using var response = await PostAsync(host, id, new JsonObject { ["customers"] = Customers, ["contactCost"] = 2, ["conversionValue"] = 10 });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        var rows = body["rows"]!.AsArray();
        Assert.Equal(30, rows.Count);
        Assert.Equal(Enumerable.Range(1, 30), rows.Select(r => r!["rank"]!.GetValue<int>()));
        var probabilities = rows.Select(r => r!["probability"]!.GetValue<double>()).ToArray();
        Assert.Equal(probabilities.OrderDescending(), probabilities);
        Assert.All(rows, r => Assert.Equal(r!["probability"]!.GetValue<double>() * 10 > 2, r["contact"]!.GetValue<bool>()));
        var summary = body["summary"]!;
        Assert.Equal(rows.Count(r => r!["contact"]!.GetValue<bool>()), summary["contacted"]!.GetValue<int>());
        Assert.Equal(probabilities.Where(p => p * 10 > 2).Sum(), summary["expectedBuyers"]!.GetValue<double>(), 9);
        // The posted file has targets, so the plan is also scored against them.
        Assert.Equal(10, summary["realized"]!["buyers"]!.GetValue<int>());

        using var scores = await PostAsync(host, id, new JsonObject { ["customers"] = Customers, ["list"] = "scores" }, csv: true);
        Assert.Equal(HttpStatusCode.OK, scores.StatusCode);
        Assert.Equal("text/csv", scores.Content.Headers.ContentType?.MediaType);
        var lines = (await scores.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).TrimEnd('\n').Split('\n');
        Assert.Equal("customer_id,probability,uncalibrated,predicted", lines[0]);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => i.ToString(CultureInfo.InvariantCulture)), lines.Skip(1).Select(l => l.Split(',')[0]));

        // Bad requests name their field; a bad CSV row its line and column, and never a path of the host.
        await AssertBadAsync(host, id, new JsonObject { ["customers"] = Customers, ["budget"] = 0 }, "budget");
        await AssertBadAsync(host, id, new JsonObject { ["customers"] = Customers, ["colour"] = "red" }, "colour");
        await AssertBadAsync(host, id, new JsonObject { ["customers"] = Customers, ["contactCost"] = -1 }, "contactCost");
        await AssertBadAsync(host, id, new JsonObject { ["customers"] = Customers, ["budget"] = 3, ["top"] = 10 }, "top");
        var detail = await AssertBadAsync(host, id, new JsonObject { ["customers"] = Rows.NonBuyer(1) + "\n2,x,1,1,1,1,1,1,1,1,1,0\n" }, "customers");
        Assert.Contains("line 2", detail);
        Assert.Contains("book_length_avg_min", detail);
        Assert.DoesNotContain(Path.GetTempPath(), detail);
        Assert.DoesNotContain(host.Directory, detail);

        using var tooLarge = await PostAsync(host, id, new JsonObject { ["customers"] = new string('1', 5000) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        using var unknown = await PostAsync(host, "no-such-run", new JsonObject { ["customers"] = Customers });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        var prepared = await host.SubmitAsync(RunBodies.Prepare(Path.Combine(host.Directory, "prepared")));
        await host.WaitForAsync(prepared, r => r["status"]!.GetValue<string>() == "succeeded", Patience);
        using var noModel = await PostAsync(host, prepared, new JsonObject { ["customers"] = Customers });
        Assert.Equal(HttpStatusCode.Conflict, noModel.StatusCode);
    }

    private static Task<HttpResponseMessage> PostAsync(TestHost host, string id, JsonObject body, bool csv = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"runs/{id}/target") { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        if (csv)
        {
            request.Headers.Accept.ParseAdd("text/csv");
        }
        return host.Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static async Task<string> AssertBadAsync(TestHost host, string id, JsonObject body, string field)
    {
        using var response = await PostAsync(host, id, body);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, problem.ToJsonString());
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        return problem["detail"]!.GetValue<string>();
    }
}
