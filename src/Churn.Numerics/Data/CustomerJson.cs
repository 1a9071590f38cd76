using System.Collections.Immutable;
using System.Text.Json;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Data;

/// <summary>
/// Customers sent as JSON, for scoring a few at a time: an array of objects, each with <c>customer_id</c> (a whole
/// number) and the ten behaviours by their column names (numbers, under the same rules as a customer file's; see
/// <see cref="FeatureRules"/>); a <c>target</c> is ignored. Every problem names the customer by its place in the array
/// and the field, as <see cref="Problem.Column"/> <c>[2].minutes_listened</c>, and never quotes the text.
/// </summary>
public static class CustomerJson
{
    private static readonly ImmutableDictionary<string, int> Fields =
        Schema.FeatureNames.Select((name, i) => KeyValuePair.Create(name, i)).Append(KeyValuePair.Create(Schema.IdColumn, -1)).Append(KeyValuePair.Create(Schema.TargetColumn, -2))
            .ToImmutableDictionary(StringComparer.Ordinal);

    private const int IdField = -1;
    private const int TargetField = -2;

    /// <summary>
    /// The customers in <paramref name="json"/> (UTF-8), at most <paramref name="maxRows"/> of them (<paramref name="limitName"/>
    /// names that limit in the problem when there are more).
    /// </summary>
    public static Result<Dataset> Read(ReadOnlySpan<byte> json, int maxRows, string limitName = "maxRows")
    {
        var p = Schema.FeatureCount;
        var ids = ImmutableArray.CreateBuilder<long>();
        var values = new List<double[]>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = JsonInput.MaxDepth });
        var where = JsonInput.Body;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                return new Problem("expected a JSON array of customers, e.g. [{\"customer_id\": 1, \"book_length_avg_min\": 1620, ...}]", Column: JsonInput.Body);
            }
            while (true)
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    break;
                }
                var row = values.Count;
                where = $"[{row}]";
                if (row >= maxRows)
                {
                    return new Problem($"too many customers: at most {maxRows} per request ({limitName})", Column: where);
                }
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    return new Problem($"expected a customer (a JSON object), got {Describe(reader.TokenType)}", Column: where);
                }
                var features = new double[p];
                var seen = new bool[p];
                long? id = null;
                var target = false;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString()!;
                    var known = Fields.TryGetValue(name, out var field);
                    where = known ? $"[{row}].{name}" : $"[{row}]";
                    if (!known)
                    {
                        return new Problem($"unknown field (a customer has {Schema.IdColumn} and {string.Join(", ", Schema.FeatureNames)})", Column: where);
                    }
                    if ((field == IdField && id is not null) || (field == TargetField && target) || (field >= 0 && seen[field]))
                    {
                        return new Problem("given twice", Column: where);
                    }
                    reader.Read();
                    if (Number(ref reader) is { } wrong)
                    {
                        return new Problem(wrong, Column: where);
                    }
                    var value = reader.GetDouble();
                    if (field == IdField)
                    {
                        if (value != Math.Floor(value) || Math.Abs(value) > (1L << 53))
                        {
                            return new Problem("a customer ID must be a whole number", Column: where);
                        }
                        id = (long)value;
                    }
                    else if (field == TargetField)
                    {
                        target = true;
                    }
                    else
                    {
                        if (FeatureRules.Check(field, value) is { } reason)
                        {
                            return new Problem(reason, Column: where);
                        }
                        features[field] = value;
                        seen[field] = true;
                    }
                }
                if (id is null)
                {
                    return new Problem("missing: every customer needs its ID", Column: $"[{row}].{Schema.IdColumn}");
                }
                if (Array.IndexOf(seen, false) is var missing and >= 0)
                {
                    return new Problem("missing: every customer needs the ten behaviours", Column: $"[{row}].{Schema.FeatureNames[missing]}");
                }
                ids.Add(id.Value);
                values.Add(features);
            }
            where = JsonInput.Body;
            if (reader.Read())
            {
                return new Problem("unexpected text after the array of customers", Column: where);
            }
        }
        catch (JsonException e)
        {
            return new Problem($"not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1} (numbers must be finite JSON numbers: NaN and infinities are not JSON)", Column: where);
        }
        var rows = values.Count;
        var inputs = Matrix<double>.Build.Dense(rows, p, (r, c) => values[r][c]);
        return Result.Ok(new Dataset(ids.ToImmutable(), inputs, []));
    }

    /// <summary>Why the value at the reader is not a finite JSON number, or null when it is one.</summary>
    private static string? Number(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                return reader.TryGetDouble(out var value) && double.IsFinite(value) ? null : "expected a finite number";
            case JsonTokenType.String:
                var text = reader.GetString();
                return text is "NaN" or "Infinity" or "-Infinity" or "nan" or "inf" or "-inf"
                    ? "expected a finite number (NaN and infinities are not allowed)"
                    : "expected a number, got a string";
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                reader.Skip();
                return $"expected a number, got {Describe(reader.TokenType == JsonTokenType.EndObject ? JsonTokenType.StartObject : JsonTokenType.StartArray)}";
            default:
                return $"expected a number, got {Describe(reader.TokenType)}";
        }
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "true or false",
        JsonTokenType.Null => "null",
        _ => "something else",
    };
}
