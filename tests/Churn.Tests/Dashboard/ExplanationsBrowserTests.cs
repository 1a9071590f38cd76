using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Churn.Host.Cli;
using Churn.Numerics;
using Churn.Numerics.Explanation;
using Churn.Numerics.Files;

namespace Churn.Tests.Dashboard;

/// <summary>The run page's section on which behaviours bring customers back, in a real browser.</summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public sealed partial class ExplanationsBrowserTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private Browser B => fixture.Browser;

    [Fact]
    public async Task The_importance_chart_ranks_the_behaviours_as_the_console_does_with_the_measure_on_its_axis()
    {
        var id = fixture.Finished[0];
        var run = await fixture.Host.GetJsonAsync($"runs/{id}");
        var metrics = run["metrics"].Deserialize<RunMetrics>(JsonFormat.Options)!;
        var explanations = metrics.Explanations!;
        // The console's ranking: the lines `churn run` prints, read back.
        var console = ConsoleOutput.ExplanationLines(explanations).Skip(1).TakeWhile(l => l.Length > 0)
            .Select(l => l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).ToList();
        Assert.Equal(10, console.Count);

        B.Driver.Navigate().GoToUrl($"{fixture.Origin}/#/runs/{id}");
        B.Wait(d => B.Drawn("#importance-chart"), "the importance chart");
        B.Wait(d => B.FindAll("#importance-table tbody tr").Count == 10, "the ranking table");
        var table = B.FindAll("#importance-table tbody tr").Select(r => r.FindElements(OpenQA.Selenium.By.TagName("td"))[1].GetAttribute("textContent") ?? "").ToList();
        Assert.Equal(console, table);
        var sentences = B.FindAll("#explanation-sentences li").Select(li => li.Text).ToList();
        Assert.Equal(explanations.Sentences, sentences);

        // The chart the page drew: its behaviour labels from top to bottom, and its axis names the measure.
        var svg = await fixture.Host.Http.GetStringAsync($"runs/{id}/charts/importance.svg", TestContext.Current.CancellationToken);
        Assert.Equal(console, LabelsTopToBottom(svg, console));
        Assert.Contains(RunExplanations.RankingMeasure.Replace("|", "", StringComparison.Ordinal), Texts(svg).Replace("|", "", StringComparison.Ordinal), StringComparison.Ordinal);

        var top = explanations.Behaviours[0].Feature;
        B.Wait(d => B.Drawn($"[id='partial-dependence-{top}']") && B.Drawn($"[id='dependence-{top}']") && B.Drawn("#permutation-chart"), "the top behaviour's curves and the permutation chart");
        var permutation = await fixture.Host.Http.GetStringAsync($"runs/{id}/charts/permutation.svg", TestContext.Current.CancellationToken);
        Assert.Equal(metrics.Importance.Select(i => i.Feature), LabelsTopToBottom(permutation, console));
        Assert.Contains("drop in ROC AUC", Texts(permutation), StringComparison.Ordinal);
        B.Find("#importance-table").FindElement(OpenQA.Selenium.By.XPath("ancestor::details/summary")).Click();
        B.Driver.ExecuteScript("document.querySelector('#explanations').scrollIntoView();");
        B.Screenshot("explanations");
        Assert.Empty(B.ConsoleErrors());

        var unknown = await fixture.Host.Http.GetAsync($"runs/{id}/charts/partial-dependence/not_a_behaviour.svg", TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
    }

    /// <summary>The chart's text elements that are behaviour names, ordered by their height on the chart, top first.</summary>
    private static List<string> LabelsTopToBottom(string svg, IReadOnlyCollection<string> names) =>
        [.. XDocument.Parse(svg).Descendants().Where(e => e.Name.LocalName == "text" && names.Contains(e.Value.Trim()))
            .Select(e => (Name: e.Value.Trim(), Y: Y(e)))
            .OrderBy(t => t.Y)
            .Select(t => t.Name)];

    private static double Y(XElement text)
    {
        // The y attribute may hold one position per glyph: the first is the label's.
        var first = (text.Attribute("y")?.Value ?? "0").Split([' ', ','], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "0";
        var y = double.Parse(first, System.Globalization.CultureInfo.InvariantCulture);
        // ScottPlot may place text with a transform instead of (or besides) its y attribute.
        var transform = text.Attribute("transform")?.Value ?? "";
        var match = Translate().Match(transform);
        return match.Success ? y + double.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : y;
    }

    private static string Texts(string svg) =>
        string.Join(" ", XDocument.Parse(svg).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value));

    [GeneratedRegex(@"translate\(\s*([-0-9.eE]+)[ ,]+([-0-9.eE]+)\s*\)")]
    private static partial Regex Translate();
}
