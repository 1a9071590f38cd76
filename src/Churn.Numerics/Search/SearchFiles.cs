using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;

namespace Churn.Numerics.Search;

/// <summary>What a finished (or cancelled) search reports.</summary>
public sealed record SearchReport(
    string SearchId,
    string Status,
    string DataPath,
    PrepareOptions Prepare,
    SchedulerKind Scheduler,
    ImmutableArray<LeaderboardRow> Leaderboard,
    ImmutableArray<TrialRecord> Trials,
    ImmutableArray<RungDecision> Decisions,
    int EpochsSpent,
    TimeSpan Elapsed,
    TimeSpan TrialWall,
    TimeSpan TrialInSession,
    ClassificationMetrics? WinnerTest,
    string? Note,
    LeftOutCheck? WinnerLeftOut = null,
    PopulationReport? WinnerPopulation = null,
    string? AveragedModelDirectory = null)
{
    /// <summary>The share of the trials' wall time spent outside the training session: what the actors around it cost.</summary>
    public double Overhead => TrialWall > TimeSpan.Zero ? (TrialWall - TrialInSession) / TrialWall : double.NaN;
}

/// <summary>
/// The search's files: <c>leaderboard.csv</c>, <c>best.json</c> (a configuration file <c>churn run --config</c>
/// takes), <c>search_curves.png</c> and <c>search.json</c> (the summary).
/// </summary>
public static class SearchFiles
{
    public const string LeaderboardFile = "leaderboard.csv";
    public const string BestFile = "best.json";
    public const string ChartFile = "search_curves.png";
    public const string SummaryFile = "search.json";

    /// <summary>Said wherever the winner's test figures appear, because it is what makes them an honest estimate.</summary>
    public const string TestNote =
        "configurations were ranked on the validation split only (calibrated loss in the population's mix); the test split was used once, to evaluate the winner after the choice";

    /// <summary>Writes the files into <paramref name="outDir"/> (each atomically); <c>best.json</c> only when a configuration completed.</summary>
    public static Result<ImmutableArray<string>> Write(string outDir, SearchReport report)
    {
        try
        {
            Directory.CreateDirectory(outDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return new Problem($"cannot create the output directory: {e.Message}", outDir);
        }
        var files = ImmutableArray.CreateBuilder<string>();
        Result<string> Save(string name, byte[] bytes)
        {
            var written = AtomicFile.Write(Path.Combine(outDir, name), bytes);
            if (written.IsOk)
            {
                files.Add(written.Unwrap());
            }
            return written;
        }

        var csv = Save(LeaderboardFile, System.Text.Encoding.UTF8.GetBytes(Leaderboard.ToCsv(report.Leaderboard)));
        if (csv is Result<string>.Error csvError)
        {
            return csvError.Problem;
        }
        if (Leaderboard.Best(report.Leaderboard) is { } best && Save(BestFile, BestConfig(report, best)) is Result<string>.Error bestError)
        {
            return bestError.Problem;
        }
        if (report.Trials.Any(t => !t.History.IsEmpty) && Save(ChartFile, SearchChart.Render(report.Leaderboard, report.Trials)) is Result<string>.Error chartError)
        {
            return chartError.Problem;
        }
        var summary = Save(SummaryFile, JsonSerializer.SerializeToUtf8Bytes(Summary(report), JsonFormat.Options));
        return summary.Map(_ => files.ToImmutable());
    }

    /// <summary>
    /// <c>best.json</c>: the shape of <c>config/churn.json</c> (data and preparation as the search used them, and the
    /// winning <c>model</c> section), so <c>churn run --config best.json</c> trains the winner on the same splits.
    /// </summary>
    public static byte[] BestConfig(SearchReport report, LeaderboardRow best)
    {
        var p = report.Prepare;
        var ratios = string.Join(",", new[] { p.Ratios.Train, p.Ratios.Validation, p.Ratios.Test }.Select(r => r.ToString("R", CultureInfo.InvariantCulture)));
        var config = new JsonObject
        {
            ["data"] = report.DataPath,
            ["seed"] = p.Seed,
            ["balance"] = p.Balance.ToString().ToLowerInvariant(),
            ["split"] = ratios,
            ["stratify"] = p.Stratify,
            ["logFeatures"] = JsonSerializer.SerializeToNode(p.LogFeatures, JsonFormat.Options),
            ["model"] = JsonSerializer.SerializeToNode(best.Config, JsonFormat.Options),
        };
        return JsonSerializer.SerializeToUtf8Bytes(config, JsonFormat.Options);
    }

    private static JsonObject Summary(SearchReport r)
    {
        var best = Leaderboard.Best(r.Leaderboard);
        return new JsonObject
        {
            ["searchId"] = r.SearchId,
            ["status"] = r.Status,
            ["seed"] = r.Prepare.Seed,
            ["scheduler"] = r.Scheduler.ToString().ToLowerInvariant(),
            ["configurations"] = r.Leaderboard.Length,
            ["trials"] = r.Trials.Length,
            ["epochsSpent"] = r.EpochsSpent,
            ["elapsedSeconds"] = Math.Round(r.Elapsed.TotalSeconds, 2),
            ["trialWallSeconds"] = Math.Round(r.TrialWall.TotalSeconds, 2),
            ["trialInSessionSeconds"] = Math.Round(r.TrialInSession.TotalSeconds, 2),
            ["actorOverhead"] = double.IsNaN(r.Overhead) ? null : Math.Round(r.Overhead, 4),
            ["best"] = best is null ? null : JsonSerializer.SerializeToNode(best, JsonFormat.Options),
            ["winnerTest"] = r.WinnerTest is null ? null : JsonSerializer.SerializeToNode(r.WinnerTest, JsonFormat.Options),
            ["winnerLeftOut"] = r.WinnerLeftOut is null ? null : JsonSerializer.SerializeToNode(r.WinnerLeftOut, JsonFormat.Options),
            ["winnerPopulation"] = r.WinnerPopulation is null ? null : JsonSerializer.SerializeToNode(r.WinnerPopulation, JsonFormat.Options),
            ["averagedModel"] = r.AveragedModelDirectory,
            ["testUse"] = TestNote,
            ["note"] = r.Note,
            ["leaderboard"] = JsonSerializer.SerializeToNode(r.Leaderboard, JsonFormat.Options),
            ["decisions"] = JsonSerializer.SerializeToNode(r.Decisions, JsonFormat.Options),
            ["trialNodes"] = TrialNodes(r.Trials.Select(TrialSummary.Of)),
        };
    }

    /// <summary>
    /// Each trial (numbered from 1) with its status and the node that trained it, for search.json and
    /// <c>GET /searches/{id}</c>; leaderboard.csv stays free of nodes, so it compares byte for byte wherever trials ran.
    /// </summary>
    public static JsonArray TrialNodes(IEnumerable<TrialSummary> trials) =>
        [.. trials.Select(t => (JsonNode)new JsonObject
        {
            ["trial"] = Numbering.Number(t.Spec.Index),
            ["configuration"] = Numbering.Number(t.Spec.Configuration),
            ["seed"] = Numbering.Number(t.Spec.Replicate),
            ["status"] = t.Status.ToString().ToLowerInvariant(),
            ["node"] = t.Node,
        })];
}
