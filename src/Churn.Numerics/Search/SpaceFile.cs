using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Numerics.Search;

/// <summary>
/// Reads a search definition (<c>config/search.json</c> and a user's <c>--space</c> file laid over it) and checks every
/// field; a problem names the file and the field's path, e.g. <c>space.learningRate.min</c>.
/// </summary>
public static partial class SpaceFile
{
    public const string DefaultFile = "search.json";

    private const int MaxTrials = 10_000;
    private const int MaxSeeds = 100;
    private const long MaxGrid = 100_000;

    /// <summary>
    /// The definition in <paramref name="defaultsFile"/>, with <paramref name="userFile"/> (when given) laid over it:
    /// objects merge field by field, anything else in the user's file replaces the default. The first of
    /// <see cref="LoadAll(string, string?)"/>'s problems.
    /// </summary>
    public static Result<SearchDefinition> Load(string defaultsFile, string? userFile) => First(LoadAll(defaultsFile, userFile));

    /// <summary>
    /// The definition in <paramref name="defaultsFile"/> with <paramref name="overlay"/> (e.g. an HTTP request's body)
    /// laid over it; a problem in a field the overlay sets names <paramref name="overlayName"/>.
    /// </summary>
    public static Result<SearchDefinition> Load(string defaultsFile, JsonObject overlay, string overlayName) =>
        First(LoadAll(defaultsFile, overlay, overlayName));

    /// <summary>
    /// As <see cref="Load(string, string?)"/>, with every problem of every field, each naming its file and field path:
    /// what a form or a command line shows all at once. The definition is null when there is any problem.
    /// </summary>
    public static (SearchDefinition? Definition, ImmutableArray<Problem> Problems) LoadAll(string defaultsFile, string? userFile) =>
        Read(defaultsFile).Match(
            defaults => userFile is null
                ? Parse(defaults, _ => defaultsFile)
                : Read(userFile).Match(user => Parse(Merge(defaults, user), path => Has(user, path) ? userFile : defaultsFile), Failed),
            Failed);

    /// <summary>As <see cref="Load(string, JsonObject, string)"/>, with every problem of every field.</summary>
    public static (SearchDefinition? Definition, ImmutableArray<Problem> Problems) LoadAll(string defaultsFile, JsonObject overlay, string overlayName) =>
        Read(defaultsFile).Match(defaults => Parse(Merge(defaults, overlay), path => Has(overlay, path) ? overlayName : defaultsFile), Failed);

    /// <summary>Parses a definition from JSON text; problems name <paramref name="file"/>.</summary>
    public static Result<SearchDefinition> Parse(string json, string file) =>
        JsonInput.ParseObject(json, file, lenient: true, What).Bind(o => First(Parse(o, _ => file)));

    private const string What = "one JSON object (a search space)";

    private static (SearchDefinition?, ImmutableArray<Problem>) Failed(Problem problem) => (null, [problem]);

    private static Result<SearchDefinition> First((SearchDefinition? Definition, ImmutableArray<Problem> Problems) read) =>
        read.Definition is { } definition ? Result.Ok(definition) : read.Problems[0];

