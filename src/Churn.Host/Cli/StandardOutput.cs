using System.Text;
using System.Text.RegularExpressions;

namespace Churn.Host.Cli;

/// <summary>
/// Standard output belongs to the command's result (a summary, <c>--json</c> metrics, scores): libraries that write to
/// <see cref="Console.Out"/> on their own are sent to stderr instead, except Akka's fallback logger: while the actor
/// system starts or stops, its own lines (<c>[INFO][time][thread][CoordinatedShutdown...]</c>) bypass the configured
/// loggers; they are dropped here, as the log files already have what matters.
/// </summary>
public static partial class StandardOutput
{
    public static TextWriter Writer { get; private set; } = Console.Out;

    /// <summary>Keeps the real stdout for <see cref="Writer"/> and points <see cref="Console.Out"/> at stderr, without Akka's raw lines.</summary>
    public static void Reserve()
    {
        Writer = Console.Out;
        Console.SetOut(TextWriter.Synchronized(new WithoutAkkaLines(Console.Error)));
    }

    /// <summary>Whether <paramref name="line"/> is one of Akka's standard-out logger lines.</summary>
    public static bool IsAkkaLine(string line) => AkkaLine().IsMatch(line);

    [GeneratedRegex(@"^\[(DEBUG|INFO|WARNING|ERROR)\]\[")]
    private static partial Regex AkkaLine();

    /// <summary>Passes whole lines on to <paramref name="inner"/>, except Akka's.</summary>
    private sealed class WithoutAkkaLines(TextWriter inner) : TextWriter
    {
        private readonly StringBuilder _line = new();

        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            if (value == '\n')
            {
                var line = _line.ToString();
                _line.Clear();
                if (!IsAkkaLine(line))
                {
                    inner.WriteLine(line.TrimEnd('\r'));
                }

                return;
            }

            _line.Append(value);
        }

        public override void Write(string? value)
        {
            foreach (var c in value ?? "")
            {
                Write(c);
            }
        }

        public override void Flush()
        {
            if (_line.Length > 0 && _line[0] != '[')
            {
                inner.Write(_line.ToString());
                _line.Clear();
            }

            inner.Flush();
        }
    }
}
