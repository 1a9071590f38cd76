using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using Churn.Host.Search;
using Churn.Host.Store;
using Churn.Numerics.Model;
using Churn.Numerics.Search;
using ScottPlot;

namespace Churn.Host.Dashboard;

/// <summary>
/// The dashboard's charts, drawn by the server as SVG (ScottPlot) from what the store holds, so the page needs no
/// chart library. Each function takes plain values and returns the SVG text.
/// </summary>
public static class DashboardCharts
{
    public const int Width = 640;
    public const int Height = 360;
    public const int EffectWidth = 420;
    public const int EffectHeight = 300;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Training and validation loss per epoch of one run.</summary>
    public static string Loss(ImmutableArray<StoredEpoch> epochs)
    {
        var plot = new Plot();
        var xs = epochs.Select(e => (double)e.Epoch).ToArray();
        Line(plot, xs, [.. epochs.Select(e => e.TrainLoss)], "training loss");
        Line(plot, xs, [.. epochs.Select(e => e.ValidationLoss)], "validation loss");
        if (!epochs.IsEmpty)
        {
            // Early stopping keeps the weights of the epoch with the lowest validation loss.
            var best = plot.Add.VerticalLine(epochs.MinBy(e => e.ValidationLoss)!.Epoch);
            best.LegendText = "best epoch (kept)";
            best.LinePattern = LinePattern.Dotted;
            best.Color = Colors.Gray;
        }

        SearchChart.WholeNumbers(plot.Axes.Bottom);
        return Finish(plot, epochs.IsEmpty ? "Loss per epoch (no epoch yet)" : "Loss per epoch", "epoch", "cross-entropy", Alignment.UpperRight);
    }

