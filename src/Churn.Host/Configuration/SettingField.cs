using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Actors;
using Churn.Numerics;
using Churn.Numerics.Data;

namespace Churn.Host.Configuration;

/// <summary>Which pipeline verbs a setting's flag belongs to: <c>run</c> takes every flag, <c>prepare</c> and <c>train</c> their part.</summary>
public enum SettingUse
{
    /// <summary>Load, balance, scale and split: <c>run</c> and <c>prepare</c>.</summary>
    Preparation,

    /// <summary>Train, evaluate and save: <c>run</c> and <c>train</c>.</summary>
    Training,

    /// <summary>Every pipeline verb.</summary>
    Everywhere,
}

/// <summary>
/// One row of the run specification's field table (<see cref="RunFields"/>): a field of <see cref="RunSpec"/> with its
/// name in JSON (<c>seed</c>, <c>model.width</c>), its command-line flag if it has one, how the dashboard's form
/// shows it, its help text, and how a value is read (checked, with the reason when it is wrong) and written.
/// </summary>
public abstract class SettingField(string name, string label, string help, string? flag, string? helpName, SettingUse use, bool requestable, string? hint, bool blank)
{
    /// <summary>The name in <c>config/churn.json</c> and in request bodies; a dot reaches into an object (<c>model.width</c>).</summary>
    public string Name { get; } = name;

    /// <summary>The top-level field it lives in: <c>model</c> for <c>model.width</c>.</summary>
    public string Top => Name.Split('.')[0];

    /// <summary>What the dashboard's form calls it.</summary>
    public string Label { get; } = label;

    /// <summary>What it does: the flag's description in <c>--help</c>.</summary>
    public string Help { get; } = help;

    /// <summary>The command-line flag (<c>--seed</c>), or null when only files and requests set it.</summary>
    public string? Flag { get; } = flag;

    /// <summary>The value's placeholder in <c>--help</c> (<c>N</c>, <c>CSV</c>).</summary>
    public string? HelpName { get; } = helpName;

    /// <summary>Which pipeline verbs take the flag.</summary>
    public SettingUse Use { get; } = use;

    /// <summary>
    /// Whether a request (<c>POST /runs</c>, the dashboard's form, a <c>--config</c> file's run fields sent with
    /// <c>--host</c>) may set it; otherwise only the host's own configuration does (e.g. <c>limits</c>, which bound what
    /// a request may read).
    /// </summary>
    public bool Requestable { get; } = requestable;

    /// <summary>A hint the form shows under the field, when its help text is not what a form needs.</summary>
    public string? Hint { get; } = hint;

    /// <summary>The form leaves it empty (the host chooses per run) and shows the default as a placeholder.</summary>
    public bool Blank { get; } = blank;

    /// <summary>What a valid value looks like, as the reasons say it (<c>a whole number</c>).</summary>
    public abstract string Expected { get; }

    /// <summary>How the form shows it: <c>text</c>, <c>number</c>, <c>checkbox</c> or <c>choice</c>.</summary>
    public abstract string Form { get; }

    /// <summary>The allowed values of a <c>choice</c>, as JSON and flags write them.</summary>
    public abstract ImmutableArray<string> Choices { get; }

    /// <summary>The flag is a switch: given means true.</summary>
    public bool IsSwitch => Form == "checkbox";

    /// <summary><paramref name="spec"/> with this field read from <paramref name="value"/>; a problem names the field in <see cref="Problem.Column"/>.</summary>
    public abstract Result<RunSpec> Read(RunSpec spec, JsonNode? value);

    /// <summary>The field's value in <paramref name="spec"/>, as JSON.</summary>
    public abstract JsonNode? Write(RunSpec spec);

    /// <summary>The field's value in <paramref name="spec"/> as its flag takes it (<c>--help</c>'s default).</summary>
    public abstract string Text(RunSpec spec);

    /// <summary>A flag's text as the JSON value a request holds; a problem's reason follows the flag's name (<c>--seed takes ...</c>).</summary>
    public abstract Result<JsonNode?> FromFlag(string text);
}

/// <summary>A row of the field table over values of type <typeparamref name="T"/>: a <see cref="SettingKind{T}"/> and where the value lives in a <see cref="RunSpec"/>.</summary>
public sealed class SettingField<T>(
    string name, string label, string help, SettingKind<T> kind, Func<RunSpec, T> get, Func<RunSpec, T, RunSpec> set,
    string? flag = null, string? helpName = null, SettingUse use = SettingUse.Everywhere, bool requestable = true, string? hint = null, bool blank = false)
    : SettingField(name, label, help, flag, helpName ?? kind.HelpName, use, requestable, hint, blank)
{
    public override string Expected => kind.Expected;

    public override string Form => kind.Form;

    public override ImmutableArray<string> Choices => kind.Choices;

    public override Result<RunSpec> Read(RunSpec spec, JsonNode? value) =>
        value is null
            ? new Problem($"expected {kind.Expected}, not null", Column: Name)
            : kind.FromJson(value).Match(v => Result.Ok(set(spec, v)), problem => Result.Fail<RunSpec>(problem with { Column = Name }));

    public override JsonNode? Write(RunSpec spec) => kind.ToJson(get(spec));

    public override string Text(RunSpec spec) => kind.ToText(get(spec));

    public override Result<JsonNode?> FromFlag(string text) => kind.FromText(text).Map(kind.ToJson);
}

