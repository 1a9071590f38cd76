using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Churn.Numerics.Data;
using Churn.Tests.Dashboard;

namespace Churn.Tests.Explanation;

/// <summary>The dashboard's customer page in a real browser: typed values explained by the host, and a what-if change asked again.</summary>
[Collection(Model.TorchCollection.Name)]
public sealed class CustomerPageBrowserTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private Browser B => fixture.Browser;

    [Fact]
    public async Task Typed_values_show_the_hosts_probability_and_a_waterfall_and_a_changed_value_asks_again()
    {
        var id = fixture.Finished[0];
        double[] values = [2160, 2160, 5.33, 5.33, 0, 8.91, 0.5, 1080, 0, 388];
        B.Driver.Navigate().GoToUrl($"{fixture.Origin}/#/customer/{id}");
        B.Wait(d => B.FindAll("#customer-form input").Count == 10, "the customer form");
        for (var j = 0; j < 10; j++)
        {
            var input = B.Find($"#f-{Schema.FeatureNames[j].Replace('_', '-')}");
            input.Clear();
            input.SendKeys(values[j].ToString(CultureInfo.InvariantCulture));
        }
        B.Find("#explain").Click();
        B.Wait(d => B.FindAll("#waterfall rect").Count == 10, "the waterfall");

        var (probability, logOdds) = await ExplainAsync(id, values);
        B.Wait(d => B.Find("#customer-cards").Text.Contains(Percent(probability), StringComparison.Ordinal), $"the probability {Percent(probability)}");
        Assert.Contains(Fixed(logOdds), B.Find("#customer-cards").Text, StringComparison.Ordinal);
        Assert.Equal(10, B.FindAll("#waterfall rect").Count);
        Assert.Equal(3, B.FindAll("#customer-reasons li").Count);
        B.Screenshot("customer");

        // What if this customer had come back to the app yesterday: the page asks the host again, without a click.
        var visit = B.Find("#f-last-visit-days");
        visit.Clear();
        visit.SendKeys("1");
        values[9] = 1;
        var (_, changed) = await ExplainAsync(id, values);
        Assert.NotEqual(Fixed(logOdds), Fixed(changed));
        B.Wait(d => B.Find("#customer-cards").Text.Contains(Fixed(changed), StringComparison.Ordinal), $"the changed log-odds {Fixed(changed)}");
        Assert.Empty(B.ConsoleErrors());
    }

    private async Task<(double Probability, double LogOdds)> ExplainAsync(string id, double[] values)
    {
        var customer = new JsonObject();
        for (var j = 0; j < 10; j++)
        {
            customer[Schema.FeatureNames[j]] = values[j];
        }
        using var content = new StringContent(new JsonObject { ["customers"] = new JsonArray(customer) }.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await fixture.Host.Http.PostAsync($"runs/{id}/explain", content, TestContext.Current.CancellationToken);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        var customer0 = body["customers"]![0]!;
        return (customer0["probability"]!.GetValue<double>(), customer0["logOdds"]!.GetValue<double>());
    }

    private static string Fixed(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>The page's rule: one decimal, two near 0 and 1, and a share that is not exactly 0 or 1 never shown as one.</summary>
    private static string Percent(double p)
    {
        var percent = p * 100;
        return percent switch
        {
            <= 0 or >= 100 or (>= 0.1 and <= 99.9) => percent.ToString("F1", CultureInfo.InvariantCulture) + " %",
            > 99.99 => "> 99.99 %",
            < 0.01 => "< 0.01 %",
            _ => percent.ToString("F2", CultureInfo.InvariantCulture) + " %",
        };
    }
}
