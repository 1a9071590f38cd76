using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Churn.Actors;
using Churn.Numerics;

namespace Churn.Host.Configuration;

/// <summary>
/// A run asked for: its mode and the run fields of <c>config/churn.json</c> it sets (the requestable rows of
/// <see cref="Configuration.RunFields"/>), in that file's shape. A <c>POST /runs</c> body, a <c>--config</c>
/// file's run fields and the command line's flags all become this one record (<see cref="FromJson"/>,
/// <see cref="Cli.ChurnCommandLine.RunFields"/>), and <see cref="Resolve"/> checks it, the same way for each. Fields it
/// omits take the defaults it is resolved over. The run store keeps every run's configuration in this shape too.
/// </summary>
public sealed record RunRequest
{
    public const string BodyField = "body";

    /// <summary>The fields a run request may set; anything else in a body is refused, naming the field.</summary>
    public static ImmutableArray<string> RunFields => Configuration.RunFields.RequestFields;

    private readonly JsonObject _fields;

    private RunRequest(RunMode mode, JsonObject fields, string? npz)
    {
        Mode = mode;
        _fields = fields;
        Npz = npz;
    }

    public RunMode Mode { get; }

    /// <summary>For <c>churn train</c>: the folder with the three .npz files (the host takes no such runs).</summary>
    public string? Npz { get; }

    /// <summary>The fields it sets, as JSON (a copy).</summary>
    public JsonObject Fields => (JsonObject)_fields.DeepClone();

    /// <summary>Whether the request sets <paramref name="field"/> itself.</summary>
    public bool Sets(string field) => _fields.Any(f => f.Key.Equals(field, StringComparison.OrdinalIgnoreCase));

    /// <summary>A request of <paramref name="mode"/> setting <paramref name="fields"/>; the caller has checked their names.</summary>
    public static RunRequest Of(RunMode mode, JsonObject fields, string? npz = null) => new(mode, (JsonObject)fields.DeepClone(), npz);

    /// <summary>This request with <paramref name="field"/> set to <paramref name="value"/> (dotted names reach into objects: <c>model.maxEpochs</c>).</summary>
    public RunRequest With(string field, JsonNode? value)
    {
        var fields = Fields;
        var names = field.Split('.');
        var target = fields;
        foreach (var name in names[..^1])
        {
            if (target[name] is not JsonObject inner)
            {
                inner = [];
                target[name] = inner;
            }

            target = inner;
        }

        target[names[^1]] = value?.DeepClone();
        return new(Mode, fields, Npz);
    }

    /// <summary>
    /// A <c>POST /runs</c> body: one JSON object of run fields plus <c>mode</c> (<c>run</c> or <c>prepare</c>). Every
    /// problem names its field in <see cref="Problem.Column"/>: <c>body</c> for JSON that does not parse, else the field.
    /// </summary>
    public static Result<RunRequest> FromJson(string body) =>
        ReadBody(body) switch
        {
            { Problems: [var first, ..] } => first,
            var read => Result.Ok(read.Request!),
        };

    /// <summary>The body's request without the fields it may not set, and a problem for each of those.</summary>
    private static (RunRequest? Request, ImmutableArray<Problem> Problems) ReadBody(string body)
    {
        var read = JsonInput.ParseObject(body, null, lenient: false, "one JSON object: a run configuration");
        if (read is Result<JsonObject>.Error invalid)
        {
            return (null, [invalid.Problem]);
        }

        var request = read.Unwrap();
        var mode = RunMode.Full;
        var fields = (JsonObject)request.DeepClone();
        var problems = ImmutableArray.CreateBuilder<Problem>();
        foreach (var (key, value) in request)
        {
            if (key.Equals("mode", StringComparison.OrdinalIgnoreCase))
            {
                if (ParseMode(value) is { } parsed)
                {
                    mode = parsed;
                }
                else
                {
                    problems.Add(new Problem("expected \"run\" or \"prepare\"", Column: "mode"));
                }
                fields.Remove(key);
            }
            else if (!RunFields.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add(new Problem($"unknown field (a run takes mode, {string.Join(", ", RunFields)})", Column: key));
                fields.Remove(key);
            }
        }

        return (new RunRequest(mode, fields, null), problems.ToImmutable());
    }

    /// <summary>
    /// The configuration and settings this request asks for, laid over <paramref name="defaults"/> (a configuration
    /// as JSON). A problem names the field in <see cref="Problem.Column"/> and no file. With <paramref name="runId"/>
    /// and no <c>out</c> of its own, the run writes to <c>&lt;default out&gt;/&lt;run id&gt;</c>, so that a host's runs
    /// never overwrite each other.
    /// </summary>
    public Result<(ChurnConfig Config, RunSettings Settings)> Resolve(JsonNode defaults, string? runId = null) =>
        ChurnConfig.FromNode(ChurnConfig.Merge(defaults, _fields), "request")
            .Map(config =>
            {
                var settings = config.ToRunSettings(Mode, Npz);
                return (config, runId is null || Sets("out") ? settings : settings with { Spec = settings.Spec with { Out = Path.Combine(config.Run.Out, runId) } });
            })
            .Match(Result.Ok, problem => Result.Fail<(ChurnConfig, RunSettings)>(problem with { File = null }));

