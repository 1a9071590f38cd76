using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Churn.Actors;
using Churn.Numerics;

namespace Churn.Host.Configuration;

/// <summary>
/// The host's HTTP and run-store settings, and what it lets a request touch: files under <see cref="DataRoots"/> to
/// read (null: the working directory's <c>data/</c> and the bundled data), <see cref="OutputRoot"/> to write (null:
/// the configured <c>out</c>), browsers of the <see cref="AllowedOrigins"/> and the names in <see cref="AllowedHosts"/>
/// besides the host's own. Binding beyond loopback needs a token unless <see cref="TrustedNetwork"/> says otherwise.
/// </summary>
public sealed record HostSettings(
    string Bind = "127.0.0.1",
    int Port = 5080,
    string Store = "runs/churn.db",
    int MaxConcurrentRuns = 1,
    string? ApiToken = null,
    long MaxRequestBytes = 65536,
    long MaxScoreBytes = 16_777_216,
    string[]? DataRoots = null,
    string? OutputRoot = null,
    string[]? AllowedOrigins = null,
    string[]? AllowedHosts = null,
    bool TrustedNetwork = false,
    HostLimits? Limits = null,
    int? ClusterPort = null,
    string ClusterBind = "127.0.0.1",
    string? ClusterCertificate = null,
    int? TrialSlots = null)
{
    /// <summary>The shortest API token the host accepts: a guessable token is no token.</summary>
    public const int MinTokenLength = 16;

    public HostLimits Limits { get; init; } = Limits ?? new HostLimits();

    /// <summary>The host's own trial slots on a cluster: <see cref="TrialSlots"/>, or the processor count when unset; 0 leaves training to the workers.</summary>
    public int OwnTrialSlots => TrialSlots ?? Environment.ProcessorCount;
}

/// <summary>
/// What one request may ask of the host. Each is checked before any work starts and refused with a 4xx naming the
/// limit (<c>host.limits.&lt;name&gt;</c>).
/// </summary>
public sealed record HostLimits(
    int MaxQueuedRuns = 100,
    int MaxTrialsPerSearch = 1000,
    int MaxConcurrentSearches = 2,
    int MaxWidth = 1024,
    int MaxDepth = 8,
    long MaxParameters = 2_000_000,
    int MaxEpochs = 1000,
    int MaxPatience = 1000,
    int MaxEventStreams = 32,
    int MaxScoreRows = 1000);

/// <summary>
/// The defaults every command starts from: <c>config/churn.json</c> shipped beside the executable, with a user's
/// <c>--config</c> file laid over it (fields it omits keep their defaults), then command-line flags over both. Its run
/// fields are a <see cref="RunSpec"/>, read by the field table <see cref="RunFields"/>; the rest configures the host
/// and the logs.
/// </summary>
public sealed partial record ChurnConfig(RunSpec Run, HostSettings Host, string Logs, int LogRetentionDays = 14)
{
    public const string DefaultFile = "churn.json";

    /// <summary>The configuration's fields besides the run's: what the JSON serializer reads, strictly.</summary>
    private sealed record Dto(HostSettings? Host, string? Logs, int? LogRetentionDays = null);

    /// <summary>
    /// The serializer's description of <see cref="Dto"/>, generated at build time: every command reads the shipped
    /// configuration before anything else, and working the description out by reflection was its slowest step.
    /// The options below still decide how it reads (names, strictness), so the JSON style stays <see cref="JsonFormat"/>'s.
    /// </summary>
    [JsonSerializable(typeof(Dto))]
    private sealed partial class DtoMetadata : JsonSerializerContext;

