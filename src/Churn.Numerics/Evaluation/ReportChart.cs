using System.Collections.Immutable;
using Churn.Numerics.Model;
using ScottPlot;
using SkiaSharp;

namespace Churn.Numerics.Evaluation;

/// <summary>
/// <c>report.png</c>: loss curves, ROC curve and cumulative gains, and for a model judged on its population the
/// reliability diagram and the campaign's profit curve there; <c>campaign.png</c> for a planned campaign. PNG bytes.
/// </summary>
public static class ReportChart
{
    private const int PanelWidth = 560;
    private const int Height = 460;
    private static readonly double[] Unit = [0, 1];
    private static readonly double[] Percent = [0, 100];

    /// <summary>
    /// Pays the renderer's first-use costs (native library, fonts, code paths) with a throwaway chart, so a caller
    /// with a spare core can do it early instead of when the real report is due.
    /// </summary>
    public static void WarmUp() => Render([new EpochMetrics(1, 1, 0.5, 1, 0.5)], [new RocPoint(0, 0), new RocPoint(1, 1)], []);

    public static byte[] Render(ImmutableArray<EpochMetrics> history, ImmutableArray<RocPoint> roc, ImmutableArray<GainsRow> gains, PopulationReport? population = null)
    {
        if (population is not { } p)
        {
            return Compose(1, LossPanel(history), RocPanel(roc), GainsPanel(gains.Select(g => (g.ContactedShare, g.BuyersReachedShare)), "Cumulative gains (test)"));
        }
        return Compose(
            2,
            LossPanel(history),
            RocPanel(roc),
            GainsPanel(p.Gains.Select(g => (g.ContactedShare, g.BuyersReachedShare)), "Cumulative gains (natural mix)"),
            ReliabilityPanel(p.Reliability),
            ProfitPanel(p.ProfitCurve, p.Campaign.ContactedShare, $"Campaign profit per 1,000 customers (cost {p.Campaign.ContactCost:G}, value {p.Campaign.ConversionValue:G})"));
    }

    /// <summary><c>campaign.png</c>: expected profit and buyers reached against the share contacted, the plan's point marked.</summary>
    public static byte[] Campaign(ImmutableArray<CurvePoint> curve, double chosenShare) =>
        Compose(1, ProfitPanel(curve, chosenShare, "Expected profit"), ReachedPanel(curve, chosenShare));