    /// <summary>The request as a <c>POST /runs</c> body.</summary>
    public string ToJson()
    {
        var body = Fields;
        body["mode"] = ModeName(Mode);
        return body.ToJsonString();
    }

    /// <summary>
    /// The settings of the run <paramref name="runId"/> that the body <paramref name="body"/> asks for, laid over
    /// the host's configuration <paramref name="defaults"/>; the data file must exist. With <paramref name="paths"/>
    /// (a host's), the data file must be inside its data roots and the output inside its output root, and the run
    /// uses their resolved paths. The first of <see cref="ParseAll"/>'s problems.
    /// </summary>
    public static Result<RunSettings> Parse(string body, JsonNode defaults, string runId, Api.ConfinedPaths? paths = null) =>
        ParseAll(body, defaults, runId, paths) switch
        {
            { Problems: [var first, ..] } => first,
            var parsed => Result.Ok(parsed.Settings!),
        };

    /// <summary>
    /// As <see cref="Parse"/>, with every problem of the body at once (each naming its field, no file), so that a form
    /// can mark every bad field; <paramref name="limits"/> adds a host's bounds (the first a specification is over).
    /// </summary>
    public static (RunSettings? Settings, ImmutableArray<Problem> Problems) ParseAll(
        string body, JsonNode defaults, string runId, Api.ConfinedPaths? paths = null, Func<RunSpec, Problem?>? limits = null)
    {
        var (request, problems) = ReadBody(body);
        if (request is null || ChurnConfig.Merge(defaults, request._fields) is not JsonObject merged)
        {
            return (null, problems.IsEmpty ? [new Problem("expected one JSON object: a run configuration", Column: BodyField)] : problems);
        }

        var checks = new List<Func<RunSpec, Problem?>>
        {
            spec => paths is null ? null : PrefixProblem(spec.Prefix),
            spec => paths is null
                ? File.Exists(ChurnConfig.ResolveData(spec.Data)) ? null : new Problem($"file not found: {spec.Data}", Column: "data")
                : paths.Data(spec.Data, "data") is Result<string>.Error { Problem: var data } ? data : null,
            spec => paths?.Output(request.Sets("out") ? spec.Out : Path.Combine(spec.Out, runId), "out") is Result<string>.Error { Problem: var output } ? output : null,
        };
        if (limits is not null)
        {
            checks.Add(limits);
        }
        problems = problems.AddRange(Configuration.RunFields.ReadAll(merged, RunSpec.Default, [.. checks]).Problems);
        if (!problems.IsEmpty)
        {
            return (null, [.. problems.Select(p => p with { File = null })]);
        }

        var resolved = request.Resolve(defaults, runId);
        if (resolved is Result<(ChurnConfig, RunSettings)>.Error error)
        {
            return (null, [error.Problem]);
        }
        var (config, settings) = resolved.Unwrap();
        return paths is null
            ? (settings, [])
            : (settings with { Spec = settings.Spec with { Data = paths.Data(config.Run.Data, "data").Unwrap(), Out = paths.Output(settings.Spec.Out, "out").Unwrap() } }, []);
    }

    /// <summary>The prefix becomes part of file names: a separator or ".." in it would write outside the run's folder.</summary>
    private static Problem? PrefixProblem(string prefix) =>
        prefix.Length == 0 || prefix is "." or ".." || prefix.IndexOfAny(['/', '\\', '\0']) >= 0
            ? new Problem("must be a file name prefix: no path separators, not empty, '.' or '..'", Column: "prefix")
        : System.Text.Encoding.UTF8.GetByteCount(prefix) > Api.ConfinedPaths.MaxNameBytes - 20 || prefix.Any(char.IsControl)
            ? new Problem($"must be a file name prefix of at most {Api.ConfinedPaths.MaxNameBytes - 20} bytes, without control characters", Column: "prefix")
        : null;

    /// <summary>The settings as a request that would ask for them again: its mode, the table's requestable fields and the .npz folder.</summary>
    public static JsonObject ToNode(RunSettings settings)
    {
        var node = new JsonObject { ["mode"] = ModeName(settings.Mode) };
        foreach (var (key, value) in Configuration.RunFields.Write(settings.Spec, requestOnly: true))
        {
            node[key] = value?.DeepClone();
        }
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
}