    private static readonly JsonSerializerOptions ReadOptions = JsonInput.Options(new JsonSerializerOptions(JsonFormat.Options)
    {
        PropertyNameCaseInsensitive = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        TypeInfoResolver = DtoMetadata.Default,
    });

    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "config", DefaultFile);

    /// <summary>Reads the shipped defaults, then <paramref name="userFile"/> over them when given.</summary>
    public static Result<ChurnConfig> Load(string? userFile) =>
        LoadNode(userFile).Bind(node => FromNode(node, userFile ?? DefaultPath));

    /// <summary>The configuration one file holds, not laid over the shipped defaults.</summary>
    public static Result<ChurnConfig> FromFile(string path) => ReadNode(path).Bind(node => FromNode(node, path));

    /// <summary>The shipped defaults with <paramref name="userFile"/> laid over them, as JSON: what a run request is laid over.</summary>
    public static Result<JsonNode> LoadNode(string? userFile) =>
        ReadNode(DefaultPath).Bind(defaults =>
            userFile is null
                ? Result.Ok(defaults)
                : ReadNode(userFile).Map(user => Merge(defaults, user)));

    /// <summary>Run settings for this configuration; relative paths are resolved by the caller's working directory.</summary>
    public RunSettings ToRunSettings(RunMode mode, string? npzDir = null) =>
        new(mode, Run with { Data = ResolveData(Run.Data), LogFeatureNames = Run.LogFeatures }, npzDir);

    /// <summary>
    /// The bundled data file is found from any working directory: a relative path that does not exist here is looked
    /// up beside the executable, where the build puts a copy.
    /// </summary>
    public static string ResolveData(string path)
    {
        if (Path.IsPathRooted(path) || File.Exists(path))
        {
            return path;
        }

        var bundled = Path.Combine(AppContext.BaseDirectory, path);
        return File.Exists(bundled) ? bundled : path;
    }

    private static Result<JsonNode> ReadNode(string path) => ReadFile(path).Map(o => (JsonNode)o);

    /// <summary>A configuration file's own JSON object (not laid over anything); a problem names the file.</summary>
    public static Result<JsonObject> ReadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Problem.CannotRead(path, ex, "configuration file");
        }
        return JsonInput.ParseObject(text, path, lenient: true, "one JSON object (a configuration)");
    }

    /// <summary>Objects merge field by field; anything else in <paramref name="over"/> replaces what is under it.</summary>
    public static JsonNode Merge(JsonNode under, JsonNode over)
    {
        if (under is not JsonObject u || over is not JsonObject o)
        {
            return over.DeepClone();
        }

        var merged = (JsonObject)u.DeepClone();
        foreach (var (key, value) in o)
        {
            var existing = merged.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase));
            if (existing.Key is not null && existing.Value is not null && value is not null)
            {
                merged[existing.Key] = Merge(existing.Value, value);
            }
            else
            {
                if (existing.Key is not null)
                {
                    merged.Remove(existing.Key);
                }

                merged[key] = value?.DeepClone();
            }
        }

        return merged;
    }

    /// <summary>
    /// The configuration a JSON object describes. A problem names the field as it is written in the file
    /// (<c>seed</c>, <c>model.batchSize</c>) in <see cref="Problem.Column"/>.
    /// </summary>
    public static Result<ChurnConfig> FromNode(JsonNode node, string file)
    {
        if (node is not JsonObject fields)
        {
            return Result.Fail<ChurnConfig>("expected one JSON object (a configuration)", file);
        }

        // The run's fields are the table's; the rest (host, logs) is read by the serializer, which refuses unknown names.
        var rest = new JsonObject();
        foreach (var (key, value) in fields)
        {
            if (!RunFields.TopFields.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                rest[key] = value?.DeepClone();
            }
        }

        Dto? dto;
        try
        {
            dto = rest.Deserialize<Dto>(ReadOptions);
        }
        catch (JsonException ex)
        {
            return JsonInput.Explain(ex, typeof(Dto)) with { File = file };
        }

        if (dto is null)
        {
            return Result.Fail<ChurnConfig>("empty configuration", file);
        }
        if (dto.LogRetentionDays is < 1)
        {
            return Result.Fail<ChurnConfig>("must be a whole number of days from 1", file, null, "logRetentionDays");
        }

        return RunFields.Read(fields, RunSpec.Default).Match(
            run => Result.Ok(new ChurnConfig(run, dto.Host ?? new HostSettings(), dto.Logs ?? "logs", dto.LogRetentionDays ?? 14)),
            problem => Result.Fail<ChurnConfig>(problem with { File = file }));
    }
}
