using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Churn.Numerics;

/// <summary>
/// The product's JSON styles, each defined once. <see cref="Options"/> is the one of every file and answer the product
/// writes: camelCase, indented, enums as camelCase strings. Two files keep what they have been written with since
/// their first version, so that no byte of a file written before changes: <see cref="Document"/> (model.json) and
/// <see cref="PrepareManifest"/> (a preparation's manifest.json).
/// </summary>
public static class JsonFormat
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// model.json: <see cref="Options"/>, with characters written as themselves (a file for people and tools, not for
    /// embedding in HTML: a version "1.2.0+3f2a" stays "+", not "\u002B"; NaN, e.g. the ROC AUC of a one-class test
    /// split, is written "NaN"), and read strictly: every required field present, no null where none is allowed.
    /// </summary>
    public static readonly JsonSerializerOptions Document = new(Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>
    /// A preparation's manifest.json: camelCase and indented, read strictly as <see cref="Document"/>, but its enums
    /// written as .NET names them (<c>"strategy": "Random"</c>) and no named floating-point literals (nothing in it may
    /// be NaN), as every manifest has been written so far and as readers of older and newer builds expect.
    /// </summary>
    public static readonly JsonSerializerOptions PrepareManifest = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };
}
