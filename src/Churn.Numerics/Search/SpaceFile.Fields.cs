using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Churn.Numerics.Search;

/// <summary>
/// How one field of a space file is read: each reader notes its field's problem (the field's path and the reason) and
/// answers null, so that the reading goes on and every bad field is reported at once.
/// </summary>
public static partial class SpaceFile
{
    /// <summary>
    /// The problems found so far while one definition is read. Each reader below notes its field's problem here and
    /// answers null, so that the reading goes on and the next field's problem is found too.
    /// </summary>
    private sealed class Fields
    {
        public List<(string Path, string Reason)> Problems { get; } = [];

        /// <summary>Notes the problem; null, for the reader to answer.</summary>
        public T? Bad<T>(string path, string reason)
            where T : struct
        {
            Problems.Add((path, reason));
            return null;
        }

        public void Note(string path, string reason) => Problems.Add((path, reason));

        public bool Fine(string prefix) => !Problems.Any(p => p.Path == prefix || p.Path.StartsWith(prefix + ".", StringComparison.Ordinal) || p.Path.StartsWith(prefix + "[", StringComparison.Ordinal));
    }

    private static ImmutableArray<T>? Missing<T>(string path, string reason, Fields f)
    {
        f.Note(path, reason);
        return null;
    }

    /// <summary>
    /// A non-empty list of <paramref name="name"/>, each item read by <paramref name="item"/>; an optional one absent is
    /// empty. With <paramref name="key"/>, an item listed twice is refused (it would only weigh that choice double).
    /// </summary>
    private static ImmutableArray<T>? List<T>(JsonObject o, string name, Fields f, bool required, string shape, Func<JsonNode?, string, T?> item, Func<T, string>? key)
        where T : struct
    {
        var path = $"space.{name}";
        var node = required ? Required(o, name, "space", f) : o[name];
        return node switch
        {
            null when required => null,
            null => [],
            JsonArray { Count: > 0 } array => key is null
                ? All(array.Select((n, i) => item(n, $"{path}[{i}]")).ToList())
                : Distinct(array.Select((n, i) => item(n, $"{path}[{i}]")).ToList(), key, path, f),
            _ => Missing<T>(path, shape, f),
        };
    }

    private static ImmutableArray<T>? All<T>(List<T?> values)
        where T : struct =>
        values.Any(v => v is null) ? null : [.. values.Select(v => v!.Value)];

    /// <summary>The values as given, refusing one listed twice (it would only weigh that choice double).</summary>
    private static ImmutableArray<T>? Distinct<T>(List<T?> values, Func<T, string> key, string path, Fields f)
        where T : struct
    {
        if (All(values) is not { } read)
        {
            return null;
        }
        for (var i = 1; i < read.Length; i++)
        {
            if (read.Take(i).Any(v => key(v) == key(read[i])))
            {
                return Missing<T>($"{path}[{i}]", "repeats an earlier choice", f);
            }
        }
        return read;
    }

    private static ImmutableArray<ImmutableArray<string>>? Distinct(List<ImmutableArray<string>?> values, Func<ImmutableArray<string>, string> key, string path, Fields f)
    {
        if (values.Any(v => v is null))
        {
            return null;
        }
        var read = values.Select(v => v!.Value).ToList();
        for (var i = 1; i < read.Count; i++)
        {
            if (read.Take(i).Any(v => key(v) == key(read[i])))
            {
                return Missing<ImmutableArray<string>>($"{path}[{i}]", "repeats an earlier choice", f);
            }
        }
        return [.. read];
    }

    private static void Known(JsonObject o, string path, Fields f, params string[] names)
    {
        foreach (var (key, _) in o)
        {
            if (!names.Contains(key, StringComparer.Ordinal))
            {
                f.Note(Join(path, key), $"unknown field; known fields here: {string.Join(", ", names)}");
            }
        }
    }

    private static JsonNode? Required(JsonObject o, string name, string path, Fields f)
    {
        if (o[name] is { } node)
        {
            return node;
        }
        f.Note(Join(path, name), "is missing");
        return null;
    }

    private static JsonObject? Object(JsonNode? node, string path, Fields f)
    {
        if (node is null or JsonObject)
        {
            // A missing one was noted where it was required.
            return node as JsonObject;
        }
        f.Note(path, "must be an object");
        return null;
    }

    private static double? Number(JsonNode? node, string path, Fields f) =>
        node is null ? null
        : node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && double.IsFinite(d) ? d
        : f.Bad<double>(path, node is JsonValue n && n.GetValueKind() == JsonValueKind.Number
            ? $"must be a finite number, got {Describe(node)} (beyond the range of a double)"
            : $"must be a number, got {Describe(node)}");

    private static int? Whole(JsonNode? node, string path, int min, int max, Fields f) =>
        Number(node, path, f) is not { } d ? null
        : d == Math.Floor(d) && d >= min && d <= max ? (int)d
        : f.Bad<int>(path, $"must be a whole number from {min} to {max}, got {Show(d)}");

    private static T? Word<T>(JsonObject o, string name, string path, Fields f, params (string Word, T Value)[] words)
        where T : struct =>
        Required(o, name, path, f) is { } node ? Word(node, Join(path, name), f, words) : null;

    private static T? Word<T>(JsonNode? node, string path, Fields f, params (string Word, T Value)[] words)
        where T : struct
    {
        var text = node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        foreach (var (word, value) in words)
        {
            if (string.Equals(text, word, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }
        return f.Bad<T>(path, $"must be {string.Join(" or ", words.Select(w => $"\"{w.Word}\""))}, got {Describe(node)}");
    }

    private static bool? Flag(JsonNode? node, string path, Fields f) =>
        node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? v.GetValue<bool>()
            : f.Bad<bool>(path, $"must be true or false, got {Describe(node)}");

    private static string Describe(JsonNode? node) => node is null ? "null" : node.ToJsonString();

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
