using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Churn.Actors;
using Churn.Numerics;

namespace Churn.Host.Configuration;

/// <summary>
/// A run configuration as JSON: the run fields of <c>config/churn.json</c> (data, out, prefix, seed, balance, split,
/// stratify, device, model) plus <c>mode</c> (<c>run</c> or <c>prepare</c>). Fields a request omits take the host's
/// defaults. The run store keeps every run's configuration in this shape too.
/// </summary>
public static partial class RunRequest
{
    public const string BodyField = "body";

    private static readonly string[] RunFields = ["data", "out", "prefix", "seed", "balance", "split", "stratify", "logFeatures", "device", "model"];

    /// <summary>
    /// The settings of the run <paramref name="runId"/> that <paramref name="body"/> asks for, laid over
    /// <paramref name="defaults"/> (the host's configuration as JSON). Every problem names its field in
    /// <see cref="Problem.Column"/>: <c>body</c> for JSON that does not parse, else the field as written
    /// (<c>seed</c>, <c>model.batchSize</c>). Without <c>out</c>, the run writes to <c>&lt;default out&gt;/&lt;run id&gt;</c>
    /// so that runs of one host never overwrite each other.
    /// </summary>
    public static Result<RunSettings> Parse(string body, JsonNode defaults, string runId, Api.ConfinedPaths? paths = null)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            var reason = ex.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0];
            var duplicate = DuplicateProperty().Match(reason);
            if (duplicate.Success)
            {
                return Result.Fail<RunSettings>("given twice", null, null, ex.Path is { Length: > 2 } p ? $"{p.TrimStart('$', '.')}.{duplicate.Groups[1].Value}".TrimStart('.') : duplicate.Groups[1].Value);
            }

            var line = ex.LineNumber is { } l ? $" at line {l + 1}, position {ex.BytePositionInLine + 1}" : "";
            return Result.Fail<RunSettings>($"malformed JSON{line}: {reason}", null, null, BodyField);
        }

        if (node is not JsonObject request)
        {
            return Result.Fail<RunSettings>("the body must be one JSON object: a run configuration", null, null, BodyField);
        }

        var mode = RunMode.Full;
        var fields = (JsonObject)request.DeepClone();
        foreach (var (key, value) in request)
        {
            if (key.Equals("mode", StringComparison.OrdinalIgnoreCase))
            {
                if (ParseMode(value) is not { } parsed)
                {
                    return Result.Fail<RunSettings>("expected \"run\" or \"prepare\"", null, null, "mode");
                }

                mode = parsed;
                fields.Remove(key);
            }
            else if (!RunFields.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                return Result.Fail<RunSettings>($"unknown field (a run takes mode, {string.Join(", ", RunFields)})", null, null, key);
            }
        }

        return ChurnConfig.FromNode(ChurnConfig.Merge(defaults, fields), "request body")
            .Bind(config =>
            {
                var settings = config.ToRunSettings(mode);
                var ownOut = fields.Any(f => f.Key.Equals("out", StringComparison.OrdinalIgnoreCase));
                settings = settings with { OutDir = ownOut ? config.Out : Path.Combine(config.Out, runId) };
                if (paths is null)
                {
                    return File.Exists(settings.DataPath)
                        ? Result.Ok(settings)
                        : Result.Fail<RunSettings>($"file not found: {config.Data}", null, null, "data");
                }

                // The prefix becomes part of file names: a separator or ".." in it would write outside the run's folder.
                if (config.Prefix.Length == 0 || config.Prefix is "." or ".." || config.Prefix.IndexOfAny(['/', '\\', '\0']) >= 0)
                {
                    return Result.Fail<RunSettings>("must be a file name prefix: no path separators, not empty, '.' or '..'", null, null, "prefix");
                }

                return paths.Data(config.Data, "data")
                    .Bind(data => paths.Output(settings.OutDir, "out").Map(output => settings with { DataPath = data, OutDir = output }));
            })
            .Match(Result.Ok, problem => Result.Fail<RunSettings>(problem with { File = null }));
    }

    /// <summary>The settings as a request that would ask for them again.</summary>
    public static JsonObject ToNode(RunSettings settings)
    {
        var r = settings.Ratios;
        var node = new JsonObject
        {
            ["mode"] = ModeName(settings.Mode),
            ["data"] = settings.DataPath,
            ["out"] = settings.OutDir,
            ["prefix"] = settings.Prefix,
            ["seed"] = settings.Seed,
            ["balance"] = JsonSerializer.SerializeToNode(settings.Balance, JsonFormat.Options),
            ["split"] = string.Create(CultureInfo.InvariantCulture, $"{r.Train:R},{r.Validation:R},{r.Test:R}"),
            ["stratify"] = settings.Stratify,
            ["logFeatures"] = JsonSerializer.SerializeToNode(settings.LogFeatures, JsonFormat.Options),
            ["device"] = JsonSerializer.SerializeToNode(settings.Device, JsonFormat.Options),
            ["model"] = JsonSerializer.SerializeToNode(settings.Model, JsonFormat.Options),
        };
        if (settings.NpzDir is not null)
        {
            node["npz"] = settings.NpzDir;
        }

        return node;
    }

    public static string ModeName(RunMode mode) => mode switch
    {
        RunMode.Prepare => "prepare",
        RunMode.TrainFromNpz => "train",
        _ => "run",
    };

    private static RunMode? ParseMode(JsonNode? value) =>
        value is JsonValue v && v.TryGetValue<string>(out var text)
            ? text.ToLowerInvariant() switch
            {
                "run" => RunMode.Full,
                "prepare" => RunMode.Prepare,
                _ => null,
            }
            : null;

    [GeneratedRegex("[Dd]uplicate property '?([^' ]+?)'? ")]
    private static partial Regex DuplicateProperty();
}
