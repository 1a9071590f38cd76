using System.Collections.Immutable;
using Churn.Numerics.Model;
using ScottPlot;
using SkiaSharp;

namespace Churn.Numerics.Evaluation;

/// <summary><c>report.png</c>: loss curves, ROC curve and cumulative gains side by side, as PNG bytes.</summary>
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

    public static byte[] Render(ImmutableArray<EpochMetrics> history, ImmutableArray<RocPoint> roc, ImmutableArray<GainsRow> gains)
    {
        var panels = new[] { LossPanel(history), RocPanel(roc), GainsPanel(gains) };
        var info = new SKImageInfo(PanelWidth * panels.Length, Height);
        using var surface = SKSurface.Create(info);
        surface.Canvas.Clear(SKColors.White);
        // A plot clears the whole canvas it renders on, so each panel is drawn alone and then placed.
        for (var i = 0; i < panels.Length; i++)
        {
            using var panel = SKBitmap.Decode(panels[i].GetImageBytes(PanelWidth, Height, ImageFormat.Png));
            surface.Canvas.DrawBitmap(panel, i * PanelWidth, 0);
        }

        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
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

    private static Plot GainsPanel(ImmutableArray<GainsRow> gains)
    {
        var plot = new Plot();
        var contacted = gains.Select(g => g.ContactedShare * 100).Prepend(0.0).ToArray();
        var reached = gains.Select(g => g.BuyersReachedShare * 100).Prepend(0.0).ToArray();
        Line(plot, Percent, Percent, "random contact");
        Line(plot, contacted, reached, "by model score");
        plot.Title("Cumulative gains (test)");
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