    /// <summary>Panels on a grid of <paramref name="rows"/> rows, filled row by row.</summary>
    internal static byte[] Compose(int rows, params Plot[] panels)
    {
        var columns = (panels.Length + rows - 1) / rows;
        var info = new SKImageInfo(PanelWidth * columns, Height * rows);
        using var surface = SKSurface.Create(info);
        surface.Canvas.Clear(SKColors.White);
        // A plot clears the whole canvas it renders on, so each panel is drawn alone and then placed. Panels are
        // independent plots, drawn on every core (ScottPlot's shared font cache is safe for that).
        var images = new byte[panels.Length][];
        Parallel.For(0, panels.Length, i => images[i] = panels[i].GetImageBytes(PanelWidth, Height, ImageFormat.Png));
        for (var i = 0; i < panels.Length; i++)
        {
            using var panel = SKBitmap.Decode(images[i]);
            surface.Canvas.DrawBitmap(panel, i % columns * PanelWidth, i / columns * Height);
        }

        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static Plot ReliabilityPanel(ImmutableArray<ReliabilityBin> bins)
    {
        var plot = new Plot();
        Line(plot, Unit, Unit, "perfectly calibrated");
        var scatter = plot.Add.Scatter(bins.Select(b => b.MeanPredicted).ToArray(), bins.Select(b => b.Observed).ToArray());
        scatter.LegendText = "model (a bin of 0.1 each; area: its share of customers)";
        scatter.MarkerSize = 0;
        scatter.LineWidth = 1;
        // In the natural mix the upper bins hold a handful of customers each, so their observed rate is noise: a
        // marker's area shows how much each point weighs.
        foreach (var b in bins)
        {
            var marker = plot.Add.Marker(b.MeanPredicted, b.Observed);
            marker.Size = (float)(4 + 26 * Math.Sqrt(b.Share));
            marker.Color = scatter.Color;
        }
        plot.Title("Reliability (natural mix)");
        plot.XLabel("predicted probability");
        plot.YLabel("observed buying rate");
        plot.Axes.SetLimits(0, 1, 0, 1);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    private static Plot ProfitPanel(ImmutableArray<CurvePoint> curve, double chosenShare, string title)
    {
        var plot = new Plot();
        var xs = curve.Select(c => c.ContactedShare * 100).ToArray();
        Line(plot, xs, curve.Select(c => c.Profit).ToArray(), "by probability");
        Mark(plot, curve, chosenShare, c => c.Profit);
        plot.Title(title);
        plot.XLabel("% of customers contacted");
        plot.YLabel("profit");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    private static Plot ReachedPanel(ImmutableArray<CurvePoint> curve, double chosenShare)
    {
        var plot = new Plot();
        Line(plot, Percent, Percent, "random contact");
        Line(plot, curve.Select(c => c.ContactedShare * 100).ToArray(), curve.Select(c => c.BuyersReachedShare * 100).ToArray(), "by probability");
        Mark(plot, curve, chosenShare, c => c.BuyersReachedShare * 100);
        plot.Title("Expected buyers reached");
        plot.XLabel("% of customers contacted");
        plot.YLabel("% of expected buyers reached");
        plot.Axes.SetLimits(0, 100, 0, 100);
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    /// <summary>The plan's point: the curve's point nearest to the share it contacts.</summary>
    private static void Mark(Plot plot, ImmutableArray<CurvePoint> curve, double share, Func<CurvePoint, double> y)
    {
        if (curve.IsDefaultOrEmpty)
        {
            return;
        }
        var nearest = curve.MinBy(c => Math.Abs(c.ContactedShare - share))!;
        var marker = plot.Add.Marker(share * 100, y(nearest));
        marker.Size = 12;
        marker.LegendText = $"the plan: {share * 100:F1} % contacted";
    }

    private static Plot LossPanel(ImmutableArray<EpochMetrics> history)
    {
        var plot = new Plot();
        var epochs = history.Select(h => (double)h.Epoch).ToArray();
        Line(plot, epochs, history.Select(h => h.TrainLoss).ToArray(), "training loss");
        Line(plot, epochs, history.Select(h => h.ValidationLoss).ToArray(), "validation loss");
        plot.Title("Loss per epoch");
        plot.XLabel("epoch");
        plot.YLabel("cross-entropy");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    private static Plot RocPanel(ImmutableArray<RocPoint> roc)
    {
        var plot = new Plot();
        Line(plot, Unit, Unit, "chance");
        Line(plot, roc.Select(p => p.FalsePositiveRate).ToArray(), roc.Select(p => p.TruePositiveRate).ToArray(), "model");
        plot.Title("ROC curve (test)");
        plot.XLabel("false positive rate");
        plot.YLabel("true positive rate");
        plot.Axes.SetLimits(0, 1, 0, 1);
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    private static Plot GainsPanel(IEnumerable<(double Contacted, double Reached)> gains, string title)
    {
        var plot = new Plot();
        var contacted = gains.Select(g => g.Contacted * 100).Prepend(0.0).ToArray();
        var reached = gains.Select(g => g.Reached * 100).Prepend(0.0).ToArray();
        Line(plot, Percent, Percent, "random contact");
        Line(plot, contacted, reached, "by model score");
        plot.Title(title);
        plot.XLabel("% of customers contacted");
        plot.YLabel("% of buyers reached");
        plot.Axes.SetLimits(0, 100, 0, 100);
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    private static void Line(Plot plot, double[] xs, double[] ys, string label)
    {
        var scatter = plot.Add.Scatter(xs, ys);
        scatter.LegendText = label;
        scatter.MarkerSize = xs.Length > 30 ? 0 : 4;
        scatter.LineWidth = 2;
    }
}
