using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Churn.Numerics.Model;

namespace Churn.Numerics.Search;

/// <summary>How far a configuration got.</summary>
public enum ConfigurationOutcome
{
    /// <summary>Every seed trained to the end: the only configurations that can win.</summary>
    Complete,

    /// <summary>Stopped at a rung by the scheduler.</summary>
    Pruned,

    /// <summary>Some seeds have not finished (the search was cancelled or is still going).</summary>
    Incomplete,

    /// <summary>A seed failed (e.g. the loss diverged); the reason is kept.</summary>
    Failed,
}

/// <summary>
/// One configuration's line: the calibrated validation loss in the population's mix over its seeds (mean and sample
/// standard deviation, each seed at the epoch training keeps), validation loss in the training mix (mean, standard
/// deviation, min and max of each seed's best epoch), mean validation accuracy at those epochs and mean epochs trained.
/// <see cref="Score"/> is the mean of what the search ranks on (<see cref="TrialRecord.Score"/>). <see cref="Data"/> is
/// the configuration's data preparation when the search chose it (null: the search's own). <see cref="Rank"/> counts from 1
/// (1 = best); <see cref="Configuration"/> is a position from 0, a number from 1 in JSON and everywhere else it is shown
/// (<see cref="Numbering"/>).
/// </summary>
public sealed record LeaderboardRow(
    int Rank,
    [property: JsonConverter(typeof(Numbering.FromOne))] int Configuration,
    ModelConfig Config,
    ConfigurationOutcome Outcome,
    int SeedsDone,
    int Seeds,
    double MeanValidationLoss,
    double StdValidationLoss,
    double MinValidationLoss,
    double MaxValidationLoss,
    double MeanValidationAccuracy,
    double MeanEpochs,
    string? Reason,
    double MeanCalibratedLoss = double.NaN,
    double StdCalibratedLoss = double.NaN,
    double Score = double.NaN,
    double ScoreSpread = double.NaN,
    DataChoice? Data = null);

