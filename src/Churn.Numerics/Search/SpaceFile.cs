using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Numerics.Search;

/// <summary>
/// Reads a search definition (<c>config/search.json</c> and a user's <c>--space</c> file laid over it) and checks every
/// field; a problem names the file and the field's path, e.g. <c>space.learningRate.min</c>.
/// </summary>
public static class SpaceFile
{
    public const string DefaultFile = "search.json";

    private const int MaxTrials = 10_000;
    private const int MaxSeeds = 100;
    private const long MaxGrid = 100_000;

    /// <summary>
    /// The definition in <paramref name="defaultsFile"/>, with <paramref name="userFile"/> (when given) laid over it:
    /// objects merge field by field, anything else in the user's file replaces the default.
    /// </summary>
    public static Result<SearchDefinition> Load(string defaultsFile, string? userFile) =>
        Read(defaultsFile).Bind(defaults => userFile is null
            ? Parse(defaults, _ => defaultsFile)
            : Read(userFile).Bind(user => Parse(Merge(defaults, user), path => Has(user, path) ? userFile : defaultsFile)));

    /// <summary>
    /// The definition in <paramref name="defaultsFile"/> with <paramref name="overlay"/> (e.g. an HTTP request's body)
    /// laid over it; a problem in a field the overlay sets names <paramref name="overlayName"/>.
    /// </summary>
    public static Result<SearchDefinition> Load(string defaultsFile, JsonObject overlay, string overlayName) =>
        Read(defaultsFile).Bind(defaults => Parse(Merge(defaults, overlay), path => Has(overlay, path) ? overlayName : defaultsFile));

    /// <summary>Parses a definition from JSON text; problems name <paramref name="file"/>.</summary>
    public static Result<SearchDefinition> Parse(string json, string file) =>
        JsonInput.ParseObject(json, file, lenient: true, What).Bind(o => Parse(o, _ => file));

    private const string What = "one JSON object (a search space)";

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

    /// <summary>A field whose value is wrong: the reason and the dotted path of the field.</summary>
    private sealed class FieldException(string path, string reason) : Exception(reason)
    {
        public string Path { get; } = path;
    }

    private static Result<SearchDefinition> Parse(JsonObject root, Func<string, string> fileOf)
    {
        try
        {
            return Result.Ok(Definition(root));
        }
        catch (FieldException e)
        {
            return new Problem(e.Message, fileOf(e.Path), Column: e.Path);
        }
    }

    private static SearchDefinition Definition(JsonObject root)
    {
        Known(root, "", "sampling", "trials", "seeds", "maxEpochs", "minDelta", "scheduler", "asha", "balance", "logFeatures", "space");
        var sampling = Word(root, "sampling", ("random", Sampling.Random), ("grid", Sampling.Grid));
        var trials = Whole(Required(root, "trials", ""), "trials", 1, MaxTrials);
        var seeds = Whole(Required(root, "seeds", ""), "seeds", 1, MaxSeeds);
        var maxEpochs = Whole(Required(root, "maxEpochs", ""), "maxEpochs", 1, 10_000);
        var minDelta = Number(Required(root, "minDelta", ""), "minDelta");
        if (!(minDelta >= 0))
        {
            throw new FieldException("minDelta", $"must be 0 or more, got {Show(minDelta)}");
        }
        var scheduler = Word(root, "scheduler", ("none", SchedulerKind.None), ("asha", SchedulerKind.Asha));
        var asha = root["asha"] is null ? AshaOptions.Default : Asha(Object(root["asha"], "asha"));
        BalanceStrategy? balance = root["balance"] is null ? null : Word(root, "balance", ("first", BalanceStrategy.First), ("random", BalanceStrategy.Random), ("none", BalanceStrategy.None), ("weighted", BalanceStrategy.Weighted));
        ImmutableArray<string>? logFeatures = root["logFeatures"] is { } log ? LogFeatures(log) : null;
        var space = Space(Object(Required(root, "space", ""), "space"));
        var definition = new SearchDefinition(space, sampling, trials, seeds, maxEpochs, minDelta, scheduler, asha, balance, logFeatures);
        if (sampling == Sampling.Grid)
        {
            var size = space.GridSize();
            if (size is null)
            {
                var continuous = space.Numeric().First(d => d.Values.Points.IsEmpty).Name;
                throw new FieldException($"space.{continuous}", "a grid needs a list of values or a range with \"steps\"; a continuous range can only be sampled at random");
            }
            if (size > MaxGrid)
            {
                throw new FieldException("space", $"the grid has {size:N0} points; at most {MaxGrid:N0} are allowed");
            }
        }
        return definition;
    }

    private static ImmutableArray<string> LogFeatures(JsonNode node) =>
        FeatureTransform.FromJson(node).Match(names => names, problem => throw new FieldException("logFeatures", problem.Reason));

