using System.Collections.Immutable;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Numerics.Search;

/// <summary>
/// How a search prepares the data one configuration trains on, when the search chooses it (<c>space.balance</c>,
/// <c>space.logFeatures</c>): every distinct choice is prepared once per search and shared by its trials.
/// Compared by value (the feature list by its names).
/// </summary>
public sealed record DataChoice(BalanceStrategy Balance, ImmutableArray<string> LogFeatures)
{
    /// <summary>The features standardized as ln(1 + x); never default.</summary>
    public ImmutableArray<string> LogFeatures { get; init; } = LogFeatures.IsDefault ? [] : LogFeatures;

    /// <summary>The choice as one string, e.g. <c>none|book_length_avg_min,price_avg</c>: its name in maps and on the wire.</summary>
    public string Key => $"{Balance.ToString().ToLowerInvariant()}|{string.Join(",", LogFeatures)}";

    /// <summary>For people: <c>balance none, log skewed</c>.</summary>
    public string Describe() => $"balance {Balance.ToString().ToLowerInvariant()}, log {LogFeaturesName()}";

    /// <summary>The log features as a space file names them: <c>none</c>, <c>skewed</c> or the names.</summary>
    public string LogFeaturesName() => LogFeatures.IsEmpty ? "none" : LogFeatures.SequenceEqual(FeatureTransform.Skewed) ? "skewed" : string.Join(",", LogFeatures);

    public bool Equals(DataChoice? other) => other is not null && Key == other.Key;

    public override int GetHashCode() => Key.GetHashCode(StringComparison.Ordinal);
}

/// <summary>
/// One training of one configuration with one seed. <see cref="Index"/> orders trials configuration by configuration
/// (<c>Configuration * seeds + Replicate</c>); the seed depends only on the search seed and that index, never on timing.
/// <see cref="Data"/> is the configuration's data preparation when the search chooses it; null means the search's own.
/// </summary>
public sealed record TrialSpec(int Index, int Configuration, int Replicate, long Seed, ModelConfig Config, DataChoice? Data = null);

/// <summary>What a search ranks trials on (leaderboard, rungs, winner).</summary>
public enum SearchCriterion
{
    /// <summary>The validation loss in the training mix: what searches stored before the calibrated loss ranked on.</summary>
    ValidationLoss,

    /// <summary>
    /// The validation split's log loss in the population's mix after calibration (<see cref="EpochMetrics.CalibratedLoss"/>),
    /// at the epoch early stopping keeps: the same yardstick for every balancing.
    /// </summary>
    CalibratedLoss,
}

/// <summary>How outputs name a criterion.</summary>
public static class SearchCriteria
{
    /// <summary>"calibrated loss" or "validation loss": the one wording the console, logs and charts use.</summary>
    public static string LossName(this SearchCriterion criterion) =>
        criterion == SearchCriterion.CalibratedLoss ? "calibrated loss" : "validation loss";
}

/// <summary>
/// Everything that fixes what a search computes: its trials, seeds per configuration, the scheduler's rungs (empty
/// without ASHA) and what trials are ranked on. Stored with the search, so a resumed search runs exactly these trials
/// and ranks them as it began (a plan stored without a criterion ranked on validation loss).
/// </summary>
public sealed record SearchPlan(
    ImmutableArray<TrialSpec> Trials, int Seeds, ImmutableArray<int> Rungs, int ReductionFactor, SearchCriterion Criterion = SearchCriterion.ValidationLoss)
{
    public int Configurations => Trials.IsEmpty ? 0 : Trials[^1].Configuration + 1;

    /// <summary>The distinct data choices the trials train on, in order of first use (empty: every trial uses the search's own).</summary>
    public ImmutableArray<DataChoice> DataChoices => [.. Trials.Where(t => t.Data is not null).Select(t => t.Data!).Distinct()];
}

/// <summary>Turns a search definition and a seed into the configurations and trials to run.</summary>
public static class Sampler
{
    private const ulong SampleStream = 0x5EA2_C400_0000_0001;
    private const ulong TrialStream = 0x5EA2_C400_0000_0002;
    private const ulong DataStream = 0x5EA2_C400_0000_0003;

    /// <summary>How often a random draw that repeats an earlier configuration is redrawn before the repeat is accepted.</summary>
    private const int RedrawLimit = 64;

