using System.Collections.Immutable;
using System.Globalization;
using Churn.Numerics;

namespace Churn.Host.Cli;

/// <summary>The arguments of a <c>churn bench</c> measurement (internal, driven by bench/ scripts; the user-facing verbs are defined in <see cref="ChurnCommandLine"/>).</summary>
public sealed record Arguments(string Verb, ImmutableDictionary<string, string> Options, ImmutableHashSet<string> Flags)
{
    public bool Verbose => Flags.Contains("verbose");

    public bool Has(string name) => Options.ContainsKey(name) || Flags.Contains(name);

    public string? Get(string name) => Options.TryGetValue(name, out var v) ? v : null;

    /// <summary>
    /// Parses <paramref name="args"/> after the verb: <paramref name="valued"/> options take the next word,
    /// <paramref name="flags"/> stand alone; anything else is a usage error naming the word.
    /// </summary>
    public static Result<Arguments> Parse(string verb, IReadOnlyList<string> args, IReadOnlyCollection<string> valued, IReadOnlyCollection<string> flags)
    {
        var options = ImmutableDictionary.CreateBuilder<string, string>();
        var set = ImmutableHashSet.CreateBuilder<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var word = args[i];
            if (!word.StartsWith("--", StringComparison.Ordinal) || word.Length == 2)
            {
                return Usage($"unexpected argument '{word}'");
            }

            var name = word[2..];
            string? inline = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                inline = name[(eq + 1)..];
                name = name[..eq];
            }

            if (flags.Contains(name) && inline is null)
            {
                set.Add(name);
            }
            else if (valued.Contains(name))
            {
                var value = inline ?? (i + 1 < args.Count ? args[++i] : null);
                if (value is null)
                {
                    return Usage($"--{name} needs a value");
                }

                if (options.ContainsKey(name))
                {
                    return Usage($"--{name} is given twice");
                }

                options[name] = value;
            }
            else
            {
                var known = string.Join(", ", valued.Concat(flags).Order(StringComparer.Ordinal).Select(o => "--" + o));
                return Usage($"unknown option '--{name}' for 'churn {verb}' (known: {known})");
            }
        }

        return Result.Ok(new Arguments(verb, options.ToImmutable(), set.ToImmutable()));
    }

    public Result<ulong?> UInt64(string name)
    {
        if (Get(name) is not { } text)
        {
            return Result.Ok<ulong?>(null);
        }

        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? Result.Ok<ulong?>(value)
            : Usage<ulong?>($"--{name} takes a whole number ≥ 0, not '{text}'");
    }

    public Result<int?> Int32(string name, int min, int max)
    {
        if (Get(name) is not { } text)
        {
            return Result.Ok<int?>(null);
        }

        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? Result.Ok<int?>(value)
            : Usage<int?>($"--{name} takes a whole number from {min} to {max}, not '{text}'");
    }

    private static Result<Arguments> Usage(string reason) => Usage<Arguments>(reason);

    private static Result<T> Usage<T>(string reason) => Result.Fail<T>(reason);
}