    private static AshaOptions Asha(JsonObject o)
    {
        Known(o, "asha", "rungs", "reductionFactor");
        var rungsNode = Required(o, "rungs", "asha");
        if (rungsNode is not JsonArray array || array.Count == 0)
        {
            throw new FieldException("asha.rungs", "must be a non-empty list of epochs, e.g. [4, 12, 36]");
        }
        var rungs = array.Select((n, i) => Whole(n, $"asha.rungs[{i}]", 1, 10_000)).ToImmutableArray();
        for (var i = 1; i < rungs.Length; i++)
        {
            if (rungs[i] <= rungs[i - 1])
            {
                throw new FieldException($"asha.rungs[{i}]", $"rungs must increase; {rungs[i]} follows {rungs[i - 1]}");
            }
        }
        var factor = Whole(Required(o, "reductionFactor", "asha"), "asha.reductionFactor", 2, 100);
        return new AshaOptions(rungs, factor);
    }

    private static SearchSpace Space(JsonObject o)
    {
        Known(o, "space", [.. SearchSpace.DimensionNames]);
        var activationNode = Required(o, "activation", "space");
        if (activationNode is not JsonArray names || names.Count == 0)
        {
            throw new FieldException("space.activation", "must be a non-empty list, e.g. [\"relu\", \"tanh\"]");
        }
        var activations = names.Select((n, i) => Word(n, $"space.activation[{i}]", ("relu", Activation.Relu), ("tanh", Activation.Tanh)))
            .ToImmutableArray();
        // Optional, so space files written before the network could shuffle still read: they meant "as configured by default".
        var shuffle = o["shuffleEachEpoch"] is null
            ? [ModelConfig.Default.ShuffleEachEpoch]
            : o["shuffleEachEpoch"] is JsonArray { Count: > 0 } flags
                ? flags.Select((n, i) => Flag(n, $"space.shuffleEachEpoch[{i}]")).ToImmutableArray()
                : throw new FieldException("space.shuffleEachEpoch", "must be a non-empty list of true and false");
        // Optional data dimensions: each value is a preparation the search may choose (prepared once, shared by its trials).
        ImmutableArray<BalanceStrategy> balances = o["balance"] is null ? []
            : o["balance"] is JsonArray { Count: > 0 } balanceList
                ? Distinct(balanceList.Select((n, i) => Word(n, $"space.balance[{i}]", ("first", BalanceStrategy.First), ("random", BalanceStrategy.Random), ("none", BalanceStrategy.None), ("weighted", BalanceStrategy.Weighted))).ToList(), b => b.ToString(), "space.balance")
                : throw new FieldException("space.balance", "must be a non-empty list of \"first\", \"random\", \"none\" and \"weighted\"");
        ImmutableArray<ImmutableArray<string>> logs = o["logFeatures"] is null ? []
            : o["logFeatures"] is JsonArray { Count: > 0 } logList
                ? Distinct(logList.Select((n, i) => (n is null ? throw new FieldException($"space.logFeatures[{i}]", "must be \"none\", \"skewed\" or a list of feature names, got null") : FeatureTransform.FromJson(n)).Match(names => names, problem => throw new FieldException($"space.logFeatures[{i}]", problem.Reason))).ToList(), l => string.Join(",", l), "space.logFeatures")
                : throw new FieldException("space.logFeatures", "must be a non-empty list of feature sets, e.g. [\"none\", \"skewed\"]");
        // Optional too: a space file written before PLR searched the plain network only.
        ImmutableArray<ModelKind> kinds = o["kind"] is null ? []
            : o["kind"] is JsonArray { Count: > 0 } kindList
                ? Distinct(kindList.Select((n, i) => Word(n, $"space.kind[{i}]", ("plain", ModelKind.Plain), ("plr", ModelKind.Plr))).ToList(), k => k.ToString(), "space.kind")
                : throw new FieldException("space.kind", "must be a non-empty list of \"plain\" and \"plr\"");
        ImmutableArray<InputTransform> transforms = o["transform"] is null ? []
            : o["transform"] is JsonArray { Count: > 0 } transformList
                ? Distinct(transformList.Select((n, i) => Word(n, $"space.transform[{i}]", ("standard", InputTransform.Standard), ("quantile", InputTransform.Quantile))).ToList(), t => t.ToString(), "space.transform")
                : throw new FieldException("space.transform", "must be a non-empty list of \"standard\" and \"quantile\"");
        return new SearchSpace(
            Dimension(o, "depth", 1, 10, whole: true),
            Dimension(o, "width", 1, 4096, whole: true),
            activations,
            Dimension(o, "learningRate", 0, 1, whole: false, aboveLow: true),
            Dimension(o, "batchSize", 1, 1_000_000, whole: true),
            Dimension(o, "patience", 1, 10_000, whole: true),
            Dimension(o, "dropout", 0, 0.99, whole: false),
            Dimension(o, "weightDecay", 0, 1, whole: false),
            shuffle,
            balances,
            logs,
            kinds,
            transforms);
    }