/// <summary>
/// A kind of setting value: how it is read from JSON (a reason when it is wrong), from a flag's text, and written
/// back. Range checks of the core's own types stay with them (<c>ModelConfig.Validate</c>, <c>CampaignEconomics.Check</c>).
/// </summary>
public abstract record SettingKind<T>(string Expected, string Form, string? HelpName)
{
    public virtual ImmutableArray<string> Choices => [];

    public abstract Result<T> FromJson(JsonNode value);

    public abstract JsonNode? ToJson(T value);

    public abstract string ToText(T value);

    /// <summary>A flag's text; by default the text itself read as JSON would be (a string).</summary>
    public virtual Result<T> FromText(string text) => FromJson(JsonValue.Create(text));

    protected Problem Wrong => new($"expected {Expected}");
}

/// <summary>The kinds of values the field table holds.</summary>
public static class SettingKinds
{
    public static readonly SettingKind<string> Text = new TextKind();
    public static readonly SettingKind<ulong> Natural = new NaturalKind();
    public static readonly SettingKind<int> Whole = new WholeKind(null);
    public static readonly SettingKind<int> Positive = new WholeKind(1);
    public static readonly SettingKind<long> PositiveLong = new LongKind(1);
    public static readonly SettingKind<double> Number = new NumberKind();
    public static readonly SettingKind<bool> Switch = new SwitchKind();
    public static readonly SettingKind<SplitRatios> Split = new SplitKind();
    public static readonly SettingKind<ImmutableArray<string>?> LogFeatures = new LogFeaturesKind();

    /// <summary>One of <typeparamref name="T"/>'s values, by its camelCase name.</summary>
    public static SettingKind<T> Choice<T>()
        where T : struct, Enum => new ChoiceKind<T>();

    /// <summary>An enum value as files, requests and flags write it (camelCase).</summary>
    public static string Name<T>(T value)
        where T : struct, Enum
    {
        var text = value.ToString();
        return char.ToLowerInvariant(text[0]) + text[1..];
    }

    private static bool IsNumber(JsonNode value, out JsonValue number)
    {
        number = (value as JsonValue)!;
        return value is JsonValue v && v.GetValueKind() == JsonValueKind.Number;
    }

    private sealed record TextKind() : SettingKind<string>("a string", "text", null)
    {
        public override Result<string> FromJson(JsonNode value) =>
            value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? Result.Ok(v.GetValue<string>()) : Wrong;

        public override JsonNode? ToJson(string value) => JsonValue.Create(value);

        public override string ToText(string value) => value;
    }

    private sealed record NaturalKind() : SettingKind<ulong>("a whole number from 0", "number", "N")
    {
        public override Result<ulong> FromJson(JsonNode value) =>
            IsNumber(value, out var v) && ulong.TryParse(v.ToJsonString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? Result.Ok(n) : Wrong;

        public override Result<ulong> FromText(string text) =>
            ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? Result.Ok(n)
                : new Problem($"takes a whole number of 0 or more, not '{text}'");

        public override JsonNode? ToJson(ulong value) => JsonValue.Create(value);

        public override string ToText(ulong value) => value.ToString(CultureInfo.InvariantCulture);
    }

    private sealed record WholeKind(int? Min) : SettingKind<int>(Min is { } m ? $"a whole number from {m}" : "a whole number", "number", "N")
    {
        public override Result<int> FromJson(JsonNode value) =>
            IsNumber(value, out var v) && int.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= (Min ?? int.MinValue)
                ? Result.Ok(n)
                : Wrong;

        public override Result<int> FromText(string text) =>
            int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= (Min ?? int.MinValue)
                ? Result.Ok(n)
                : new Problem($"takes {Expected}, not '{text}'");

        public override JsonNode? ToJson(int value) => JsonValue.Create(value);

        public override string ToText(int value) => value.ToString(CultureInfo.InvariantCulture);
    }

    private sealed record LongKind(long Min) : SettingKind<long>($"a whole number from {Min}", "number", "N")
    {
        public override Result<long> FromJson(JsonNode value) =>
            IsNumber(value, out var v) && long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= Min
                ? Result.Ok(n)
                : Wrong;

