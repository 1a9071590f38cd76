using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Churn.Actors;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Host.Configuration;

/// <summary>The host's HTTP and run-store settings.</summary>
public sealed record HostSettings(
    string Bind = "127.0.0.1",
    int Port = 5080,
    string Store = "runs/churn.db",
    int MaxConcurrentRuns = 1,
    string? ApiToken = null,
    long MaxRequestBytes = 65536);

/// <summary>
/// The defaults every command starts from: <c>config/churn.json</c> shipped beside the executable, with a user's
/// <c>--config</c> file laid over it (fields it omits keep their defaults), then command-line flags over both.
/// </summary>
public sealed record ChurnConfig(
    string Data,
    string Out,
    string Prefix,
    ulong Seed,
    BalanceStrategy Balance,
    SplitRatios Split,
    bool Stratify,
    DeviceChoice Device,
    ModelConfig Model,
    HostSettings Host,
    string Logs)
{
    public const string DefaultFile = "churn.json";

    private sealed record Dto(
        string Data,
        string Out,
        string Prefix,
        ulong Seed,
        BalanceStrategy Balance,
        string Split,
        bool Stratify,
        DeviceChoice Device,
        ModelConfig Model,
        HostSettings? Host,
        string? Logs);

    private static readonly JsonSerializerOptions ReadOptions = new(JsonFormat.Options)
    {
        PropertyNameCaseInsensitive = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "config", DefaultFile);

    /// <summary>Reads the shipped defaults, then <paramref name="userFile"/> over them when given.</summary>
    public static Result<ChurnConfig> Load(string? userFile)
    {
        return ReadNode(DefaultPath).Bind(defaults =>
            userFile is null
                ? FromNode(defaults, DefaultPath)
                : ReadNode(userFile).Bind(user => FromNode(Merge(defaults, user), userFile)));
    }

    /// <summary>Run settings for this configuration; relative paths are resolved by the caller's working directory.</summary>
    public RunSettings ToRunSettings(RunMode mode, string? npzDir = null) =>
        new(mode, ResolveData(Data), Out, Prefix, Seed, Balance, Split, Stratify, Model, Device, npzDir);

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

    private static Result<JsonNode> ReadNode(string path)
    {
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return node is JsonObject ? Result.Ok(node) : Result.Fail<JsonNode>("a configuration file must hold one JSON object", path);
        }
        catch (FileNotFoundException)
        {
            return Result.Fail<JsonNode>("configuration file not found", path);
        }
        catch (DirectoryNotFoundException)
        {
            return Result.Fail<JsonNode>("configuration file not found", path);
        }
        catch (JsonException ex)
        {
            return Result.Fail<JsonNode>($"not valid JSON: {ex.Message}", path, ex.LineNumber + 1);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Result.Fail<JsonNode>($"cannot read: {ex.Message}", path);
        }
    }

    /// <summary>Objects merge field by field; anything else in <paramref name="over"/> replaces what is under it.</summary>
    private static JsonNode Merge(JsonNode under, JsonNode over)
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

    private static Result<ChurnConfig> FromNode(JsonNode node, string file)
    {
        Dto? dto;
        try
        {
            dto = node.Deserialize<Dto>(ReadOptions);
        }
        catch (JsonException ex)
        {
            var field = ex.Path is { Length: > 2 } p ? p.TrimStart('$', '.') : null;
            var reason = ex.Message.Split(" Path:", 2)[0];
            return Result.Fail<ChurnConfig>(reason, file, null, field);
        }

        if (dto is null)
        {
            return Result.Fail<ChurnConfig>("empty configuration", file);
        }

        return Splitter.ParseRatios(dto.Split)
            .Bind(split => dto.Model.Validate().Map(model => (split, model)))
            .Match(
                ok => Result.Ok(new ChurnConfig(dto.Data, dto.Out, dto.Prefix, dto.Seed, dto.Balance, ok.split, dto.Stratify, dto.Device, ok.model, dto.Host ?? new HostSettings(), dto.Logs ?? "logs")),
                problem => Result.Fail<ChurnConfig>(problem with { File = file, Column = problem.Column is null ? null : $"model.{problem.Column}".Replace("model.split", "split", StringComparison.Ordinal) }));
    }
}