/// <summary>Ranks configurations on validation figures only (the search's criterion); the test split plays no part here.</summary>
public static class Leaderboard
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>
    /// Complete configurations first, by the mean of <paramref name="criterion"/> over their seeds, then its spread, then
    /// configuration number (so ties always break the same way); then pruned ones (the further they got, the higher),
    /// incomplete ones and failed ones.
    /// </summary>
    public static ImmutableArray<LeaderboardRow> Rank(ImmutableArray<TrialRecord> trials, int seeds, SearchCriterion criterion) =>
        Rank(trials.Select(TrialSummary.Of).ToImmutableArray(), seeds, criterion);

    /// <inheritdoc cref="Rank(ImmutableArray{TrialRecord}, int, SearchCriterion)"/>
    public static ImmutableArray<LeaderboardRow> Rank(ImmutableArray<TrialSummary> trials, int seeds, SearchCriterion criterion)
    {
        var rows = trials.GroupBy(t => t.Spec.Configuration).Select(g => Row(g.Key, [.. g], seeds, criterion)).ToList();
        return
        [
            .. rows
                .OrderBy(r => r.Outcome)
                .ThenByDescending(r => r.Outcome == ConfigurationOutcome.Pruned ? r.MeanEpochs : r.SeedsDone)
                .ThenBy(r => double.IsNaN(r.Score) ? double.PositiveInfinity : r.Score)
                .ThenBy(r => double.IsNaN(r.ScoreSpread) ? double.PositiveInfinity : r.ScoreSpread)
                .ThenBy(r => r.Configuration)
                .Select((r, i) => r with { Rank = Numbering.Number(i) }),
        ];
    }

    /// <summary>The winner: the best complete configuration, if any configuration is complete.</summary>
    public static LeaderboardRow? Best(ImmutableArray<LeaderboardRow> rows) =>
        rows.FirstOrDefault(r => r.Outcome == ConfigurationOutcome.Complete);

    private static LeaderboardRow Row(int configuration, List<TrialSummary> trials, int seeds, SearchCriterion criterion)
    {
        var config = trials[0].Spec.Config;
        if (trials.FirstOrDefault(t => t.Status == TrialStatus.Failed) is { } failed)
        {
            // What its other seeds did depends on when the failure stopped them; only the reason is reproducible.
            return new LeaderboardRow(0, configuration, config, ConfigurationOutcome.Failed, 0, seeds,
                double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, $"seed {Numbering.Number(failed.Spec.Replicate)}: {failed.Reason}", Data: trials[0].Spec.Data);
        }
        var outcome = trials.All(t => t.Status == TrialStatus.Completed) ? ConfigurationOutcome.Complete
            : trials.Any(t => t.Status == TrialStatus.Pruned) ? ConfigurationOutcome.Pruned
            : ConfigurationOutcome.Incomplete;
        var counted = outcome == ConfigurationOutcome.Incomplete
            ? trials.Where(t => t.Status == TrialStatus.Completed).ToList()
            : trials;
        var losses = counted.Select(t => t.BestValidationLoss).ToList();
        var calibrated = counted.Select(t => t.CalibratedLoss).ToList();
        var scores = counted.Select(t => t.Score(criterion)).ToList();
        var reason = outcome == ConfigurationOutcome.Pruned ? trials.First(t => t.Status == TrialStatus.Pruned).Reason : null;
        return new LeaderboardRow(
            0, configuration, config, outcome, counted.Count(t => t.Status is TrialStatus.Completed or TrialStatus.Pruned), seeds,
            Mean(losses), Std(losses), losses.DefaultIfEmpty(double.NaN).Min(), losses.DefaultIfEmpty(double.NaN).Max(),
            Mean(counted.Select(t => t.BestValidationAccuracy)), Mean(counted.Select(t => (double)t.Epochs)), reason,
            Mean(calibrated), Std(calibrated), Mean(scores), Std(scores), trials[0].Spec.Data);
    }

    private static double Mean(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? double.NaN : list.Average();
    }

    /// <summary>Sample standard deviation (n − 1); 0 for a single seed.</summary>
    private static double Std(List<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        if (values.Count == 1)
        {
            return 0;
        }
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    public const string CsvHeader =
        "rank,configuration,outcome,balance,log_features,depth,width,activation,learning_rate,batch_size,patience,dropout,weight_decay,shuffle,"
        + "seeds_done,seeds,mean_calibrated_loss,std_calibrated_loss,mean_val_loss,std_val_loss,min_val_loss,max_val_loss,mean_val_accuracy,mean_epochs,reason";

    /// <summary><c>leaderboard.csv</c>: one line per configuration, in rank order; numbers in invariant culture.</summary>
    public static string ToCsv(ImmutableArray<LeaderboardRow> rows)
    {
        var csv = new StringBuilder(CsvHeader).Append('\n');
        foreach (var r in rows)
        {
            var c = r.Config;
            var balance = r.Data?.Balance.ToString().ToLowerInvariant() ?? "";
            var logs = r.Data is null ? "" : Quote(r.Data.LogFeatures.IsEmpty ? "none" : string.Join(",", r.Data.LogFeatures));
            csv.Append(Invariant, $"{r.Rank},{Numbering.Number(r.Configuration)},{r.Outcome.ToString().ToLowerInvariant()},{balance},{logs},{c.Depth},{c.Width},")
                .Append(Invariant, $"{c.Activation.ToString().ToLowerInvariant()},{Number(c.LearningRate)},{c.BatchSize},{c.Patience},{Number(c.Dropout)},{Number(c.WeightDecay)},{(c.ShuffleEachEpoch ? "true" : "false")},")
                .Append(Invariant, $"{r.SeedsDone},{r.Seeds},{Number(r.MeanCalibratedLoss)},{Number(r.StdCalibratedLoss)},{Number(r.MeanValidationLoss)},{Number(r.StdValidationLoss)},{Number(r.MinValidationLoss)},{Number(r.MaxValidationLoss)},")
                .Append(Invariant, $"{Number(r.MeanValidationAccuracy)},{Number(r.MeanEpochs)},{Quote(r.Reason)}\n");
        }
        return csv.ToString();
    }

    /// <summary>What a row is ranked on, in words: its mean calibrated loss, or its validation loss when that is unknown.</summary>
    public static string ScoreText(LeaderboardRow r) =>
        double.IsFinite(r.MeanCalibratedLoss)
            ? string.Create(Invariant, $"mean calibrated loss {r.MeanCalibratedLoss:F4} (validation loss {r.MeanValidationLoss:F4})")
            : string.Create(Invariant, $"mean validation loss {r.MeanValidationLoss:F4}");

    /// <summary>A row's configuration in one short line, with its data choice when the search chose it.</summary>
    public static string Describe(LeaderboardRow r) => r.Data is null ? Describe(r.Config) : $"{Describe(r.Config)}, {r.Data.Describe()}";

    /// <summary>A trial's configuration in one short line, with its data choice when the search chose it.</summary>
    public static string Describe(TrialSpec t) => t.Data is null ? Describe(t.Config) : $"{Describe(t.Config)}, {t.Data.Describe()}";

    /// <summary>A configuration in one short line, e.g. <c>3x50 relu lr 0.001 batch 100 patience 2 dropout 0 wd 0 shuffled</c>.</summary>
    public static string Describe(ModelConfig c) =>
        string.Create(Invariant, $"{(c.Kind == ModelKind.Plr ? $"PLR {c.Members}x " : "")}{c.Depth}x{c.Width} {c.Activation.ToString().ToLowerInvariant()} lr {Number(c.LearningRate)} batch {c.BatchSize} patience {c.Patience} dropout {Number(c.Dropout)} wd {Number(c.WeightDecay)}{(c.ShuffleEachEpoch ? " shuffled" : "")}{(c.Transform == InputTransform.Quantile ? " quantile inputs" : "")}");

    /// <summary>Up to 6 decimals; very small values (weight decay 1e-7) in exponent form instead of a misleading 0.</summary>
    public static string Number(double value)
    {
        if (double.IsNaN(value))
        {
            return "";
        }
        var text = value.ToString("0.######", Invariant);
        return text == "0" && value != 0 ? value.ToString("G4", Invariant) : text;
    }

    private static string Quote(string? text) =>
        text is null ? "" : $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
