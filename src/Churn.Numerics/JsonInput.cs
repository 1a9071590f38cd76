using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Churn.Numerics;

/// <summary>
/// The one way JSON written by a user is read: configuration and search space files, and request bodies. Nesting is
/// bounded (64 levels), a name given twice in one object is refused, also when it differs only in case (the
/// configuration binds names case-insensitively, so either spelling could win), and a syntax error says where it is.
/// Every problem names the field (<see cref="Problem.Column"/>: the dotted path, or <see cref="Body"/> for the text as
/// a whole) and never quotes the text.
/// </summary>
public static class JsonInput
{
    /// <summary>How a problem with the text as a whole (not one field) names its place.</summary>
    public const string Body = "body";

    /// <summary>How deep objects and arrays may nest: well beyond any configuration, far below what could exhaust a stack.</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// The JSON object in <paramref name="text"/>. <paramref name="lenient"/> allows comments and trailing commas (files
    /// people edit); <paramref name="file"/> is named in problems.
    /// </summary>
    public static Result<JsonObject> ParseObject(string text, string? file, bool lenient, string what = "one JSON object")
    {
        var options = new JsonDocumentOptions
        {
            MaxDepth = MaxDepth,
            CommentHandling = lenient ? JsonCommentHandling.Skip : JsonCommentHandling.Disallow,
            AllowTrailingCommas = lenient,
        };
        JsonNode? node;
        try
        {
            // A document keeps every name as written, so a name given twice is found with its full path (a JsonObject
            // would refuse it while being built, without saying where).
            using (var document = JsonDocument.Parse(text, options))
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return new Problem($"must hold {what}", file, Column: file is null ? Body : null);
                }
                if (Twice(document.RootElement, "") is { } field)
                {
                    return new Problem("given twice", file, Column: field);
                }
            }
            node = JsonNode.Parse(text, documentOptions: options);
        }
        catch (JsonException e)
        {
            return Malformed(e, file);
        }

        return Result.Ok(node!.AsObject());
    }

    /// <summary>A syntax error as a problem: where it is and what is wrong there, in the reader's words minus .NET's position suffixes.</summary>
    public static Problem Malformed(JsonException e, string? file)
    {
        var reason = e.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].Trim();
        // A file's problem names its line; a body's (no file) says where in it, and that the body is at fault.
        if (file is not null)
        {
            return new Problem($"not valid JSON: {reason}", file, (e.LineNumber ?? 0) + 1);
        }
        var where = e.LineNumber is { } line ? $" at line {line + 1}, position {(e.BytePositionInLine ?? 0) + 1}" : "";
        return new Problem($"malformed JSON{where}: {reason}", null, null, Body);
    }

    /// <summary>The path of the first name that occurs twice in one object, ignoring case, anywhere below <paramref name="element"/>.</summary>
    private static string? Twice(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (var property in element.EnumerateObject())
                {
                    var inner = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                    if (!seen.Add(property.Name))
                    {
                        return inner;
                    }
                    if (Twice(property.Value, inner) is { } found)
                    {
                        return found;
                    }
                }
                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (Twice(item, $"{path}[{index++}]") is { } found)
                    {
                        return found;
                    }
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>
    /// <paramref name="options"/> made strict for what users write: enum values only by name (a number would pass as a
    /// value no enum has), numbers only as numbers (no "NaN" strings), no name twice, bounded nesting.
    /// </summary>
    public static JsonSerializerOptions Options(JsonSerializerOptions options)
    {
        foreach (var converter in options.Converters.OfType<JsonStringEnumConverter>().ToList())
        {
            options.Converters.Remove(converter);
        }
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.NumberHandling = JsonNumberHandling.Strict;
        options.AllowDuplicateProperties = false;
        options.MaxDepth = MaxDepth;
        return options;
    }

    /// <summary>
    /// A deserialization error of <paramref name="root"/> in the user's terms: the field's dotted path as
    /// <see cref="Problem.Column"/> and what it expects, from the field's type (<paramref name="hints"/> by path
    /// where the type does not say it), never .NET's type names.
    /// </summary>
    public static Problem Explain(JsonException e, Type root, IReadOnlyDictionary<string, string>? hints = null)
    {
        var message = e.Message;
        var path = e.Path is { Length: > 1 } p ? p.TrimStart('$').TrimStart('.') : "";
        if (message.Contains("uplicate", StringComparison.Ordinal))
        {
            // The serializer's path may stop at the object or already name the property.
            var name = message.IndexOf("property '", StringComparison.Ordinal) is var at and >= 0 ? message[(at + 10)..].Split('\'', 2)[0] : "";
            var field = path.Length == 0 ? name
                : name.Length == 0 || path.Equals(name, StringComparison.OrdinalIgnoreCase) || path.EndsWith("." + name, StringComparison.OrdinalIgnoreCase) ? path
                : $"{path}.{name}";
            return new Problem("given twice", Column: field.Length == 0 ? Body : field);
        }
        if (message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return new Problem("unknown field", Column: path.Length == 0 ? Body : path);
        }
        var converted = message.Contains("could not be converted", StringComparison.Ordinal);
        var nulled = message.Contains("null", StringComparison.Ordinal) && message.Contains("allow", StringComparison.Ordinal);
        if (!converted && !nulled)
        {
            return Malformed(e, null);
        }
        if (path.Length == 0)
        {
            return new Problem("must be one JSON object", Column: Body);
        }
        var expected = hints?.GetValueOrDefault(path) ?? (FieldType(root, path) is { } type ? Expected(type) : null);
        return new Problem(expected is null ? "has the wrong type" : nulled ? $"expected {expected}, not null" : $"expected {expected}", Column: path);
    }

    /// <summary>The type of the member at <paramref name="path"/> (<c>model.width</c>, <c>dataRoots[0]</c>) of <paramref name="root"/>, matched by name ignoring case.</summary>
    private static Type? FieldType(Type root, string path)
    {
        Type? type = root;
        foreach (var part in path.Split('.'))
        {
            var name = part.Split('[', 2)[0];
            type = type?.GetProperties(BindingFlags.Public | BindingFlags.Instance).FirstOrDefault(m => m.Name.Equals(name, StringComparison.OrdinalIgnoreCase))?.PropertyType;
            for (var index = part.IndexOf('[', StringComparison.Ordinal); type is not null && index >= 0; index = part.IndexOf('[', index + 1))
            {
                type = ElementType(type);
            }
        }
        return type;
    }

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[0]
        : null;

    private static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsEnum)
        {
            var names = Enum.GetNames(type).Select(n => $"\"{JsonNamingPolicy.CamelCase.ConvertName(n)}\"").ToArray();
            return names.Length == 1 ? names[0] : $"{string.Join(", ", names[..^1])} or {names[^1]}";
        }
        return Type.GetTypeCode(type) switch
        {
            TypeCode.Byte or TypeCode.UInt16 or TypeCode.UInt32 or TypeCode.UInt64 => "a whole number from 0",
            TypeCode.SByte or TypeCode.Int16 or TypeCode.Int32 or TypeCode.Int64 => "a whole number",
            TypeCode.Single or TypeCode.Double or TypeCode.Decimal => "a number",
            TypeCode.Boolean => "true or false",
            TypeCode.String => "a string",
            _ when typeof(JsonNode).IsAssignableFrom(type) => "a JSON value",
            _ when ElementType(type) is { } element => $"a list of {Plural(Expected(element))}",
            _ => "an object",
        };
    }

    private static string Plural(string expected) => expected switch
    {
        "a string" => "strings",
        "a number" => "numbers",
        "a whole number" => "whole numbers",
        "an object" => "objects",
        _ => $"values ({expected})",
    };
}