    /// <summary>The values as given, refusing one listed twice (it would only weigh that choice double).</summary>
    private static ImmutableArray<T> Distinct<T>(List<T> values, Func<T, string> key, string path)
    {
        for (var i = 1; i < values.Count; i++)
        {
            if (values.Take(i).Any(v => key(v) == key(values[i])))
            {
                throw new FieldException($"{path}[{i}]", "repeats an earlier choice");
            }
        }
        return [.. values];
    }

    /// <summary>A list of values, or <c>{ "min", "max", "scale": "linear"|"log", "steps" }</c>, each value inside [lo, hi].</summary>
    private static Values Dimension(JsonObject space, string name, double lo, double hi, bool whole, bool aboveLow = false)
    {
        var path = $"space.{name}";
        var node = Required(space, name, "space");
        var range = whole ? $"a whole number from {Show(lo)} to {Show(hi)}"
            : aboveLow ? $"a number above {Show(lo)} and at most {Show(hi)}"
            : $"a number from {Show(lo)} to {Show(hi)}";
        double Check(JsonNode? n, string at)
        {
            var v = Number(n, at);
            if (!(aboveLow ? v > lo : v >= lo) || !(v <= hi) || (whole && v != Math.Floor(v)))
            {
                throw new FieldException(at, $"must be {range}, got {Show(v)}");
            }
            return v;
        }

        switch (node)
        {
            case JsonArray { Count: 0 }:
                throw new FieldException(path, "must list at least one value");
            case JsonArray array:
                return new Values.Choice([.. array.Select((n, i) => Check(n, $"{path}[{i}]"))]);
            case JsonObject o:
                Known(o, path, "min", "max", "scale", "steps");
                var min = Check(Required(o, "min", path), $"{path}.min");
                var max = Check(Required(o, "max", path), $"{path}.max");
                var scale = o["scale"] is null ? RangeScale.Linear : Word(o, "scale", path, ("linear", RangeScale.Linear), ("log", RangeScale.Log));
                var steps = o["steps"] is null ? 0 : Whole(o["steps"], $"{path}.steps", 0, 1000);
                if (max < min)
                {
                    throw new FieldException($"{path}.max", $"must not be below min ({Show(min)}), got {Show(max)}");
                }
                if (scale == RangeScale.Log && !(min > 0))
                {
                    throw new FieldException($"{path}.min", "a log-scale range needs min > 0");
                }
                return new Values.Range(min, max, scale, steps);
            default:
                throw new FieldException(path, "must be a list of values or an object { \"min\", \"max\", \"scale\", \"steps\" }");
        }
    }

    private static void Known(JsonObject o, string path, params string[] names)
    {
        foreach (var (key, _) in o)
        {
            if (!names.Contains(key, StringComparer.Ordinal))
            {
                throw new FieldException(Join(path, key), $"unknown field; known fields here: {string.Join(", ", names)}");
            }
        }
    }

    private static JsonNode Required(JsonObject o, string name, string path) =>
        o[name] ?? throw new FieldException(Join(path, name), "is missing");

    private static JsonObject Object(JsonNode? node, string path) =>
        node as JsonObject ?? throw new FieldException(path, "must be an object");

    private static double Number(JsonNode? node, string path) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && double.IsFinite(d)
            ? d
            : throw new FieldException(path, node is JsonValue { } n && n.GetValueKind() == JsonValueKind.Number
                ? $"must be a finite number, got {Describe(node)} (beyond the range of a double)"
                : $"must be a number, got {Describe(node)}");

    private static int Whole(JsonNode? node, string path, int min, int max)
    {
        var d = Number(node, path);
        return d == Math.Floor(d) && d >= min && d <= max
            ? (int)d
            : throw new FieldException(path, $"must be a whole number from {min} to {max}, got {Show(d)}");
    }

    private static T Word<T>(JsonObject o, string name, params (string Word, T Value)[] words) =>
        Word(Required(o, name, ""), name, words);

    private static T Word<T>(JsonObject o, string name, string path, params (string Word, T Value)[] words) =>
        Word(Required(o, name, path), Join(path, name), words);

    private static T Word<T>(JsonNode? node, string path, params (string Word, T Value)[] words)
    {
        var text = node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        foreach (var (word, value) in words)
        {
            if (string.Equals(text, word, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }
        throw new FieldException(path, $"must be {string.Join(" or ", words.Select(w => $"\"{w.Word}\""))}, got {Describe(node)}");
    }

    private static bool Flag(JsonNode? node, string path) =>
        node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? v.GetValue<bool>()
            : throw new FieldException(path, $"must be true or false, got {Describe(node)}");

    private static string Describe(JsonNode? node) => node is null ? "null" : node.ToJsonString();

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);

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
