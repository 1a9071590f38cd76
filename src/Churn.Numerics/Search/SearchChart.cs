using System.Collections.Immutable;
using ScottPlot;

namespace Churn.Numerics.Search;

/// <summary><c>search_curves.png</c>: the validation-loss curves of the best configurations, one colour per configuration, one line per seed.</summary>
public static class SearchChart
{
    public const int Top = 5;
    private const int Width = 1000;
    private const int Height = 600;

    public static byte[] Render(ImmutableArray<LeaderboardRow> leaderboard, ImmutableArray<TrialRecord> trials) =>
        Build(leaderboard, trials).GetImageBytes(Width, Height, ImageFormat.Png);

    /// <summary>The same chart as SVG, for the dashboard (drawn while the search runs, so some curves may be short).</summary>
    public static string Svg(ImmutableArray<LeaderboardRow> leaderboard, ImmutableArray<TrialRecord> trials, int width, int height) =>
        Build(leaderboard, trials).GetSvgXml(width, height);

    private static Plot Build(ImmutableArray<LeaderboardRow> leaderboard, ImmutableArray<TrialRecord> trials)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var shown = leaderboard.Where(r => r.Outcome is ConfigurationOutcome.Complete or ConfigurationOutcome.Pruned).Take(Top).ToList();
        var lowest = double.PositiveInfinity;
        var highest = double.NegativeInfinity;
        for (var i = 0; i < shown.Count; i++)
        {
            var row = shown[i];
            var color = palette.GetColor(i);
            var first = true;
            foreach (var trial in trials.Where(t => t.Spec.Configuration == row.Configuration && !t.History.IsEmpty))
            {
                var line = plot.Add.Scatter(
                    trial.History.Select(h => (double)h.Epoch).ToArray(),
                    trial.History.Select(h => h.ValidationLoss).ToArray());
                line.Color = color;
                line.LineWidth = 1.5f;
                line.MarkerSize = 0;
                lowest = Math.Min(lowest, trial.History.Min(h => h.ValidationLoss));
                highest = Math.Max(highest, trial.History.Max(h => h.ValidationLoss));
                if (first)
                {
                    line.LegendText = $"#{row.Rank} (configuration {Numbering.Number(row.Configuration)}): {Leaderboard.Describe(row)}, {Leaderboard.ScoreText(row)}";
                    first = false;
                }
            }
        }
        plot.Title($"Validation loss of the top {shown.Count} configurations (one line per seed)");
        plot.XLabel("epoch");
        plot.YLabel("validation cross-entropy");
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