    private static Result<JsonObject> Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Problem.CannotRead(path, e, "search space file");
        }
        return JsonInput.ParseObject(text, path, lenient: true, What);
    }

    private static (SearchDefinition?, ImmutableArray<Problem>) Parse(JsonObject root, Func<string, string> fileOf)
    {
        var fields = new Fields();
        var definition = Definition(root, fields);
        return fields.Problems.Count == 0 && definition is not null
            ? (definition, [])
            : (null, [.. fields.Problems.Select(p => new Problem(p.Reason, fileOf(p.Path), Column: p.Path))]);
    }

    private static SearchDefinition? Definition(JsonObject root, Fields f)
    {
        Known(root, "", f, "sampling", "trials", "seeds", "maxEpochs", "minDelta", "scheduler", "asha", "balance", "logFeatures", "space");
        var sampling = Word(root, "sampling", "", f, ("random", Sampling.Random), ("grid", Sampling.Grid));
        var trials = Whole(Required(root, "trials", "", f), "trials", 1, MaxTrials, f);
        var seeds = Whole(Required(root, "seeds", "", f), "seeds", 1, MaxSeeds, f);
        var maxEpochs = Whole(Required(root, "maxEpochs", "", f), "maxEpochs", 1, 10_000, f);
        var minDelta = Number(Required(root, "minDelta", "", f), "minDelta", f);
        if (minDelta is < 0)
        {
            minDelta = f.Bad<double>("minDelta", $"must be 0 or more, got {Show(minDelta.Value)}");
        }
        var scheduler = Word(root, "scheduler", "", f, ("none", SchedulerKind.None), ("asha", SchedulerKind.Asha));
        var asha = root["asha"] is null ? AshaOptions.Default : Object(root["asha"], "asha", f) is { } ashaObject ? Asha(ashaObject, f) : null;
        var balance = root["balance"] is null ? null : Word(root, "balance", "", f, ("first", BalanceStrategy.First), ("random", BalanceStrategy.Random), ("none", BalanceStrategy.None), ("weighted", BalanceStrategy.Weighted));
        var logFeatures = root["logFeatures"] is { } log ? LogFeatures(log, "logFeatures", f) : null;
        var space = Object(Required(root, "space", "", f), "space", f) is { } spaceObject ? Space(spaceObject, f) : null;
        if (sampling is not { } samplingKind || trials is not { } trialCount || seeds is not { } seedCount || maxEpochs is not { } epochs
            || minDelta is not { } delta || scheduler is not { } schedulerKind || asha is null || space is null
            || (root["balance"] is not null && balance is null) || (root["logFeatures"] is not null && logFeatures is null))
        {
            return null;
        }
        if (samplingKind == Sampling.Grid)
        {
            var size = space.GridSize();
            if (size is null)
            {
                var continuous = space.Numeric().First(d => d.Values.Points.IsEmpty).Name;
                f.Note($"space.{continuous}", "a grid needs a list of values or a range with \"steps\"; a continuous range can only be sampled at random");
                return null;
            }
            if (size > MaxGrid)
            {
                f.Note("space", $"the grid has {size:N0} points; at most {MaxGrid:N0} are allowed");
                return null;
            }
        }
        return new SearchDefinition(space, samplingKind, trialCount, seedCount, epochs, delta, schedulerKind, asha, balance, logFeatures);
    }

    private static ImmutableArray<string>? LogFeatures(JsonNode? node, string path, Fields f)
    {
        if (node is null)
        {
            f.Note(path, "must be \"none\", \"skewed\" or a list of feature names, got null");
            return null;
        }
        return FeatureTransform.FromJson(node).Match<ImmutableArray<string>?>(names => names, problem =>
        {
            f.Note(path, problem.Reason);
            return null;
        });
    }

    private static AshaOptions? Asha(JsonObject o, Fields f)
    {
        Known(o, "asha", f, "rungs", "reductionFactor");
        var factor = Whole(Required(o, "reductionFactor", "asha", f), "asha.reductionFactor", 2, 100, f);
        var rungsNode = Required(o, "rungs", "asha", f);
        if (rungsNode is null)
        {
            return null;
        }
        if (rungsNode is not JsonArray array || array.Count == 0)
        {
            f.Note("asha.rungs", "must be a non-empty list of epochs, e.g. [4, 12, 36]");
            return null;
        }
        var rungs = array.Select((n, i) => Whole(n, $"asha.rungs[{i}]", 1, 10_000, f)).ToList();
        if (rungs.Any(r => r is null))
        {
            return null;
        }
        for (var i = 1; i < rungs.Count; i++)
        {
            if (rungs[i] <= rungs[i - 1])
            {
                f.Note($"asha.rungs[{i}]", $"rungs must increase; {rungs[i]} follows {rungs[i - 1]}");
                return null;
            }
        }
        return factor is { } reduction ? new AshaOptions([.. rungs.Select(r => r!.Value)], reduction) : null;
    }

    private static SearchSpace? Space(JsonObject o, Fields f)
    {
        Known(o, "space", f, [.. SearchSpace.DimensionNames]);
        var depth = Dimension(o, "depth", 1, 10, whole: true, f);
        var width = Dimension(o, "width", 1, 4096, whole: true, f);
        var activations = List(o, "activation", f, required: true, "must be a non-empty list, e.g. [\"relu\", \"tanh\"]",
            (n, at) => Word(n, at, f, ("relu", Activation.Relu), ("tanh", Activation.Tanh)), key: null);
        var learningRate = Dimension(o, "learningRate", 0, 1, whole: false, f, aboveLow: true);
        var batchSize = Dimension(o, "batchSize", 1, 1_000_000, whole: true, f);
        var patience = Dimension(o, "patience", 1, 10_000, whole: true, f);
        var dropout = Dimension(o, "dropout", 0, 0.99, whole: false, f);
        var weightDecay = Dimension(o, "weightDecay", 0, 1, whole: false, f);
        // Optional, so space files written before the network could shuffle still read: they meant "as configured by default".
        var shuffle = o["shuffleEachEpoch"] is null
            ? [ModelConfig.Default.ShuffleEachEpoch]
            : List(o, "shuffleEachEpoch", f, required: false, "must be a non-empty list of true and false", (n, at) => Flag(n, at, f), key: null);
        // Optional data dimensions: each value is a preparation the search may choose (prepared once, shared by its trials).
        var balances = List(o, "balance", f, required: false, "must be a non-empty list of \"first\", \"random\", \"none\" and \"weighted\"",
            (n, at) => Word(n, at, f, ("first", BalanceStrategy.First), ("random", BalanceStrategy.Random), ("none", BalanceStrategy.None), ("weighted", BalanceStrategy.Weighted)),
            key: b => b.ToString());
        var logs = o["logFeatures"] is null ? []
            : o["logFeatures"] is JsonArray { Count: > 0 } logList
                ? Distinct(logList.Select((n, i) => LogFeatures(n, $"space.logFeatures[{i}]", f)).ToList(), l => string.Join(",", l), "space.logFeatures", f)
                : Missing<ImmutableArray<string>>("space.logFeatures", "must be a non-empty list of feature sets, e.g. [\"none\", \"skewed\"]", f);
        // Optional too: a space file written before PLR searched the plain network only.
        var kinds = List(o, "kind", f, required: false, "must be a non-empty list of \"plain\" and \"plr\"",
            (n, at) => Word(n, at, f, ("plain", ModelKind.Plain), ("plr", ModelKind.Plr)), key: k => k.ToString());
        var transforms = List(o, "transform", f, required: false, "must be a non-empty list of \"standard\" and \"quantile\"",
            (n, at) => Word(n, at, f, ("standard", InputTransform.Standard), ("quantile", InputTransform.Quantile)), key: t => t.ToString());
        return depth is null || width is null || activations is null || learningRate is null || batchSize is null || patience is null
            || dropout is null || weightDecay is null || shuffle is null || balances is null || logs is null || kinds is null || transforms is null
            ? null
            : new SearchSpace(depth, width, activations.Value, learningRate, batchSize, patience, dropout, weightDecay, shuffle.Value, balances.Value, logs.Value, kinds.Value, transforms.Value);
    }

    /// <summary>A list of values, or <c>{ "min", "max", "scale": "linear"|"log", "steps" }</c>, each value inside [lo, hi].</summary>
    private static Values? Dimension(JsonObject space, string name, double lo, double hi, bool whole, Fields f, bool aboveLow = false)
    {
        var path = $"space.{name}";
        var node = Required(space, name, "space", f);
        var range = whole ? $"a whole number from {Show(lo)} to {Show(hi)}"
            : aboveLow ? $"a number above {Show(lo)} and at most {Show(hi)}"
            : $"a number from {Show(lo)} to {Show(hi)}";
        double? Check(JsonNode? n, string at)
        {
            var v = Number(n, at, f);
            return v is not { } d ? null
                : !(aboveLow ? d > lo : d >= lo) || !(d <= hi) || (whole && d != Math.Floor(d)) ? f.Bad<double>(at, $"must be {range}, got {Show(d)}")
                : d;
        }

        switch (node)
        {
            case null:
                return null;
            case JsonArray { Count: 0 }:
                f.Note(path, "must list at least one value");
                return null;
            case JsonArray array:
                var points = array.Select((n, i) => Check(n, $"{path}[{i}]")).ToList();
                return points.Any(p => p is null) ? null : new Values.Choice([.. points.Select(p => p!.Value)]);
            case JsonObject o:
                Known(o, path, f, "min", "max", "scale", "steps");
                var min = Check(Required(o, "min", path, f), $"{path}.min");
                var max = Check(Required(o, "max", path, f), $"{path}.max");
                var scale = o["scale"] is null ? RangeScale.Linear : Word(o, "scale", path, f, ("linear", RangeScale.Linear), ("log", RangeScale.Log));
                var steps = o["steps"] is null ? 0 : Whole(o["steps"], $"{path}.steps", 0, 1000, f);
                if (min is not { } low || max is not { } high || scale is not { } kind || steps is not { } count)
                {
                    return null;
                }
                if (high < low)
                {
                    f.Note($"{path}.max", $"must not be below min ({Show(low)}), got {Show(high)}");
                    return null;
                }
                if (kind == RangeScale.Log && !(low > 0))
                {
                    f.Note($"{path}.min", "a log-scale range needs min > 0");
                    return null;
                }
                return new Values.Range(low, high, kind, count);
            default:
                f.Note(path, "must be a list of values or an object { \"min\", \"max\", \"scale\", \"steps\" }");
                return null;
        }
    }

    private static bool Has(JsonObject root, string path)
    {
        JsonNode? node = root;
        foreach (var part in path.Split('.'))
        {
            var name = part.Split('[')[0];
            if (node is not JsonObject o || o[name] is not { } next)
            {
                return false;
            }
            node = next;
        }
        return true;
    }

    private static JsonObject Merge(JsonObject under, JsonObject over)
    {
        var merged = (JsonObject)under.DeepClone();
        foreach (var (key, value) in over)
        {
            merged[key] = merged[key] is JsonObject u && value is JsonObject o ? Merge(u, o) : value?.DeepClone();
        }
        return merged;
    }
}