    /// <summary>
    /// Random sampling: <see cref="SearchDefinition.Trials"/> configurations, the i-th drawn from a stream of its own,
    /// redrawn while it repeats an earlier one, so the first n configurations are the same whatever the count.
    /// Grid: every point (the first <see cref="SearchDefinition.Trials"/> if that is fewer), the last dimension varying fastest.
    /// </summary>
    public static ImmutableArray<ModelConfig> Configurations(SearchDefinition definition, ulong seed)
    {
        if (definition.Sampling == Sampling.Grid)
        {
            return [.. Grid(definition).Take(definition.Trials)];
        }
        var configurations = ImmutableArray.CreateBuilder<ModelConfig>(definition.Trials);
        var seen = new HashSet<ModelConfig>();
        for (var i = 0; i < definition.Trials; i++)
        {
            var config = Sample(definition, seed, i, 0);
            for (var attempt = 1; attempt < RedrawLimit && seen.Contains(config); attempt++)
            {
                config = Sample(definition, seed, i, attempt);
            }
            seen.Add(config);
            configurations.Add(config);
        }
        return configurations.MoveToImmutable();
    }

    /// <summary>
    /// The plan of a search: its configurations, each with <see cref="SearchDefinition.Seeds"/> trials. When the space
    /// chooses the balancing or the log features, each configuration's <see cref="TrialSpec.Data"/> holds its choice,
    /// the dimension it does not choose taken from <paramref name="fixedData"/> (the search's own preparation).
    /// </summary>
    public static SearchPlan Plan(SearchDefinition definition, ulong seed, DataChoice? fixedData = null)
    {
        var points = Points(definition, seed, fixedData ?? new DataChoice(definition.Balance ?? BalanceStrategy.Random, definition.LogFeatures ?? []));
        return new(Trials(points, definition.Seeds, seed), definition.Seeds, definition.ActiveRungs, definition.Asha.ReductionFactor, SearchCriterion.CalibratedLoss);
    }

    /// <summary>The configurations with their data choices (null unless the space chooses the data), in plan order.</summary>
    public static ImmutableArray<(ModelConfig Config, DataChoice? Data)> Points(SearchDefinition definition, ulong seed, DataChoice fixedData)
    {
        var s = definition.Space;
        if (s.Balance.IsDefaultOrEmpty && s.LogFeatures.IsDefaultOrEmpty)
        {
            return [.. Configurations(definition, seed).Select(c => (c, (DataChoice?)null))];
        }
        var choices = DataChoices(s, fixedData);
        if (definition.Sampling == Sampling.Grid)
        {
            // The data choice is the outermost dimension: a grid trains every network on each preparation in turn.
            return [.. choices.SelectMany(d => Grid(definition).Select(c => (c, (DataChoice?)d))).Take(definition.Trials)];
        }
        var points = ImmutableArray.CreateBuilder<(ModelConfig, DataChoice?)>(definition.Trials);
        var seen = new HashSet<(ModelConfig, DataChoice)>();
        for (var i = 0; i < definition.Trials; i++)
        {
            var point = (Sample(definition, seed, i, 0), Choose(choices, seed, i, 0));
            for (var attempt = 1; attempt < RedrawLimit && seen.Contains(point); attempt++)
            {
                point = (Sample(definition, seed, i, attempt), Choose(choices, seed, i, attempt));
            }
            seen.Add(point);
            points.Add(point);
        }
        return points.MoveToImmutable();
    }

    /// <summary>Every data choice the space allows, balancing outermost, in the space's order.</summary>
    public static ImmutableArray<DataChoice> DataChoices(SearchSpace space, DataChoice fixedData)
    {
        var balances = space.Balance.IsDefaultOrEmpty ? [fixedData.Balance] : space.Balance;
        var logs = space.LogFeatures.IsDefaultOrEmpty ? [fixedData.LogFeatures] : space.LogFeatures;
        return [.. balances.SelectMany(b => logs.Select(l => new DataChoice(b, l))).Distinct()];
    }

    /// <summary>The data choice of draw <paramref name="attempt"/> of configuration <paramref name="index"/>, from a stream of its own (so adding the data dimensions leaves the networks drawn as they were).</summary>
    private static DataChoice Choose(ImmutableArray<DataChoice> choices, ulong seed, int index, int attempt)
    {
        var random = new Xoshiro256(SeededRandom.Derive(SeededRandom.Derive(seed, DataStream), ((ulong)index << 16) | (uint)attempt));
        return choices[random.NextBelow(choices.Length)];
    }