    /// <summary>Validation loss of several runs overlaid (solid) with their training loss (dashed).</summary>
    public static string CompareLoss(IReadOnlyList<(string RunId, ImmutableArray<StoredEpoch> Epochs)> runs)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < runs.Count; i++)
        {
            var (id, epochs) = runs[i];
            var xs = epochs.Select(e => (double)e.Epoch).ToArray();
            var validation = Line(plot, xs, [.. epochs.Select(e => e.ValidationLoss)], $"{id} validation");
            var training = Line(plot, xs, [.. epochs.Select(e => e.TrainLoss)], $"{id} training");
            validation.Color = training.Color = palette.GetColor(i);
            training.LinePattern = LinePattern.Dashed;
        }

        SearchChart.WholeNumbers(plot.Axes.Bottom);
        return Finish(plot, "Loss per epoch", "epoch", "cross-entropy", Alignment.UpperRight);
    }

    /// <summary>Cumulative gains: the population's when the run measured it, else the balanced test split's.</summary>
    public static string Gains(JsonNode? metrics)
    {
        var population = metrics?["population"]?["gains"] as JsonArray;
        var rows = population ?? metrics?["gains"] as JsonArray ?? [];
        var plot = new Plot();
        Line(plot, [0, 100], [0, 100], "random contact");
        Line(plot,
            [0, .. rows.Select(r => Number(r?["contactedShare"]) * 100)],
            [0, .. rows.Select(r => Number(r?["buyersReachedShare"]) * 100)],
            "by model score");
        plot.Axes.SetLimits(0, 100, 0, 100);
        return Finish(plot, population is null ? "Cumulative gains (balanced test split)" : "Cumulative gains (customers' natural mix)",
            "% of customers contacted", "% of buyers reached", Alignment.LowerRight);
    }

    /// <summary>The cumulative gains of several runs overlaid, each on the customers' natural mix (runs without it are left out, named in the title).</summary>
    public static string CompareGains(IReadOnlyList<(string Label, JsonNode? Metrics)> runs)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        Line(plot, [0, 100], [0, 100], "random contact").Color = Colors.Gray;
        var missing = new List<string>();
        for (var i = 0; i < runs.Count; i++)
        {
            if (runs[i].Metrics?["population"]?["gains"] is not JsonArray rows)
            {
                missing.Add(runs[i].Label);
                continue;
            }

            Line(plot, [0, .. rows.Select(r => Number(r?["contactedShare"]) * 100)], [0, .. rows.Select(r => Number(r?["buyersReachedShare"]) * 100)], runs[i].Label).Color = palette.GetColor(i);
        }

        plot.Axes.SetLimits(0, 100, 0, 100);
        return Finish(plot, Missing("Cumulative gains (customers' natural mix)", missing), "% of customers contacted", "% of buyers reached", Alignment.LowerRight);
    }

    /// <summary>The campaign profit curves of several runs overlaid (each with its own contact cost and buyer value).</summary>
    public static string CompareProfit(IReadOnlyList<(string Label, JsonNode? Metrics)> runs)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var missing = new List<string>();
        for (var i = 0; i < runs.Count; i++)
        {
            if (runs[i].Metrics?["population"]?["profitCurve"] is not JsonArray points)
            {
                missing.Add(runs[i].Label);
                continue;
            }

            Line(plot, [.. points.Select(p => Number(p?["contactedShare"]) * 100)], [.. points.Select(p => Number(p?["profit"]))], runs[i].Label).Color = palette.GetColor(i);
        }

        return Finish(plot, Missing("Campaign profit (customers' natural mix)", missing), "% of customers contacted", "profit per 1,000 customers", Alignment.UpperRight);
    }

    private static string Missing(string title, List<string> missing) =>
        missing.Count == 0 ? title : $"{title}; not measured by {string.Join(", ", missing)}";

    /// <summary>
    /// Observed buying rate against mean predicted probability per bin, on the customers' natural mix: bins of equal
    /// numbers of customers where the run measured them (a bin of a handful of customers would jump between 0 and 1),
    /// else the older equal-width bins without their empty ones; each point says how many customers it is made of.
    /// </summary>
    public static string Reliability(JsonNode? metrics)
    {
        var population = metrics?["population"];
        var equalCount = population?["equalCountReliability"] is JsonArray { Count: > 0 } counted;
        var bins = ((equalCount ? population!["equalCountReliability"] : population?["reliability"]) as JsonArray ?? []).Where(b => Number(b?["share"]) > 0).ToList();
        var plot = new Plot();
        Line(plot, [0, 1], [0, 1], "perfectly calibrated");
        var model = Line(plot, [.. bins.Select(b => Number(b?["meanPredicted"]))], [.. bins.Select(b => Number(b?["observed"]))], "model (n: customers in the bin)");
        model.MarkerSize = 6;
        var customers = Number(population?["rows"]);
        for (var i = 0; i < bins.Count && double.IsFinite(customers); i++)
        {
            var n = equalCount ? BinSize(i, (int)customers, bins.Count) : Math.Round(Number(bins[i]?["share"]) * customers);
            var label = plot.Add.Text($"n={n.ToString("N0", Invariant)}", Number(bins[i]?["meanPredicted"]), Number(bins[i]?["observed"]));
            label.LabelFontSize = 10;
            label.LabelFontColor = Colors.Gray;
            label.LabelOffsetX = 6;
        }

        plot.Axes.SetLimits(0, 1, 0, 1);
        return Finish(plot,
            bins.Count == 0 ? "Reliability (not measured by this run)"
            : equalCount ? $"Reliability (customers' natural mix; {bins.Count} bins of equal size)" : "Reliability (customers' natural mix)",
            "mean predicted probability", "observed buying rate", Alignment.UpperLeft);
    }

    /// <summary>Customers in bin <paramref name="bin"/> of <paramref name="bins"/> equal-count bins over <paramref name="rows"/>, as the evaluation cut them.</summary>
    public static double BinSize(int bin, int rows, int bins) => ((bin + 1) * rows / bins) - (bin * rows / bins);

    /// <summary>Campaign profit against the share of customers contacted, best scores first.</summary>
    public static string Profit(JsonNode? metrics)
    {
        var points = metrics?["population"]?["profitCurve"] as JsonArray ?? [];
        var plot = new Plot();
        Line(plot, [.. points.Select(p => Number(p?["contactedShare"]) * 100)], [.. points.Select(p => Number(p?["profit"]))], "contacting the top scores");
        if (Number(metrics?["population"]?["campaign"]?["contactedShare"]) is var chosen && double.IsFinite(chosen))
        {
            var line = plot.Add.VerticalLine(chosen * 100);
            line.LegendText = "where p · value > cost";
            line.LinePattern = LinePattern.Dashed;
        }
        return Finish(plot, points.Count == 0 ? "Campaign profit (not measured by this run)" : "Campaign profit (customers' natural mix)",
            "% of customers contacted", "profit per 1,000 customers", Alignment.UpperRight);
    }

    /// <summary>The top configurations' validation-loss curves, one line per seed.</summary>
    public static string SearchCurves(ImmutableArray<LeaderboardRow> leaderboard, ImmutableArray<TrialRecord> trials) =>
        SearchChart.Svg(leaderboard, trials, Width + 160, Height + 80);

    /// <summary>
    /// The same chart from the trials' summaries, reading the epochs (<paramref name="epochsOf"/>, by trial position)
    /// of only the trials it draws: a search's top configurations, not its every trial.
    /// </summary>
    public static string SearchCurves(SearchOverview search, Func<IEnumerable<int>, ImmutableDictionary<int, ImmutableArray<EpochMetrics>>> epochsOf)
    {
        var leaderboard = Leaderboard.Rank(search.Trials, search.Request.Plan.Seeds, search.Request.Plan.Criterion);
        var drawn = SearchChart.Shown(leaderboard).Select(r => r.Configuration).ToHashSet();
        var trials = search.Trials.Where(t => drawn.Contains(t.Spec.Configuration)).ToList();
        var epochs = epochsOf(trials.Select(t => t.Spec.Index));
        return SearchCurves(leaderboard, [.. trials.Select(t => new TrialRecord(t.Spec, t.Status, epochs.GetValueOrDefault(t.Spec.Index, [])))]);
    }

    /// <summary>The hyperparameters a search varied (its data preparation's among them), in the order <see cref="Effect"/> takes them.</summary>
    public static ImmutableArray<string> Varied(IEnumerable<TrialSpec> trials)
    {
        var list = trials.ToList();
        return [.. Parameters.Where(p => list.Select(t => p.Value(t.Config, t.Data)).Distinct().Count() > 1).Select(p => p.Name)];
    }

    /// <summary>
    /// The effect of one hyperparameter: each configuration's mean of what the search ranks on (the calibrated loss,
    /// or the validation loss for searches stored before it) against its value (numbers on a numeric axis, words and
    /// flags as categories). Null for an unknown parameter.
    /// </summary>
    public static string? Effect(ImmutableArray<LeaderboardRow> leaderboard, string parameter, SearchCriterion criterion)
    {
        var p = Parameters.FirstOrDefault(p => p.Name == parameter);
        if (p.Name is null)
        {
            return null;
        }

        var rows = leaderboard.Where(r => double.IsFinite(r.Score)).ToList();
        var values = rows.Select(r => p.Value(r.Config, r.Data)).ToList();
        var numeric = values.All(v => v is double);
        var logScale = numeric && parameter is "learningRate" or "weightDecay" && values.All(v => (double)v > 0);
        var categories = values.Select(v => Convert.ToString(v, Invariant)!).Distinct().Order(StringComparer.Ordinal).ToList();
        double X(object v) => !numeric ? categories.IndexOf(Convert.ToString(v, Invariant)!) : logScale ? Math.Log10((double)v) : (double)v;
        var plot = new Plot();
        // Pruned configurations were stopped early: their score is where they stood then, drawn apart (open, grey).
        var pruned = rows.Select(r => r.Outcome == ConfigurationOutcome.Pruned).ToList();
        var finished = plot.Add.ScatterPoints(values.Where((_, i) => !pruned[i]).Select(X).ToArray(), rows.Where((_, i) => !pruned[i]).Select(r => r.Score).ToArray());
        finished.MarkerSize = 8;
        finished.LegendText = "finished";
        if (pruned.Contains(true))
        {
            var stopped = plot.Add.ScatterPoints(values.Where((_, i) => pruned[i]).Select(X).ToArray(), rows.Where((_, i) => pruned[i]).Select(r => r.Score).ToArray());
            stopped.MarkerSize = 7;
            stopped.MarkerShape = MarkerShape.OpenCircle;
            stopped.Color = Colors.Gray;
            stopped.LegendText = "pruned";
            plot.ShowLegend(Alignment.UpperRight);
        }
        if (numeric && parameter is "depth" or "width" or "batchSize" or "patience")
        {
            SearchChart.WholeNumbers(plot.Axes.Bottom);
        }

        if (!numeric)
        {
            plot.Axes.Bottom.SetTicks([.. categories.Select((_, i) => (double)i)], [.. categories]);
            plot.Axes.SetLimitsX(-0.5, categories.Count - 0.5);
        }

        plot.Title(parameter);
        plot.XLabel(logScale ? $"log10 {parameter}" : parameter);
        plot.YLabel($"mean {criterion.LossName()}");
        return plot.GetSvgXml(EffectWidth, EffectHeight);
    }

    internal static readonly ImmutableArray<(string Name, Func<ModelConfig, DataChoice?, object> Value)> Parameters =
    [
        ("balance", (_, d) => d is null ? "search's" : d.Balance.ToString().ToLowerInvariant()),
        ("logFeatures", (_, d) => d is null ? "search's" : d.LogFeaturesName()),
        ("depth", (c, _) => (double)c.Depth),
        ("width", (c, _) => (double)c.Width),
        ("activation", (c, _) => c.Activation.ToString().ToLowerInvariant()),
        ("learningRate", (c, _) => c.LearningRate),
        ("batchSize", (c, _) => (double)c.BatchSize),
        ("patience", (c, _) => (double)c.Patience),
        ("dropout", (c, _) => c.Dropout),
        ("weightDecay", (c, _) => c.WeightDecay),
        ("shuffleEachEpoch", (c, _) => c.ShuffleEachEpoch ? "true" : "false"),
    ];

    private static double Number(JsonNode? node) => node is JsonValue v && v.TryGetValue<double>(out var d) ? d : double.NaN;

    private static ScottPlot.Plottables.Scatter Line(Plot plot, double[] xs, double[] ys, string label)
    {
        var scatter = plot.Add.Scatter(xs, ys);
        scatter.LegendText = label;
        scatter.MarkerSize = xs.Length > 30 ? 0 : 4;
        scatter.LineWidth = 2;
        return scatter;
    }

    private static string Finish(Plot plot, string title, string x, string y, Alignment legend)
    {
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        plot.ShowLegend(legend);
        return plot.GetSvgXml(Width, Height);
    }
}
