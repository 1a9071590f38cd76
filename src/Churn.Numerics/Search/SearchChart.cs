using System.Collections.Immutable;
using Churn.Numerics.Model;
using ScottPlot;

namespace Churn.Numerics.Search;

/// <summary>
/// <c>search_curves.png</c>: the curves of the best configurations, one colour per configuration, one line per seed, of
/// what the search ranks on: the calibrated loss (the same yardstick whatever a configuration's balancing), or the
/// validation loss for searches that ranked on it.
/// </summary>
public static class SearchChart
{
    public const int Top = 5;
    private const int Width = 1000;
    private const int Height = 600;

    public static byte[] Render(ImmutableArray<LeaderboardRow> leaderboard, ImmutableArray<TrialRecord> trials) =>
        Build(leaderboard, trials, brief: false).GetImageBytes(Width, Height, ImageFormat.Png);

    /// <summary>
    /// The same chart as SVG, for the dashboard (drawn while the search runs, so some curves may be short); its legend
    /// names each configuration by rank and number only, the page's leaderboard beside it says the rest.
    /// </summary>
    public static string Svg(ImmutableArray<LeaderboardRow> leaderboard, ImmutableArray<TrialRecord> trials, int width, int height) =>
        Build(leaderboard, trials, brief: true).GetSvgXml(width, height);

    /// <summary>The configurations the chart draws: the best <see cref="Top"/> that trained (completed or pruned).</summary>
    public static ImmutableArray<LeaderboardRow> Shown(ImmutableArray<LeaderboardRow> leaderboard) =>
        [.. leaderboard.Where(r => r.Outcome is ConfigurationOutcome.Complete or ConfigurationOutcome.Pruned).Take(Top)];

    /// <summary>Ticks at whole numbers only, for axes of counts (epochs, layers, units): no epoch 1.5.</summary>
    public static void WholeNumbers(ScottPlot.IAxis axis) =>
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };

    /// <summary>
    /// Whether the rows rank on the calibrated loss (their score is its mean) and every drawn epoch knows it: then the
    /// curves show it; otherwise (a search stored before it) the validation loss.
    /// </summary>
    private static bool Calibrated(ImmutableArray<LeaderboardRow> shown, IEnumerable<TrialRecord> drawn) =>
        shown.Length > 0
        && shown.All(r => double.IsFinite(r.MeanCalibratedLoss) && r.Score.Equals(r.MeanCalibratedLoss))
        && drawn.All(t => t.History.All(h => double.IsFinite(h.CalibratedLoss)));

    private static Plot Build(ImmutableArray<LeaderboardRow> leaderboard, ImmutableArray<TrialRecord> trials, bool brief)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var shown = Shown(leaderboard);
        var configurations = shown.Select(r => r.Configuration).ToHashSet();
        var calibrated = Calibrated(shown, trials.Where(t => configurations.Contains(t.Spec.Configuration)));
        double Loss(EpochMetrics e) => calibrated ? e.CalibratedLoss : e.ValidationLoss;
        var lowest = double.PositiveInfinity;
        var highest = double.NegativeInfinity;
        for (var i = 0; i < shown.Length; i++)
        {
            var row = shown[i];
            var color = palette.GetColor(i);
            var first = true;
            foreach (var trial in trials.Where(t => t.Spec.Configuration == row.Configuration && !t.History.IsEmpty))
            {
                var line = plot.Add.Scatter(
                    trial.History.Select(h => (double)h.Epoch).ToArray(),
                    trial.History.Select(Loss).ToArray());
                line.Color = color;
                line.LineWidth = 1.5f;
                line.MarkerSize = 0;
                lowest = Math.Min(lowest, trial.History.Min(Loss));
                highest = Math.Max(highest, trial.History.Max(Loss));
                if (first)
                {
                    line.LegendText = brief
                        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"#{row.Rank} (configuration {Numbering.Number(row.Configuration)}): mean {row.Score:F4}")
                        : $"#{row.Rank} (configuration {Numbering.Number(row.Configuration)}): {Leaderboard.Describe(row)}";
                    first = false;
                }
            }
        }
        plot.Title($"{(calibrated ? "Calibrated" : "Validation")} loss of the top {shown.Length} configurations (one line per seed)");
        plot.XLabel("epoch");
        WholeNumbers(plot.Axes.Bottom);
        plot.YLabel(calibrated ? "calibrated loss (validation split, customers' mix)" : "validation cross-entropy");
        plot.ShowLegend(Alignment.UpperRight);
        if (double.IsFinite(lowest))
        {
            // The first epochs' losses are far above the rest; showing 0.1 above the best keeps the part where
            // configurations differ readable.
            plot.Axes.SetLimitsY(lowest - 0.005, Math.Min(highest, lowest + 0.1) + 0.005);
        }
        return plot;
    }
}
