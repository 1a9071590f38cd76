using Churn.Host.Configuration;
using Churn.Host.Search;
using Churn.Numerics;
using Churn.Numerics.Search;

namespace Churn.Host.Cli;

/// <summary>
/// The shipped <c>config/churn.json</c> and <c>config/search.json</c>, which give the command line its defaults. Read
/// once, before the command line is built: a broken file stops <c>churn</c> with the file, the field and the reason
/// (exit 1) instead of leaving the options without defaults.
/// </summary>
public sealed record ShippedDefaults(ChurnConfig Config, SearchDefinition Search)
{
    /// <summary>Reads both files from the <c>config</c> folder beside the executable.</summary>
    public static Result<ShippedDefaults> Load() => Load(ChurnConfig.DefaultPath, SearchPlanner.DefaultSpacePath);

    /// <summary>Reads the given files; a problem names the file and, where one is at fault, the field.</summary>
    public static Result<ShippedDefaults> Load(string configFile, string spaceFile) =>
        ChurnConfig.FromFile(configFile).Bind(config =>
            SpaceFile.Load(spaceFile, (string?)null).Map(search => new ShippedDefaults(config, search)));
}
