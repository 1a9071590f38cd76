using System.Collections.Immutable;
using System.Globalization;
using Churn.Actors.Messages;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Explanation;
using Churn.Numerics.Files;

namespace Churn.Host.Cli;

/// <summary>What the commands print: progress on stderr while a run goes, the summary on stdout at the end.</summary>
public static class ConsoleOutput
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Progress(IRunEvent e)
    {
        switch (e)
        {
            case StageCompleted s:
                Console.Error.WriteLine(StageLine(s));
                break;
            case DeviceFellBack d:
                Console.Error.WriteLine(Logging.ConsoleText.Printable(FallbackLine(d)));
                break;
            case EpochCompleted m:
                var x = m.Metrics;
                // A run followed from a host does not get the epoch's own time over the event stream.
                var own = m.EpochTime > TimeSpan.Zero ? string.Create(Invariant, $" (epoch {m.EpochTime.TotalMilliseconds:F1} ms)") : "";
                Console.Error.WriteLine(string.Create(Invariant, $"  epoch {x.Epoch,3}  train loss {x.TrainLoss:F4} acc {x.TrainAccuracy:F4} | validation loss {x.ValidationLoss:F4} acc {x.ValidationAccuracy:F4} | {m.Elapsed.TotalSeconds:F2} s{own}"));
                break;
        }
    }

    /// <summary>The one warning a device fallback gets on the console.</summary>
    public static string FallbackLine(DeviceFellBack d) => $"churn: warning: device '{d.Device}' failed ({d.Reason}); training on the cpu instead";

    /// <summary>A finished stage as one line: stage, detail, time.</summary>
    public static string StageLine(StageCompleted s) => string.Create(Invariant, $"  {s.Stage,-9} {s.Detail} ({s.Elapsed.TotalMilliseconds:F0} ms)");

    public static void PrepareSummary(RunOutputs o) => PrepareSummary(o.Manifest!, o.Files);

    /// <summary>The same summary from a run's manifest and files, as a host reports them.</summary>
    public static void PrepareSummary(PrepareManifest m, IEnumerable<string> files)
    {
        Row("source", m.Source);
        Row("rows read", m.RowsRead.ToString("N0", Invariant));
        Row("buyers", m.After.Buyers.ToString("N0", Invariant));
        Row("non-buyers kept", $"{m.After.NonBuyers.ToString("N0", Invariant)} of {m.Before.NonBuyers.ToString("N0", Invariant)} ({m.Strategy.ToString().ToLowerInvariant()}, seed {m.Seed})");
        Row("train/validation/test", $"{m.Splits.Train:N0} / {m.Splits.Validation:N0} / {m.Splits.Test:N0}");
        Files(files);
    }

    public static void TrainingSummary(RunOutputs o) =>
        TrainingSummary(
            o.Manifest,
            o.Model is { } model ? new TrainingSummary(model.Device, model.EpochsRun, model.BestEpoch, model.History) : null,
            o.Report?.Test,
            o.Report?.Importance ?? [],
            o.Report?.Gains ?? [],
            o.Files,
            o.Report?.LeftOut,
            o.Report?.Population,
            o.Metrics?.Explanations);

    /// <summary>The same summary from a run's <c>metrics.json</c>, as a host reports it.</summary>
    public static void TrainingSummary(PrepareManifest? manifest, RunMetrics? metrics, IEnumerable<string> files) =>
        TrainingSummary(manifest, metrics?.Training, metrics?.Test, metrics?.Importance ?? [], metrics?.Gains ?? [], files, metrics?.LeftOut, metrics?.Population, metrics?.Explanations);

    private static void TrainingSummary(
        PrepareManifest? manifest,
        TrainingSummary? training,
        ClassificationMetrics? test,
        ImmutableArray<FeatureImportance> importance,
        ImmutableArray<GainsRow> gains,
        IEnumerable<string> files,
        LeftOutCheck? leftOut,
        PopulationReport? population,
        RunExplanations? explanations)
    {
        if (manifest is { } m)
        {
            Row("rows read", m.RowsRead.ToString("N0", Invariant));
            Row("balanced", $"{m.After.Buyers:N0} buyers + {m.After.NonBuyers:N0} non-buyers ({m.Strategy.ToString().ToLowerInvariant()})");
            Row("train/validation/test", $"{m.Splits.Train:N0} / {m.Splits.Validation:N0} / {m.Splits.Test:N0}");
            if (!m.Scaler.LogFeatures.IsEmpty)
            {
                Row("ln(1 + x) of", string.Join(", ", m.Scaler.LogFeatures));
            }
        }

        if (training is { } model)
        {
            Row("training", $"{model.EpochsRun} epochs on {model.Device}, best epoch {model.BestEpoch}");
        }

        if (population is { } p)
        {
            StandardOutput.Writer.WriteLine();
            StandardOutput.Writer.WriteLine($"  on customers the model never saw: {p.Sample}");
            foreach (var (label, value) in PopulationRows(p))
            {
                Row(label, value);
            }
            StandardOutput.Writer.WriteLine();
            StandardOutput.Writer.WriteLine("  contact the top … of customers by probability to reach … of buyers (natural mix)");
            foreach (var g in p.Gains.Take(5))
            {
                StandardOutput.Writer.WriteLine(string.Create(Invariant, $"    {g.ContactedShare,5:P0} -> {g.BuyersReachedShare,5:P0} (lift {g.Lift:F2})"));
            }
        }

        if (explanations is { } e)
        {
            StandardOutput.Writer.WriteLine();
            foreach (var line in ExplanationLines(e))
            {
                StandardOutput.Writer.WriteLine(line);
            }
        }

        if (!importance.IsDefaultOrEmpty)
        {
            StandardOutput.Writer.WriteLine();
            foreach (var line in PermutationLines(importance, population is not null, explanations is not null))
            {
                StandardOutput.Writer.WriteLine(line);
            }
        }

        if (test is { } t)
        {
            StandardOutput.Writer.WriteLine();
            StandardOutput.Writer.WriteLine("  the recipe's figures on its test split (raw scores; half buyers when balanced: for comparison with the original notebook)");
            Row("test accuracy", t.Accuracy.ToString("F4", Invariant));
            Row("precision/recall/F1", $"{t.Precision:F4} / {t.Recall:F4} / {t.F1:F4}");
            Row("ROC AUC / log loss", $"{t.RocAuc:F4} / {t.LogLoss:F4}");
            var c = t.Confusion;
            Row("confusion", $"TP {c.TruePositives}  FP {c.FalsePositives}  TN {c.TrueNegatives}  FN {c.FalseNegatives}");
            if (leftOut is { } l)
            {
                // The balanced test split is half buyers; the customers the app advertises to are mostly not.
                Row("left-out non-buyers", LeftOut(l));
            }

            if (population is null)
            {
                StandardOutput.Writer.WriteLine();
                StandardOutput.Writer.WriteLine("  contact the top … of test customers by score to reach … of buyers");
                foreach (var g in gains.Take(5))
                {
                    StandardOutput.Writer.WriteLine(string.Create(Invariant, $"    {g.ContactedShare,5:P0} -> {g.BuyersReachedShare,5:P0} (lift {g.Lift:F2})"));
                }
            }

            StandardOutput.Writer.WriteLine();
        }

        Files(files);
    }

    /// <summary>The population figures as label and value, for the console summary and the log.</summary>
    public static IEnumerable<(string Label, string Value)> PopulationRows(PopulationReport p)
    {
        var c = p.Campaign;
        var uncalibrated = p.Alternatives.TryGetValue("uncalibrated", out var u) ? u : null;
        yield return ("ROC AUC / avg precision", string.Create(Invariant, $"{p.RocAuc:F4} / {p.AveragePrecision:F4}"));
        yield return ("mean probability", string.Create(Invariant, $"{p.MeanProbability:F4} (buying rate {p.BuyingRate:F4})"));
        yield return ("Brier / log loss", string.Create(Invariant, $"{p.Brier:F4} / {p.LogLoss:F4}"));
        yield return ("calibration error", string.Create(Invariant, $"{p.CalibrationError:F4} ({p.Calibration.Method.ToString().ToLowerInvariant()}{(uncalibrated is null ? "" : $"; uncalibrated {uncalibrated.CalibrationError:F4}, Brier {uncalibrated.Brier:F4}")})"));
        yield return ("campaign", string.Create(Invariant, $"cost {c.ContactCost:G} per contact, value {c.ConversionValue:G} per buyer: contact {c.ContactedShare:P1}, reach {c.BuyersReachedShare:P1} of buyers"));
        yield return ("profit per 1,000", string.Create(Invariant, $"{c.ProfitPer1000:F0} (expected {c.ExpectedProfitPer1000:F0}; best cut-off {c.BestCutoffProfitPer1000:F0}; everyone {c.EveryoneProfitPer1000:F0}; at random {c.RandomProfitPer1000:F0})"));
    }

    /// <summary>
    /// Which behaviours bring customers back: every behaviour ranked by what the explanations measure, with its
    /// interval, then the top behaviours' direction sentences. The dashboard's importance chart draws this ranking.
    /// </summary>
    public static IEnumerable<string> ExplanationLines(RunExplanations e)
    {
        yield return string.Create(Invariant, $"  which behaviours bring customers back ({e.Measure}; {e.Customers:N0} customers, 95 % bootstrap interval)");
        foreach (var b in e.Behaviours)
        {
            yield return string.Create(Invariant, $"    {b.Rank,2}. {b.Feature,-24} {b.MeanAbsContribution,7:F3}  [{b.Low:F3}, {b.High:F3}]  probability {DirectionSentence.ShapeWords(b.Trend.Shape)} as it grows");
        }
        yield return "";
        foreach (var sentence in e.Sentences)
        {
            yield return $"  - {sentence}";
        }
    }

    /// <summary>Permutation importance, the second view: the ROC AUC drop when a behaviour is shuffled, with its spread over the shuffles.</summary>
    public static IEnumerable<string> PermutationLines(ImmutableArray<FeatureImportance> importance, bool population, bool secondView)
    {
        var where = population ? "customers the model never saw, natural mix" : "test split";
        var repeats = importance[0].Repeats > 0 ? string.Create(Invariant, $", mean ± s.d. of {importance[0].Repeats} shuffles") : "";
        yield return $"  {(secondView ? "second view: " : "behaviours that matter most: ")}drop in ROC AUC when a behaviour is shuffled ({where}{repeats})";
        foreach (var f in importance.Take(secondView ? 5 : 10))
        {
            yield return string.Create(Invariant, $"    {f.Rank,2}. {f.Feature,-24} {f.AucDrop,7:F4} ± {f.AucDropSpread:F4}");
        }
    }

    /// <summary>One line on the non-buyers balancing left out, for a run's and a search winner's summary.</summary>
    public static string LeftOut(LeftOutCheck l) =>
        string.Create(Invariant, $"{l.CalledNonBuyers:P1} of {l.Rows:N0} called non-buyers; ROC AUC with the test rows {l.RocAucWithTest:F4}");

    private static void Files(IEnumerable<string> files)
    {
        var first = true;
        foreach (var f in files)
        {
            Row(first ? "files written" : "", f);
            first = false;
        }
    }

    private static void Row(string label, string value) => StandardOutput.Writer.WriteLine(string.Create(Invariant, $"  {label,-22} {value}"));
}
