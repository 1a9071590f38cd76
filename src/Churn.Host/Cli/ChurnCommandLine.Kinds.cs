using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json.Nodes;
using Churn.Host.Configuration;
using Churn.Numerics;

namespace Churn.Host.Cli;

/// <summary>The kinds of option the verbs take (text, choice, whole number, share, amount, switch), each reading and checking its value.</summary>
public static partial class ChurnCommandLine
{
    /// <summary>The flags of the rows used by <paramref name="uses"/> (and of those used everywhere).</summary>
    private static IEnumerable<Option> RunFlags(params SettingUse[] uses) =>
        RunOptions.Where(o => o.Field.Use == SettingUse.Everywhere || uses.Contains(o.Field.Use)).Select(o => o.Option);

    private static Option RunOption(string field) => RunOptions.Single(o => o.Field.Name == field).Option;

    /// <summary>
    /// A row's flag: a switch, or a value checked as the row checks it (so a bad value is a usage error before
    /// anything runs), its default the shipped configuration's.
    /// </summary>
    private static Option FromTable(SettingField field)
    {
        var flag = field.Flag!;
        if (field.IsSwitch)
        {
            return Flag(flag, field.Help);
        }

        var option = Text(flag, field.HelpName ?? "VALUE", field.Help, null);
        if (!field.Choices.IsEmpty)
        {
            option.CompletionSources.Add([.. field.Choices]);
        }
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && field.FromFlag(r.Tokens[0].Value) is Result<JsonNode?>.Error { Problem.Reason: var reason })
            {
                r.AddError(reason.StartsWith("takes ", StringComparison.Ordinal) ? $"{flag} {reason}" : $"{flag}: {reason}");
            }
        });
        return option;
    }

    private static Option<string> Text(string name, string helpName, string description, string? defaultValue)
    {
        var option = new Option<string>(name) { Description = description, HelpName = helpName };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue;
        }

        return option;
    }

    /// <summary>A repeatable option whose every value must be one of <paramref name="allowed"/>.</summary>
    private static Option<string[]> Choices(string name, string description, string[] allowed)
    {
        var option = new Option<string[]>(name) { Description = description, HelpName = string.Join('|', allowed), AllowMultipleArgumentsPerToken = false };
        option.CompletionSources.Add(allowed);
        option.Validators.Add(r =>
        {
            foreach (var token in r.Tokens.Where(t => !allowed.Contains(t.Value)))
            {
                r.AddError($"{name} takes {string.Join(", ", allowed[..^1])} or {allowed[^1]}, not '{token.Value}'");
            }
        });
        return option;
    }

    private static Option<string> Choice(string name, string description, string[] allowed, string? defaultValue)
    {
        var option = Text(name, string.Join('|', allowed), description, defaultValue);
        option.CompletionSources.Add(allowed);
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && !allowed.Contains(r.Tokens[0].Value))
            {
                r.AddError($"{name} takes {string.Join(", ", allowed[..^1])} or {allowed[^1]}, not '{r.Tokens[0].Value}'");
            }
        });
        return option;
    }

    private static Option<bool> Flag(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.Zero };

    private static Option<int> Whole(string name, string helpName, string description, int? defaultValue, int min = int.MinValue, int max = int.MaxValue)
    {
        var option = new Option<int>(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = r => int.TryParse(r.Tokens[0].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                ? n
                : Error<int>(r, $"{name} takes a whole number, not '{r.Tokens[0].Value}'"),
        };
        if (defaultValue is { } d)
        {
            option.DefaultValueFactory = _ => d;
        }

        if (min != int.MinValue || max != int.MaxValue)
        {
            option.Validators.Add(r =>
            {
                if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[0].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) && (v < min || v > max))
                {
                    r.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} takes a whole number from {min} to {max}, not '{r.Tokens[0].Value}'"));
                }
            });
        }

        return option;
    }

    private static Option<double> Share(string name, string helpName, string description) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = r => double.TryParse(r.Tokens[0].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && v < 1
            ? v
            : Error<double>(r, $"{name} takes a share between 0 and 1 (exclusive), not '{r.Tokens[0].Value}'"),
    };

    private static Option<double> Amount(string name, string helpName, string description, double? defaultValue, bool allowZero)
    {
        var option = new Option<double>(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = r => double.TryParse(r.Tokens[0].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && (v > 0 || (allowZero && v == 0))
                ? v
                : Error<double>(r, $"{name} takes a number {(allowZero ? "of at least 0" : "above 0")}, not '{r.Tokens[0].Value}'"),
        };
        if (defaultValue is { } d)
        {
            option.DefaultValueFactory = _ => d;
        }

        return option;
    }

    private static T Error<T>(ArgumentResult r, string message)
    {
        r.AddError(message);
        return default!;
    }

    private static void CheckUrl(OptionResult r)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            r.AddError($"--host takes a URL such as http://127.0.0.1:5080, not '{text}'");
        }
    }

    private static string[] Names<T>()
        where T : struct, Enum => [.. Enum.GetValues<T>().Select(v => Name(v))];

    /// <summary>An enum value as the configuration files and flags write it (camelCase, as the JSON options do).</summary>
    public static string Name<T>(T value)
        where T : struct, Enum
    {
        var text = value.ToString();
        return char.ToLowerInvariant(text[0]) + text[1..];
    }
}
