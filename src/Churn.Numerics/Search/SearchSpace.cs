using System.Collections.Immutable;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Numerics.Search;

/// <summary>How configurations are drawn from a <see cref="SearchSpace"/>.</summary>
public enum Sampling
{
    /// <summary>Each configuration drawn independently from its own seeded stream.</summary>
    Random,

    /// <summary>Every combination of the listed values, in a fixed order.</summary>
    Grid,
}

/// <summary>Whether a range is sampled uniformly in its values or in their logarithms.</summary>
public enum RangeScale
{
    Linear,
    Log,
}

/// <summary>The values one numeric hyperparameter may take.</summary>
public abstract record Values
{
    private Values() { }

    /// <summary>One of these values (a grid enumerates them in this order).</summary>
    public sealed record Choice(ImmutableArray<double> Options) : Values;

    /// <summary>
    /// A value between <paramref name="Min"/> and <paramref name="Max"/>. With <paramref name="Steps"/> &gt; 1 the range
    /// stands for that many evenly spaced points (in log space for <see cref="RangeScale.Log"/>), so a grid can use it;
    /// with <paramref name="Steps"/> 0 it is continuous and only random sampling can use it.
    /// </summary>
    public sealed record Range(double Min, double Max, RangeScale Scale, int Steps) : Values
    {
        /// <summary>The value a fraction <paramref name="u"/> in [0, 1] of the way from min to max, on the range's scale.</summary>
        public double At(double u) => Scale == RangeScale.Log
            ? Math.Clamp(Math.Exp(Math.Log(Min) + (u * (Math.Log(Max) - Math.Log(Min)))), Min, Max)
            : Math.Clamp(Min + (u * (Max - Min)), Min, Max);
    }

    /// <summary>The discrete points a grid walks through; empty for a continuous range.</summary>
    public ImmutableArray<double> Points => this switch
    {
        Choice c => c.Options,
        Range { Steps: > 1 } r => [.. Enumerable.Range(0, r.Steps).Select(i => Math.Clamp(Significant(r.At((double)i / (r.Steps - 1)), 3), r.Min, r.Max))],
        Range { Steps: 1 } r => [r.Min],
        _ => [],
    };

    /// <summary><paramref name="value"/> rounded to <paramref name="digits"/> significant digits, so drawn values read well.</summary>
    public static double Significant(double value, int digits)
    {
        if (value == 0 || !double.IsFinite(value))
        {
            return value;
        }
        var scale = Math.Pow(10, digits - 1 - (int)Math.Floor(Math.Log10(Math.Abs(value))));
        return Math.Round(value * scale) / scale;
    }
}

/// <summary>
/// The hyperparameters a search varies. Everything else about a configuration (max epochs, min-delta) is fixed for the
/// whole search by <see cref="SearchDefinition"/>. <see cref="Balance"/> and <see cref="LogFeatures"/>, when not
/// empty, are data preparations to choose from (each distinct one is prepared once per search).
/// </summary>
public sealed record SearchSpace(
    Values Depth,
    Values Width,
    ImmutableArray<Activation> Activation,
    Values LearningRate,
    Values BatchSize,
    Values Patience,
    Values Dropout,
    Values WeightDecay,
    ImmutableArray<bool> ShuffleEachEpoch,
    ImmutableArray<BalanceStrategy> Balance = default,
    ImmutableArray<ImmutableArray<string>> LogFeatures = default,
    ImmutableArray<ModelKind> Kind = default,
    ImmutableArray<InputTransform> Transform = default)
{
    /// <summary>The dimensions in the order a grid nests them (the last one varies fastest) and samples draw them.</summary>
    public static readonly ImmutableArray<string> DimensionNames =
        ["depth", "width", "activation", "learningRate", "batchSize", "patience", "dropout", "weightDecay", "shuffleEachEpoch", "balance", "logFeatures", "kind", "transform"];

    /// <summary>The networks to choose from: <see cref="Kind"/>, or the plain network alone when the space names none.</summary>
    public ImmutableArray<ModelKind> Kinds => Kind.IsDefaultOrEmpty ? [ModelKind.Plain] : Kind;

    /// <summary>The input transforms to choose from: <see cref="Transform"/>, or the standardized inputs alone when the space names none.</summary>
    public ImmutableArray<InputTransform> Transforms => Transform.IsDefaultOrEmpty ? [InputTransform.Standard] : Transform;

    /// <summary>The number of grid points, or null when a dimension is a continuous range.</summary>
    public long? GridSize()
    {
        long size = (long)Activation.Length * ShuffleEachEpoch.Length * Math.Max(1, Balance.IsDefault ? 0 : Balance.Length)
            * Math.Max(1, LogFeatures.IsDefault ? 0 : LogFeatures.Length) * Kinds.Length * Transforms.Length;
        foreach (var (_, values) in Numeric())
        {
            var points = values.Points.Length;
            if (points == 0)
            {
                return null;
            }
            size = checked(size * points);
        }
        return size;
    }

    /// <summary>The numeric dimensions with their names as in the space file.</summary>
    public IEnumerable<(string Name, Values Values)> Numeric() =>
    [
        ("depth", Depth), ("width", Width), ("learningRate", LearningRate), ("batchSize", BatchSize),
        ("patience", Patience), ("dropout", Dropout), ("weightDecay", WeightDecay),
    ];
}

