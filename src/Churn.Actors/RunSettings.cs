using System.Collections.Immutable;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Model;

namespace Churn.Actors;

/// <summary>What a pipeline run does.</summary>
public enum RunMode
{
    /// <summary>Load, balance, scale, split and write the <c>.npz</c> files.</summary>
    Prepare,

    /// <summary>Prepare, then train, evaluate and save the model: the main job.</summary>
    Full,

    /// <summary>Train, evaluate and save from three existing <c>.npz</c> files.</summary>
    TrainFromNpz,
}

/// <summary>Everything one pipeline run needs; immutable, so it can travel in messages and be stored as is.</summary>
public sealed record RunSettings(
    RunMode Mode,
    string DataPath,
    string OutDir,
    string Prefix,
    ulong Seed,
    BalanceStrategy Balance,
    SplitRatios Ratios,
    bool Stratify,
    ModelConfig Model,
    DeviceChoice Device,
    string? NpzDir = null,
    int Threads = 0,
    ImmutableArray<string> LogFeatures = default,
    CampaignEconomics? Campaign = null,
    DataLimits? Limits = null)
{
    /// <summary>The campaign the evaluation plays on the population (the original study's 2 per contact, 10 per buyer unless configured).</summary>
    public CampaignEconomics Campaign { get; init; } = Campaign ?? CampaignEconomics.Default;

    /// <summary>How many rows and bytes the run may read from its files.</summary>
    public DataLimits Limits { get; init; } = Limits ?? DataLimits.Default;

    /// <summary>Features standardized as ln(1 + x); none unless asked (the original recipe).</summary>
    public ImmutableArray<string> LogFeatures { get; init; } = LogFeatures.IsDefault ? [] : LogFeatures;

    public PrepareOptions PrepareOptions => new(Balance, Seed, Ratios, Stratify, LogFeatures);
}
