using System.Text.Json;
using System.Text.Json.Serialization;

namespace Churn.Numerics;

/// <summary>The one JSON style of every file the product writes: camelCase, indented, enums as lower-case strings.</summary>
public static class JsonFormat
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
