using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Host.Configuration;
using Churn.Numerics.Search;

namespace Churn.Host.Search;

/// <summary>What a caller may set besides the space: the search seed, trials at once, data file, output folder and threads per trial.</summary>
public sealed record SearchOverrides(ulong? Seed = null, int? Parallel = null, string? Data = null, string? Out = null, int? Threads = null);

/// <summary>Turns a search definition and the run configuration into the request a search coordinator runs; the CLI and the HTTP API share it.</summary>
public static class SearchPlanner
{
    /// <summary>The shipped default search definition, beside the executable.</summary>
    public static string DefaultSpacePath => Path.Combine(AppContext.BaseDirectory, "config", SpaceFile.DefaultFile);

    public static string NewSearchId() => $"search-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>
    /// The search seed decides the sampled configurations, every trial's seed and the data preparation (the same
    /// balancing and split as <c>churn run --seed</c>). Paths are made absolute here, so the stored request still
    /// means the same files when the search is resumed from elsewhere. Without an output folder the search writes to
    /// <paramref name="defaultOut"/> of its id.
    /// </summary>
    public static SearchRequest Plan(ChurnConfig config, SearchDefinition definition, SearchOverrides overrides, Func<string, string> defaultOut)
    {
        var id = NewSearchId();
        var run = config.Run;
        var seed = overrides.Seed ?? run.Seed;
        var balance = definition.Balance ?? run.Balance;
        var logFeatures = definition.LogFeatures ?? run.LogFeaturesFor(balance);
        var spec = run with
        {
            Data = Path.GetFullPath(ChurnConfig.ResolveData(overrides.Data ?? run.Data)),
            Out = Path.GetFullPath(overrides.Out ?? defaultOut(id)),
            Seed = seed,
            Balance = balance,
            LogFeatureNames = logFeatures,
        };
        return new SearchRequest(
            id,
            spec,
            overrides.Parallel ?? Environment.ProcessorCount,
            definition.Scheduler,
            AutoLogFeatures(Sampler.Plan(definition, seed, new DataChoice(balance, logFeatures)), run, definition),
            overrides.Threads ?? 0);
    }

    /// <summary>
    /// With <c>logFeatures: auto</c> and a space that chooses the balancing but not the log features, each chosen
    /// balancing logs the features <c>auto</c> means for it, as <c>churn run --balance</c> with it would.
    /// </summary>
    private static SearchPlan AutoLogFeatures(SearchPlan plan, RunSpec config, SearchDefinition definition) =>
        !config.LogFeaturesAuto || definition.LogFeatures is not null || !definition.Space.LogFeatures.IsDefaultOrEmpty
            ? plan
            : plan with { Trials = [.. plan.Trials.Select(t => t.Data is null ? t : t with { Data = t.Data with { LogFeatures = config.LogFeaturesFor(t.Data.Balance) } })] };
}
