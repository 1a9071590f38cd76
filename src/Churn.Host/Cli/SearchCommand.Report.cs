using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Churn.Actors.Messages;
using Churn.Host.Search;
using Churn.Numerics.Search;

namespace Churn.Host.Cli;

/// <summary>What a search prints: a line per trial as it ends, the report, the leaderboard.</summary>
public static partial class SearchCommand
{
    private static string TrialLine(TrialRecord r, int done, int total)
    {
        var t = r.Spec;
        var calibrated = r.CalibratedLossUpTo(int.MaxValue);
        var best = r.History.IsEmpty ? ""
            : double.IsFinite(calibrated) ? string.Create(Invariant, $", calibrated loss {calibrated:F4}, best validation loss {r.BestValidationLoss:F4}")
            : string.Create(Invariant, $", best validation loss {r.BestValidationLoss:F4}");
        var why = r.Reason is null ? "" : $": {r.Reason}";
        return string.Create(Invariant,
            $"  trial {Numbering.Number(t.Index),4}  [{done}/{total}] configuration {Numbering.Number(t.Configuration)} seed {Numbering.Number(t.Replicate)}: {SearchStore.StatusName(r.Status)} after {r.History.Length} epochs{best} ({r.Wall.TotalSeconds:F1} s){why}");
    }

    /// <summary>
    /// The search's report on stdout: with <paramref name="json"/> its <c>search.json</c>, or (a host's file not being
    /// here) <paramref name="hostSummary"/>, the summary the host sent; otherwise the leaderboard and the winner.
    /// </summary>
    public static void Report(SearchSummary s, bool json, JsonNode? hostSummary = null)
    {
        var summaryFile = s.Files.FirstOrDefault(f => Path.GetFileName(f) == SearchFiles.SummaryFile);
        if (json && summaryFile is not null && File.Exists(summaryFile))
        {
            StandardOutput.Writer.WriteLine(JsonNode.Parse(File.ReadAllText(summaryFile))!.ToJsonString());
            return;
        }
        if (json && hostSummary is not null)
        {
            StandardOutput.Writer.WriteLine(hostSummary.ToJsonString());
            return;
        }
        StandardOutput.Writer.WriteLine(Leaderboard(s.Leaderboard, 15));
        Row("status", s.Status);
        Row("trials", string.Create(Invariant, $"{s.Trials} ({s.EpochsSpent:N0} epochs in {s.Elapsed.TotalSeconds:F1} s)"));
        if (s.TrialWall > TimeSpan.Zero)
        {
            var overhead = (s.TrialWall - s.TrialInSession) / s.TrialWall;
            Row("actor overhead", string.Create(Invariant, $"{overhead:P1} of trial time outside the training session"));
        }
        if (Numerics.Search.Leaderboard.Best(s.Leaderboard) is { } best)
        {
            Row("best configuration", string.Create(Invariant, $"#{Numbering.Number(best.Configuration)}: {Numerics.Search.Leaderboard.Describe(best)}"));
            if (double.IsFinite(best.MeanCalibratedLoss))
            {
                Row("calibrated loss", string.Create(Invariant, $"{best.MeanCalibratedLoss:F4} ± {best.StdCalibratedLoss:F4} over {best.SeedsDone} seeds (validation, population mix)"));
            }
            Row("validation loss", string.Create(Invariant, $"{best.MeanValidationLoss:F4} ± {best.StdValidationLoss:F4} over {best.SeedsDone} seeds (training mix)"));
        }
        if (s.WinnerPopulation is { } p)
        {
            Row("winner, population", $"{p.Sample}:");
            foreach (var (label, value) in ConsoleOutput.PopulationRows(p))
            {
                Row($"  {label}", value);
            }
        }
        if (s.WinnerTest is { } t)
        {
            Row("winner on test", string.Create(Invariant, $"accuracy {t.Accuracy:F4}, ROC AUC {t.RocAuc:F4}, log loss {t.LogLoss:F4}"));
            Row("", SearchFiles.TestNote);
        }
        if (s.WinnerLeftOut is { } l)
        {
            Row("left-out non-buyers", ConsoleOutput.LeftOut(l));
        }
        if (s.AveragedModelDirectory is { } averaged)
        {
            Row("averaged model", $"{averaged} (the winner's seeds, scores averaged, then calibrated): churn predict --model {averaged}");
        }
        if (s.Note is not null)
        {
            Row("note", s.Note);
        }
        var first = true;
        foreach (var f in s.Files)
        {
            Row(first ? "files written" : "", f);
            first = false;
        }
    }

    /// <summary>The leaderboard as a console table: the top <paramref name="top"/> configurations.</summary>
    public static string Leaderboard(ImmutableArray<LeaderboardRow> rows, int top)
    {
        var table = new System.Text.StringBuilder();
        table.AppendLine("  rank  cfg  calibrated loss  validation loss (mean ± sd, min–max)  val acc  epochs  outcome     configuration");
        foreach (var r in rows.Take(top))
        {
            var loss = double.IsNaN(r.MeanValidationLoss)
                ? "".PadRight(36)
                : string.Create(Invariant, $"{r.MeanValidationLoss:F4} ± {r.StdValidationLoss:F4} ({r.MinValidationLoss:F4}–{r.MaxValidationLoss:F4})").PadRight(36);
            var calibrated = (double.IsFinite(r.MeanCalibratedLoss) ? string.Create(Invariant, $"{r.MeanCalibratedLoss:F4} ± {r.StdCalibratedLoss:F4}") : "").PadRight(15);
            var accuracy = double.IsNaN(r.MeanValidationAccuracy) ? "      " : r.MeanValidationAccuracy.ToString("F4", Invariant);
            var epochs = double.IsNaN(r.MeanEpochs) ? "" : r.MeanEpochs.ToString("F0", Invariant);
            table.Append(Invariant, $"  {r.Rank,4}  {Numbering.Number(r.Configuration),3}  {calibrated}  {loss}  {accuracy}  {epochs,6}  {r.Outcome.ToString().ToLowerInvariant(),-10}  {Numerics.Search.Leaderboard.Describe(r)}");
            table.AppendLine(r.Reason is null || r.Outcome == ConfigurationOutcome.Pruned ? "" : $"  ({r.Reason})");
        }
        if (rows.Length > top)
        {
            table.AppendLine(Invariant, $"  … {rows.Length - top} more in leaderboard.csv");
        }
        return table.ToString();
    }

    private static void Row(string label, string value) => StandardOutput.Writer.WriteLine(string.Create(Invariant, $"  {label,-22} {value}"));
}
