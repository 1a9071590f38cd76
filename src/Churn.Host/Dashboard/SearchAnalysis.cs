using System.Collections.Immutable;
using System.Globalization;
using Churn.Numerics.Search;
using ScottPlot;

namespace Churn.Host.Dashboard;

/// <summary>How much of the spread of the configurations' scores one hyperparameter's value explains (0 to 1).</summary>
public sealed record HyperparameterImportance(string Parameter, double Share, int Groups);

/// <summary>
/// A search analysed as Optuna Dashboard shows one: the optimization history, hyperparameter importance and parallel
/// coordinates, all on what the search ranks on (the calibrated loss), pruned configurations told apart.
/// </summary>
public static class SearchAnalysis
{
    /// <summary>How the importance is computed, for the page to say.</summary>
    public const string ImportanceMethod =
        "The share of the spread of the finished configurations' mean calibrated loss that the hyperparameter's value explains " +
        "(η², a one-way analysis of variance: configurations grouped by the value; numbers with more than four values in four equal-count bins). " +
        "Each hyperparameter is taken alone, so the shares need not add up to 1; with few configurations they are rough.";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The importance of each of <paramref name="varied"/>, most important first; empty with fewer than three finished configurations.</summary>
    public static ImmutableArray<HyperparameterImportance> Importances(ImmutableArray<LeaderboardRow> leaderboard, IEnumerable<string> varied)
    {
        var rows = leaderboard.Where(r => r.Outcome == ConfigurationOutcome.Complete && double.IsFinite(r.Score)).ToList();
        if (rows.Count < 3)
        {
            return [];
        }

        var mean = rows.Average(r => r.Score);
        var total = rows.Sum(r => (r.Score - mean) * (r.Score - mean));
        var result = new List<HyperparameterImportance>();
        foreach (var name in varied)
        {
            var (_, value) = DashboardCharts.Parameters.First(p => p.Name == name);
            var groups = Groups(rows, r => value(r.Config, r.Data));
            var between = groups.Sum(g => g.Count * Math.Pow(g.Average(r => r.Score) - mean, 2));
            result.Add(new HyperparameterImportance(name, total > 0 ? between / total : 0, groups.Count));
        }

        return [.. result.OrderByDescending(i => i.Share)];
    }

    private static List<List<LeaderboardRow>> Groups(List<LeaderboardRow> rows, Func<LeaderboardRow, object> value)
    {
        var values = rows.Select(value).ToList();
        if (values.All(v => v is double) && values.Distinct().Count() > 4)
        {
            var ranked = rows.Zip(values, (r, v) => (Row: r, Value: (double)v)).OrderBy(p => p.Value).ToList();
            return [.. ranked.Select((p, i) => (p.Row, Bin: i * 4 / ranked.Count)).GroupBy(p => p.Bin).Select(g => g.Select(p => p.Row).ToList())];
        }

        return [.. rows.Zip(values).GroupBy(p => Convert.ToString(p.Second, Invariant)).Select(g => g.Select(p => p.First).ToList())];
    }

    /// <summary>Each ended trial's score against its number (pruned ones in grey), and the best finished score so far.</summary>
    public static string History(ImmutableArray<TrialSummary> trials, SearchCriterion criterion)
    {
        double Score(TrialSummary t) => criterion == SearchCriterion.CalibratedLoss && double.IsFinite(t.CalibratedLoss) ? t.CalibratedLoss : t.BestValidationLoss;
        var ended = trials.Where(t => t.Status is TrialStatus.Completed or TrialStatus.Pruned && double.IsFinite(Score(t))).OrderBy(t => t.Spec.Index).ToList();
        var plot = new Plot();
        var completed = ended.Where(t => t.Status == TrialStatus.Completed).ToList();
        var pruned = ended.Where(t => t.Status == TrialStatus.Pruned).ToList();
        if (completed.Count > 0)
        {
            var points = plot.Add.ScatterPoints(completed.Select(t => t.Spec.Index + 1.0).ToArray(), completed.Select(Score).ToArray());
            points.LegendText = "completed trial";
            points.MarkerSize = 8;
            var best = completed.Select(Score).Aggregate(new List<double>(), (acc, s) => { acc.Add(acc.Count == 0 ? s : Math.Min(acc[^1], s)); return acc; });
            var line = plot.Add.Scatter(completed.Select(t => t.Spec.Index + 1.0).ToArray(), best.ToArray());
            line.LegendText = "best so far";
            line.MarkerSize = 0;
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.Color = Colors.Black;
        }

        if (pruned.Count > 0)
        {
            var points = plot.Add.ScatterPoints(pruned.Select(t => t.Spec.Index + 1.0).ToArray(), pruned.Select(Score).ToArray());
            points.LegendText = "pruned trial (its score when stopped)";
            points.MarkerSize = 6;
            points.Color = Colors.Gray;
            points.MarkerShape = MarkerShape.OpenCircle;
        }

        SearchChart.WholeNumbers(plot.Axes.Bottom);
        plot.Title(ended.Count == 0 ? "Optimization history (no trial has ended yet)" : "Optimization history");
        plot.XLabel("trial");
        plot.YLabel(criterion.LossName());
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetSvgXml(DashboardCharts.Width, DashboardCharts.Height);
    }