        public override Result<long> FromText(string text) =>
            long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= Min
                ? Result.Ok(n)
                : new Problem($"takes {Expected}, not '{text}'");

        public override JsonNode? ToJson(long value) => JsonValue.Create(value);

        public override string ToText(long value) => value.ToString(CultureInfo.InvariantCulture);
    }

    private sealed record NumberKind() : SettingKind<double>("a number", "number", "X")
    {
        public override Result<double> FromJson(JsonNode value) =>
            // A number too large for a double reads as infinity, which the core's own range checks name.
            IsNumber(value, out var v) && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var x)
                ? Result.Ok(x)
                : Wrong;

        public override Result<double> FromText(string text) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x)
                ? Result.Ok(x)
                : new Problem($"takes a number, not '{text}'");

        public override JsonNode? ToJson(double value) => JsonValue.Create(value);

        public override string ToText(double value) => value.ToString("R", CultureInfo.InvariantCulture);
    }

    private sealed record SwitchKind() : SettingKind<bool>("true or false", "checkbox", null)
    {
        public override Result<bool> FromJson(JsonNode value) =>
            value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? Result.Ok(v.GetValue<bool>()) : Wrong;

        public override Result<bool> FromText(string text) =>
            bool.TryParse(text, out var b) ? Result.Ok(b) : new Problem($"takes true or false, not '{text}'");

        public override JsonNode? ToJson(bool value) => JsonValue.Create(value);

        public override string ToText(bool value) => value ? "true" : "false";
    }

    private sealed record ChoiceKind<T>() : SettingKind<T>(Quoted(Names()), "choice", string.Join('|', Names()))
        where T : struct, Enum
    {
        public override ImmutableArray<string> Choices => Names();

        public override Result<T> FromJson(JsonNode value) =>
            value is JsonValue v && v.GetValueKind() == JsonValueKind.String && Parse(v.GetValue<string>()) is { } choice ? Result.Ok(choice) : Wrong;

        public override Result<T> FromText(string text) =>
            Parse(text) is { } choice ? Result.Ok(choice) : new Problem($"takes {Listed(Names())}, not '{text}'");

        public override JsonNode? ToJson(T value) => JsonValue.Create(Name(value));

        public override string ToText(T value) => Name(value);

        private static T? Parse(string text) =>
            Enum.GetValues<T>().Where(e => Name(e).Equals(text, StringComparison.OrdinalIgnoreCase)).Select(e => (T?)e).FirstOrDefault();

        private static ImmutableArray<string> Names() => [.. Enum.GetValues<T>().Select(e => Name(e))];
    }

    private sealed record SplitKind() : SettingKind<SplitRatios>("a string like \"0.8,0.1,0.1\"", "text", "TRAIN,VAL,TEST")
    {
        public override Result<SplitRatios> FromJson(JsonNode value) =>
            value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? Splitter.ParseRatios(v.GetValue<string>()) : Wrong;

        public override JsonNode? ToJson(SplitRatios value) => JsonValue.Create(ToText(value));

        public override string ToText(SplitRatios r) => string.Create(CultureInfo.InvariantCulture, $"{r.Train:R},{r.Validation:R},{r.Test:R}");

        public override Result<SplitRatios> FromText(string text) => Splitter.ParseRatios(text);
    }

    /// <summary>Null is <c>auto</c>; a list is written as the names, as a stored run's configuration shows them.</summary>
    private sealed record LogFeaturesKind() : SettingKind<ImmutableArray<string>?>(
        "\"auto\", \"none\", \"skewed\" or a list of feature names", "text", "auto|none|skewed|NAME,...")
    {
        public override Result<ImmutableArray<string>?> FromJson(JsonNode value) =>
            FeatureTransform.IsAuto(value)
                ? Result.Ok<ImmutableArray<string>?>(null)
                : FeatureTransform.FromJson(value).Map(names => (ImmutableArray<string>?)names);

        public override JsonNode? ToJson(ImmutableArray<string>? value) =>
            value is { } names ? new JsonArray([.. names.Select(n => (JsonNode?)JsonValue.Create(n))]) : JsonValue.Create("auto");

        public override string ToText(ImmutableArray<string>? value) =>
            value is not { } names ? "auto" : names.IsEmpty ? "none" : string.Join(',', names);

        /// <summary>The flag's text stays text: the request carries it as written (<c>skewed</c>), as a body would.</summary>
        public override Result<ImmutableArray<string>?> FromText(string text) => FromJson(JsonValue.Create(text));
    }

    private static string Listed(ImmutableArray<string> names) => names.Length == 1 ? names[0] : $"{string.Join(", ", names[..^1])} or {names[^1]}";

    private static string Quoted(ImmutableArray<string> names) => Listed([.. names.Select(n => $"\"{n}\"")]);
}