/// <summary>The ASHA scheduler's settings: the epochs at which configurations are compared and the reduction factor η.</summary>
public sealed record AshaOptions(ImmutableArray<int> Rungs, int ReductionFactor)
{
    public static readonly AshaOptions Default = new([4, 12, 36], 3);
}

/// <summary>Whether a search stops poor configurations early.</summary>
public enum SchedulerKind
{
    /// <summary>Every trial trains until early stopping or max epochs.</summary>
    None,

    /// <summary>Asynchronous successive halving: compared at each rung, the bottom configurations stop.</summary>
    Asha,
}

/// <summary>
/// A whole search as read from a space file: the space, how many configurations, how many seeds each, and the fixed
/// training settings. <see cref="Trials"/> counts configurations; each is trained <see cref="Seeds"/> times.
/// <see cref="Balance"/> and <see cref="LogFeatures"/>, when set, are how the search prepares the data instead of the run
/// configuration's settings.
/// </summary>
public sealed record SearchDefinition(
    SearchSpace Space,
    Sampling Sampling,
    int Trials,
    int Seeds,
    int MaxEpochs,
    double MinDelta,
    SchedulerKind Scheduler,
    AshaOptions Asha,
    BalanceStrategy? Balance = null,
    ImmutableArray<string>? LogFeatures = null)
{
    /// <summary>
    /// The configuration a sampled point becomes: the point's values with the search's fixed settings; a PLR point takes
    /// the shipped PLR settings (<see cref="ModelConfig.Plr"/>) for what the space does not vary, and ignores patience
    /// and learning rate as PLR does.
    /// </summary>
    public ModelConfig Configure(
        int depth, int width, Activation activation, double learningRate, int batchSize, int patience, double dropout, double weightDecay, bool shuffle,
        ModelKind kind = ModelKind.Plain, InputTransform transform = InputTransform.Standard)
    {
        var config = new ModelConfig(depth, width, activation, learningRate, batchSize, MaxEpochs, patience, MinDelta, dropout, weightDecay, shuffle) { Transform = transform };
        var plr = ModelConfig.Plr;
        return kind != ModelKind.Plr ? config : config with
        {
            Kind = ModelKind.Plr,
            Frequencies = plr.Frequencies,
            FrequencyScale = plr.FrequencyScale,
            EmbeddingSize = plr.EmbeddingSize,
            Members = plr.Members,
            CycleEpochs = plr.CycleEpochs,
            PeakLearningRate = plr.PeakLearningRate,
            DistilEpochs = plr.DistilEpochs,
        };
    }

    /// <summary>The rungs that fall before the last epoch: a rung at or after max epochs would compare finished trials only.</summary>
    public ImmutableArray<int> ActiveRungs =>
        Scheduler == SchedulerKind.Asha ? [.. Asha.Rungs.Where(r => r < MaxEpochs)] : [];
}