    /// <summary>Every grid point in order: depth outermost, the network's kind, then its input transform innermost.</summary>
    public static IEnumerable<ModelConfig> Grid(SearchDefinition definition)
    {
        var s = definition.Space;
        return
            from depth in s.Depth.Points
            from width in s.Width.Points
            from activation in s.Activation
            from learningRate in s.LearningRate.Points
            from batchSize in s.BatchSize.Points
            from patience in s.Patience.Points
            from dropout in s.Dropout.Points
            from weightDecay in s.WeightDecay.Points
            from shuffle in s.ShuffleEachEpoch
            from kind in s.Kinds
            from transform in s.Transforms
            select definition.Configure(Whole(depth), Whole(width), activation, learningRate, Whole(batchSize), Whole(patience), dropout, weightDecay, shuffle, kind, transform);
    }

    /// <summary>Draw <paramref name="attempt"/> of configuration <paramref name="index"/>: each dimension in turn from one stream.</summary>
    public static ModelConfig Sample(SearchDefinition definition, ulong seed, int index, int attempt)
    {
        var random = new Xoshiro256(SeededRandom.Derive(SeededRandom.Derive(seed, SampleStream), ((ulong)index << 16) | (uint)attempt));
        var s = definition.Space;
        var depth = (int)Draw(s.Depth, ref random, whole: true);
        var width = (int)Draw(s.Width, ref random, whole: true);
        var activation = s.Activation[random.NextBelow(s.Activation.Length)];
        var learningRate = Draw(s.LearningRate, ref random, whole: false);
        var batchSize = (int)Draw(s.BatchSize, ref random, whole: true);
        var patience = (int)Draw(s.Patience, ref random, whole: true);
        var dropout = Draw(s.Dropout, ref random, whole: false);
        var weightDecay = Draw(s.WeightDecay, ref random, whole: false);
        var shuffle = s.ShuffleEachEpoch[random.NextBelow(s.ShuffleEachEpoch.Length)];
        // Drawn last, and only when there is a choice, so a space without networks to choose draws as it always did.
        var kind = s.Kinds.Length == 1 ? s.Kinds[0] : s.Kinds[random.NextBelow(s.Kinds.Length)];
        var transform = s.Transforms.Length == 1 ? s.Transforms[0] : s.Transforms[random.NextBelow(s.Transforms.Length)];
        return definition.Configure(depth, width, activation, learningRate, batchSize, patience, dropout, weightDecay, shuffle, kind, transform);
    }

    /// <summary>
    /// Every configuration <paramref name="seeds"/> times. Trial i's seed is derived from the search seed and i alone,
    /// so the same search gives the same trials however many run at once and in whatever order they finish.
    /// </summary>
    public static ImmutableArray<TrialSpec> Trials(ImmutableArray<ModelConfig> configurations, int seeds, ulong searchSeed) =>
        Trials([.. configurations.Select(c => (c, (DataChoice?)null))], seeds, searchSeed);

    /// <summary><see cref="Trials(ImmutableArray{ModelConfig}, int, ulong)"/> for configurations with their data choices.</summary>
    public static ImmutableArray<TrialSpec> Trials(ImmutableArray<(ModelConfig Config, DataChoice? Data)> points, int seeds, ulong searchSeed) =>
    [
        .. points.SelectMany((point, c) => Enumerable.Range(0, seeds).Select(r =>
        {
            var index = (c * seeds) + r;
            return new TrialSpec(index, c, r, TrialSeed(searchSeed, index), point.Config, point.Data);
        })),
    ];

    /// <summary>A non-negative seed for trial <paramref name="index"/> (torch takes signed 64-bit seeds).</summary>
    public static long TrialSeed(ulong searchSeed, int index) =>
        (long)(SeededRandom.Derive(SeededRandom.Derive(searchSeed, TrialStream), (ulong)index) >> 1);

    /// <summary>
    /// A value of one dimension. Continuous draws are rounded (whole numbers, or 3 significant digits) so configurations
    /// read well in reports and files, then kept inside the range.
    /// </summary>
    private static double Draw(Values values, ref Xoshiro256 random, bool whole)
    {
        var points = values.Points;
        if (!points.IsEmpty)
        {
            return points[random.NextBelow(points.Length)] is var p && whole ? Math.Round(p) : p;
        }
        var range = (Values.Range)values;
        var value = range.At(random.NextDouble());
        var rounded = whole ? Math.Round(value) : Values.Significant(value, 3);
        return Math.Clamp(rounded, whole ? Math.Ceiling(range.Min) : range.Min, whole ? Math.Floor(range.Max) : range.Max);
    }

    private static int Whole(double value) => (int)Math.Round(value);
}
