using System.Text.Json.Nodes;
using Churn.Numerics.Explanation;
using ScottPlot;

namespace Churn.Host.Dashboard;

/// <summary>
/// The run page's charts of which behaviours bring customers back, drawn from <c>metrics.json</c>: the ranking the
/// console prints (mean |contribution|, with its bootstrap interval), permutation importance as a second view, and a
/// behaviour's partial dependence with ICE lines and its dependence curve.
/// </summary>
public static class ExplanationCharts
{
    /// <summary>
    /// The importance ranking, in the console's order (rank 1 on top) with the measure on the axis: the explanations'
    /// mean |contribution| when the run has them, else the drop in ROC AUC when a behaviour is shuffled.
    /// </summary>
    public static string Importance(JsonNode? metrics)
    {
        if (metrics?["explanations"]?["behaviours"] is not JsonArray behaviours)
        {
            return Permutation(metrics, secondView: false);
        }
        var rows = behaviours.Reverse().ToList();
        var plot = new Plot();
        var bars = plot.Add.Bars(rows.Select(r => Number(r?["meanAbsContribution"])).ToArray());
        bars.Horizontal = true;
        Intervals(plot, rows.Select(r => (Number(r?["low"]), Number(r?["high"]))).ToList());
        Labels(plot, rows);
        var customers = metrics["explanations"]?["customers"]?.GetValue<int>() ?? 0;
        plot.Title($"Importance, 95 % interval ({customers} customers)");
        plot.XLabel(metrics["explanations"]?["measure"]?.GetValue<string>() ?? RunExplanations.RankingMeasure);
        return plot.GetSvgXml(DashboardCharts.Width, Height(rows.Count));
    }

    /// <summary>Permutation importance: the mean drop in ROC AUC when a behaviour is shuffled, ± its standard deviation over the shuffles, largest on top.</summary>
    public static string Permutation(JsonNode? metrics, bool secondView = true)
    {
        var rows = (metrics?["importance"] as JsonArray ?? []).Reverse().ToList();
        var plot = new Plot();
        var bars = plot.Add.Bars(rows.Select(r => Number(r?["aucDrop"])).ToArray());
        bars.Horizontal = true;
        Intervals(plot, rows.Select(r => (Number(r?["aucDrop"]) - Spread(r), Number(r?["aucDrop"]) + Spread(r))).ToList());
        Labels(plot, rows);
        var sample = metrics?["population"] is null ? "test split" : "natural mix";
        plot.Title(secondView ? $"Permutation importance ({sample})" : $"Importance ({sample})");
        plot.XLabel("drop in ROC AUC when shuffled (± s.d.)");
        return plot.GetSvgXml(DashboardCharts.Width, Height(rows.Count));
    }

    /// <summary>A behaviour's partial dependence (the average) over its ICE lines; null when the run has no such behaviour.</summary>
    public static string? PartialDependence(JsonNode? metrics, string feature)
    {
        if (Behaviour(metrics, feature) is not { } b)
        {
            return null;
        }
        var curve = b["partialDependence"];
        var grid = Numbers(curve?["grid"]);
        var plot = new Plot();
        var first = true;
        foreach (var line in curve?["ice"] as JsonArray ?? [])
        {
            var ice = plot.Add.Scatter(grid, Numbers(line));
            ice.MarkerSize = 0;
            ice.LineWidth = 1;
            ice.Color = Colors.Gray.WithAlpha(120);
            ice.LegendText = first ? "one customer (ICE)" : "";
            first = false;
        }
        var average = plot.Add.Scatter(grid, Numbers(curve?["average"]));
        average.LegendText = "average (partial dependence)";
        average.LineWidth = 3;
        average.MarkerSize = 5;
        plot.Title($"{feature}: probability {Shape(b)}");
        plot.XLabel(DirectionSentence.NameOf(feature));
        plot.YLabel("probability of buying again");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot.GetSvgXml(DashboardCharts.EffectWidth, DashboardCharts.EffectHeight);
    }

    /// <summary>A behaviour's dependence curve: mean contribution per grid interval with its 10th–90th percentile band; null when the run has no such behaviour.</summary>
    public static string? Dependence(JsonNode? metrics, string feature)
    {
        if (Behaviour(metrics, feature)?["dependence"] is not { } d)
        {
            return null;
        }
        var values = Numbers(d["value"]);
        var plot = new Plot();
        var low = Numbers(d["low"]);
        var high = Numbers(d["high"]);
        for (var i = 0; i < values.Length; i++)
        {
            var band = plot.Add.Line(values[i], low[i], values[i], high[i]);
            band.LineWidth = 6;
            band.Color = Colors.Gray.WithAlpha(90);
            band.LegendText = i == 0 ? "10th–90th percentile of customers" : "";
        }
        var mean = plot.Add.Scatter(values, Numbers(d["mean"]));
        mean.LegendText = "mean contribution";
        mean.LineWidth = 2;
        mean.MarkerSize = 5;
        plot.Add.HorizontalLine(0).Color = Colors.Gray;
        plot.Title($"{feature}: contribution");
        plot.XLabel(DirectionSentence.NameOf(feature));
        plot.YLabel("contribution to the log-odds");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot.GetSvgXml(DashboardCharts.EffectWidth, DashboardCharts.EffectHeight);
    }

    private static JsonNode? Behaviour(JsonNode? metrics, string feature) =>
        (metrics?["explanations"]?["behaviours"] as JsonArray ?? []).FirstOrDefault(b => b?["feature"]?.GetValue<string>() == feature);

    private static string Shape(JsonNode b) =>
        Enum.TryParse<TrendShape>(b["trend"]?["shape"]?.GetValue<string>(), ignoreCase: true, out var shape) ? DirectionSentence.ShapeWords(shape) : "";

    private static void Intervals(Plot plot, List<(double Low, double High)> intervals)
    {
        for (var i = 0; i < intervals.Count; i++)
        {
            if (double.IsFinite(intervals[i].Low) && double.IsFinite(intervals[i].High))
            {
                var line = plot.Add.Line(intervals[i].Low, i, intervals[i].High, i);
                line.Color = Colors.Black;
                line.LineWidth = 2;
            }
        }
    }

    private static void Labels(Plot plot, List<JsonNode?> rows) =>
        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, rows.Count).Select(i => (double)i)], [.. rows.Select(r => r?["feature"]?.GetValue<string>() ?? "")]);

    private static int Height(int rows) => Math.Max(DashboardCharts.Height, 40 + (rows * 28));

    private static double Spread(JsonNode? row) => row?["aucDropSpread"] is JsonValue v && v.TryGetValue<double>(out var s) ? s : 0;

    private static double Number(JsonNode? node) => node is JsonValue v && v.TryGetValue<double>(out var d) ? d : double.NaN;

    private static double[] Numbers(JsonNode? node) => [.. (node as JsonArray ?? []).Select(Number)];
}