    /// <summary>
    /// Parallel coordinates: one line per configuration across the varied hyperparameters and its score, each axis
    /// scaled to its own range (learning rate and weight decay on a log scale); the better the score, the darker the
    /// line; pruned configurations dashed and grey.
    /// </summary>
    public static string Parallel(ImmutableArray<LeaderboardRow> leaderboard, IReadOnlyList<string> varied, SearchCriterion criterion)
    {
        var rows = leaderboard.Where(r => double.IsFinite(r.Score)).ToList();
        var axes = varied.Select(name => DashboardCharts.Parameters.First(p => p.Name == name)).ToList();
        var plot = new Plot();
        var columns = axes.Select(a => Scale(a.Name, rows.Select(r => a.Value(r.Config, r.Data)).ToList())).ToList();
        columns.Add(Scale("score", [.. rows.Select(r => (object)r.Score)]));
        var (low, high) = rows.Count == 0 ? (0, 1) : (rows.Min(r => r.Score), rows.Max(r => r.Score));
        var colors = new ScottPlot.Colormaps.Viridis();
        for (var i = 0; i < rows.Count; i++)
        {
            var line = plot.Add.Scatter(Enumerable.Range(0, columns.Count).Select(c => (double)c).ToArray(), columns.Select(c => c.Positions[i]).ToArray());
            line.MarkerSize = 4;
            line.LineWidth = 2;
            if (rows[i].Outcome == ConfigurationOutcome.Pruned)
            {
                line.Color = Colors.Gray.WithAlpha(.6);
                line.LinePattern = LinePattern.Dashed;
            }
            else
            {
                line.Color = colors.GetColor(high > low ? (rows[i].Score - low) / (high - low) * .9 : 0);
            }
        }

        for (var c = 0; c < columns.Count; c++)
        {
            plot.Add.VerticalLine(c).Color = Colors.Black.WithAlpha(.3);
            plot.Add.Text(columns[c].Low, c, -0.04).LabelFontSize = 10;
            plot.Add.Text(columns[c].High, c, 1.08).LabelFontSize = 10;
        }

        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, columns.Count).Select(c => (double)c)], [.. axes.Select(a => a.Name).Append(criterion.LossName())]);
        plot.Axes.Left.SetTicks([0, 1], ["low", "high"]);
        plot.Axes.SetLimits(-0.3, columns.Count - 0.7, -0.12, 1.16);
        plot.Title(rows.Count == 0 ? "Parallel coordinates (no configuration scored yet)" : "Parallel coordinates (darker: better; dashed: pruned)");
        return plot.GetSvgXml(DashboardCharts.Width + 160, DashboardCharts.Height + 40);
    }

    /// <summary>Each value's place on its axis (0 to 1) and the axis' end labels.</summary>
    private static (double[] Positions, string Low, string High) Scale(string name, List<object> values)
    {
        if (values.Count == 0)
        {
            return ([], "", "");
        }

        if (values.All(v => v is double))
        {
            var log = name is "learningRate" or "weightDecay" && values.All(v => (double)v > 0);
            var xs = values.Select(v => log ? Math.Log10((double)v) : (double)v).ToList();
            var (min, max) = (xs.Min(), xs.Max());
            string Show(double x) => (log ? Math.Pow(10, x) : x).ToString("G3", Invariant);
            return ([.. xs.Select(x => max > min ? (x - min) / (max - min) : 0.5)], Show(min), Show(max));
        }

        var categories = values.Select(v => Convert.ToString(v, Invariant)!).Distinct().Order(StringComparer.Ordinal).ToList();
        return ([.. values.Select(v => categories.Count > 1 ? categories.IndexOf(Convert.ToString(v, Invariant)!) / (categories.Count - 1.0) : 0.5)],
            categories[0], categories[^1]);
    }
}
