using Churn.Numerics.Evaluation;
using ScottPlot;

namespace Churn.Numerics.Explanation;

/// <summary>
/// <c>explain.png</c>: the summary of every explained customer's contributions (one dot per customer and behaviour,
/// coloured by the behaviour's value), the ranking with its bootstrap intervals, and for the top behaviours their
/// dependence plots and partial dependence with ICE lines. PNG bytes.
/// </summary>
public static class ExplainChart
{
    /// <summary>Behaviours with their own dependence and partial dependence panels.</summary>
    public const int TopBehaviours = 3;

    // SHAP's summary colours: low values blue, high values red.
    private static readonly (byte R, byte G, byte B) LowColour = (0, 138, 230);
    private static readonly (byte R, byte G, byte B) HighColour = (255, 0, 82);
    private const int Shades = 8;

    public static byte[] Render(ExplainedRun run)
    {
        var s = run.Summary;
        var top = s.Behaviours.Where(b => b.MeanAbsContribution > 0).Take(TopBehaviours).ToList();
        var panels = new List<Plot> { Summary(run) };
        panels.AddRange(top.Select(b => DependencePanel(run, b)));
        panels.Add(RankingPanel(s));
        panels.AddRange(top.Select(PartialDependencePanel));
        return ReportChart.Compose(2, [.. panels]);
    }

    /// <summary>Beeswarm-style: one row per behaviour (most important on top), dots spread where they crowd.</summary>
    private static Plot Summary(ExplainedRun run)
    {
        var plot = new Plot();
        var behaviours = run.Summary.Behaviours;
        var features = behaviours.Length;
        for (var r = 0; r < features; r++)
        {
            var effect = behaviours[r];
            var column = FeatureColumn(run, effect.Feature);
            var contributions = run.Contributions.Column(column).ToArray();
            var values = run.Values.Column(column).ToArray();
            var y = features - 1 - r;
            var offsets = Swarm(contributions);
            var ranks = Shade(values);
            for (var shade = 0; shade < Shades; shade++)
            {
                var picked = Enumerable.Range(0, contributions.Length).Where(i => ranks[i] == shade).ToArray();
                if (picked.Length == 0)
                {
                    continue;
                }
                var points = plot.Add.ScatterPoints(picked.Select(i => contributions[i]).ToArray(), picked.Select(i => y + offsets[i]).ToArray());
                points.MarkerSize = 4;
                points.Color = Colour((double)shade / (Shades - 1));
            }
        }
        var zero = plot.Add.VerticalLine(0);
        zero.Color = Colors.Gray;
        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, features).Select(i => (double)i)], [.. behaviours.Reverse().Select(b => b.Feature)]);
        plot.Title("Contributions (blue: low value, red: high)");
        plot.XLabel("contribution to the log-odds");
        return plot;
    }

    /// <summary>The ranking: mean |contribution| with its bootstrap interval.</summary>
    private static Plot RankingPanel(RunExplanations s)
    {
        var plot = new Plot();
        var rows = s.Behaviours.Reverse().ToList();
        var bars = plot.Add.Bars(rows.Select(b => b.MeanAbsContribution).ToArray());
        bars.Horizontal = true;
        for (var i = 0; i < rows.Count; i++)
        {
            var interval = plot.Add.Line(rows[i].Low, i, rows[i].High, i);
            interval.Color = Colors.Black;
            interval.LineWidth = 2;
        }
        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, rows.Count).Select(i => (double)i)], [.. rows.Select(b => b.Feature)]);
        plot.Title($"Importance, 95 % interval ({s.Customers} customers)");
        plot.XLabel(RunExplanations.RankingMeasure);
        return plot;
    }

    private static Plot DependencePanel(ExplainedRun run, BehaviourEffect effect)
    {
        var plot = new Plot();
        var column = FeatureColumn(run, effect.Feature);
        var points = plot.Add.ScatterPoints(run.Values.Column(column).ToArray(), run.Contributions.Column(column).ToArray());
        points.MarkerSize = 4;
        points.Color = Colour(0).WithAlpha(110);
        var mean = plot.Add.Scatter(effect.Dependence.Value.ToArray(), effect.Dependence.Mean.ToArray());
        mean.LegendText = "mean per grid interval";
        mean.LineWidth = 2;
        mean.MarkerSize = 0;
        mean.Color = Colour(1);
        var zero = plot.Add.HorizontalLine(0);
        zero.Color = Colors.Gray;
        plot.Title($"Dependence: {effect.Feature}");
        plot.XLabel(DirectionSentence.NameOf(effect.Feature));
        plot.YLabel("contribution to the log-odds");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    private static Plot PartialDependencePanel(BehaviourEffect effect)
    {
        var plot = new Plot();
        var curve = effect.PartialDependence;
        var xs = curve.Grid.ToArray();
        var first = true;
        foreach (var line in curve.Ice)
        {
            var ice = plot.Add.Scatter(xs, line.ToArray());
            ice.MarkerSize = 0;
            ice.LineWidth = 1;
            ice.Color = Colors.Gray.WithAlpha(120);
            ice.LegendText = first ? "one customer (ICE)" : "";
            first = false;
        }
        var average = plot.Add.Scatter(xs, curve.Average.ToArray());
        average.LegendText = "average (partial dependence)";
        average.LineWidth = 3;
        average.MarkerSize = 5;
        average.Color = Colour(1);
        plot.Title($"{effect.Feature}: probability {DirectionSentence.ShapeWords(effect.Trend.Shape)}");
        plot.XLabel(DirectionSentence.NameOf(effect.Feature));
        plot.YLabel("probability of buying again");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    private static int FeatureColumn(ExplainedRun run, string feature) => run.Features.IndexOf(feature);

    /// <summary>Each value's shade: its rank among the behaviour's values, in <see cref="Shades"/> steps (ties share one).</summary>
    private static int[] Shade(double[] values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0 || sorted[0] == sorted[^1])
        {
            return [.. values.Select(_ => Shades / 2)];
        }
        // The share of values strictly below: ties get one shade, the lowest value the first.
        int Below(double v)
        {
            var (lo, hi) = (0, sorted.Length);
            while (lo < hi)
            {
                var mid = (lo + hi) / 2;
                (lo, hi) = sorted[mid] < v ? (mid + 1, hi) : (lo, mid);
            }
            return lo;
        }
        return [.. values.Select(v => Math.Min(Shades - 1, Shades * Below(v) / sorted.Length))];
    }

    /// <summary>Vertical offsets within a row: dots in the same narrow slice of contributions stack outwards alternately.</summary>
    private static double[] Swarm(double[] contributions)
    {
        var min = contributions.Min();
        var width = Math.Max(contributions.Max() - min, 1e-12) / 80;
        var taken = new Dictionary<int, int>();
        var offsets = new double[contributions.Length];
        for (var i = 0; i < contributions.Length; i++)
        {
            var slot = (int)((contributions[i] - min) / width);
            var k = taken.GetValueOrDefault(slot);
            taken[slot] = k + 1;
            offsets[i] = Math.Min(0.4, 0.03 * ((k + 1) / 2)) * (k % 2 == 0 ? 1 : -1);
        }
        return offsets;
    }

    private static Color Colour(double t) =>
        new((byte)(LowColour.R + (t * (HighColour.R - LowColour.R))), (byte)(LowColour.G + (t * (HighColour.G - LowColour.G))), (byte)(LowColour.B + (t * (HighColour.B - LowColour.B))));
}
