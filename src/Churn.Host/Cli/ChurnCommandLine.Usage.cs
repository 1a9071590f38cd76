using System.Collections.Immutable;
using System.CommandLine;
using System.CommandLine.Parsing;

namespace Churn.Host.Cli;

/// <summary>How the command line reports a usage error: each on its own line, the closest known word for a typo, exit 2.</summary>
public static partial class ChurnCommandLine
{
    /// <summary>A usage error found after parsing (e.g. a combination of options): printed like the parser's own, exit 2.</summary>
    public static int Usage(string message, string? verb = null)
    {
        Console.Error.WriteLine($"churn: {Logging.ConsoleText.Printable(message)}");
        Console.Error.WriteLine(verb is null ? "run 'churn --help' for the commands" : $"run 'churn {verb} --help' for its options");
        return 2;
    }

    /// <summary>Every parse error on its own line, with the closest known verb or option for a mistyped one.</summary>
    private static int UsageErrors(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        // `churn help VERB` takes a verb: a mistyped one is matched against the verbs.
        var words = command.Name == "help" ? Command : command;
        var known = words.Subcommands.Where(s => !s.Hidden && s.Name != "help").Select(s => s.Name)
            .Concat(command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)))
            .ToImmutableArray();
        // "Required command was not provided" says nothing more than an unknown verb's own error does.
        foreach (var error in parse.Errors.Where(e => parse.Errors.Count == 1 || e.SymbolResult is not CommandResult || e.Message.Contains('\'', StringComparison.Ordinal)))
        {
            // Some of the parser's messages list values on lines of their own: one line each here, like ours.
            var message = string.Join(' ', error.Message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Console.Error.WriteLine($"churn: {Logging.ConsoleText.Printable(message)}");
        }

        foreach (var token in parse.UnmatchedTokens.Concat(parse.Errors.Select(e => e.Message).SelectMany(Quoted)).Distinct())
        {
            if (Suggest(token, known) is { } suggestion)
            {
                Console.Error.WriteLine($"churn: did you mean '{suggestion}'?");
            }
        }

        var path = command == Command ? "churn" : $"churn {command.Name}";
        Console.Error.WriteLine($"run '{path} --help' for {(command == Command ? "the commands" : "its options")}");
        return 2;
    }

    private static IEnumerable<string> Quoted(string message)
    {
        var parts = message.Split('\'');
        for (var i = 1; i < parts.Length; i += 2)
        {
            yield return parts[i];
        }
    }

    /// <summary>The known word closest to <paramref name="token"/>, if it is close enough to be a typo.</summary>
    public static string? Suggest(string token, IReadOnlyCollection<string> known)
    {
        if (known.Contains(token))
        {
            return null;
        }

        var best = known
            .Select(k => (Word: k, Distance: Distance(token.TrimStart('-'), k.TrimStart('-'))))
            .Where(k => token.StartsWith('-') == k.Word.StartsWith('-'))
            .OrderBy(k => k.Distance)
            .ThenBy(k => k.Word, StringComparer.Ordinal)
            .FirstOrDefault();
        var bare = token.TrimStart('-');
        return best.Word is not null && (best.Distance <= Math.Max(1, bare.Length / 3) || (bare.Length >= 3 && best.Word.TrimStart('-').StartsWith(bare, StringComparison.Ordinal)))
            ? best.Word
            : null;
    }

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }
}
