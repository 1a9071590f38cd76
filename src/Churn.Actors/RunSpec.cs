using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Model;

namespace Churn.Actors;

/// <summary>
/// What a run is asked for, however it was asked (<c>config/churn.json</c>, command-line flags, a <c>POST /runs</c>
/// body): its data, output, seed, data preparation, network, campaign and read limits. Each field is one row of the
/// run specification's field table (<c>Churn.Host.Configuration.RunFields</c>), which reads, checks, writes and
/// describes it. A search embeds one, so everything a run is configured with reaches the search's trials and winner.
/// <c>LogFeatureNames</c> null is <c>auto</c>, which the balancing resolves (<see cref="LogFeaturesFor"/>).
/// </summary>
public sealed record RunSpec(
    string Data,
    string Out,
    string Prefix,
    ulong Seed,
    BalanceStrategy Balance,
    SplitRatios Split,
    bool Stratify,
    DeviceChoice Device,
    ModelConfig Model,
    ImmutableArray<string>? LogFeatureNames = null,
    CampaignEconomics? Campaign = null,
    DataLimits? Limits = null,
    bool SkipExplain = false)
{
    /// <summary>The built-in defaults, which the shipped <c>config/churn.json</c> repeats: the natural mix and the plain network, with PLR's settings ready for <c>--network plr</c>.</summary>
    public static readonly RunSpec Default = new(
        "data/Audiobooks_data.csv", "out", "Audiobooks_data", 0, BalanceStrategy.None, SplitRatios.Default, false, DeviceChoice.Auto, ModelConfig.Plr with { Kind = ModelKind.Plain });

    /// <summary>The campaign the evaluation plays on the population (the original study's 2 per contact, 10 per buyer unless configured).</summary>
    public CampaignEconomics Campaign { get; init; } = Campaign ?? CampaignEconomics.Default;

    /// <summary>How many rows and bytes the run may read from its files.</summary>
    public DataLimits Limits { get; init; } = Limits ?? DataLimits.Default;

    /// <summary>Whether <c>logFeatures</c> is <c>auto</c>: a search that chooses another balancing resolves it anew.</summary>
    [JsonIgnore]
    public bool LogFeaturesAuto => LogFeatureNames is null;

    /// <summary>Features standardized as ln(1 + x) under this specification's balancing.</summary>
    [JsonIgnore]
    public ImmutableArray<string> LogFeatures => LogFeaturesFor(Balance);

    /// <summary>The features a preparation balanced by <paramref name="balance"/> logs under this specification.</summary>
    public ImmutableArray<string> LogFeaturesFor(BalanceStrategy balance) => LogFeatureNames ?? FeatureTransform.Auto(balance);

    [JsonIgnore]
    public PrepareOptions PrepareOptions => new(Balance, Seed, Split, Stratify, LogFeatures);
}
