using System.Globalization;
using System.Text;

namespace Churn.Host.Logging;

/// <summary>Text for a terminal: what users and requests give (paths, ids) is shown, never obeyed.</summary>
public static class ConsoleText
{
    /// <summary>
    /// <paramref name="text"/> with every control character (C0, DEL, C1) written as an escape (<c>\n</c>, <c>\r</c>,
    /// <c>\t</c>, <c>\e</c>, <c>\x07</c>, <c>\u009b</c>), so a string cannot start a forged line or send the terminal
    /// a command. <paramref name="keepNewlines"/> keeps line feeds (a stack trace's lines).
    /// </summary>
    public static string Printable(string text, bool keepNewlines = false)
    {
        if (!text.Any(c => char.IsControl(c) && !(keepNewlines && c == '\n')))
        {
            return text;
        }

        var safe = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (!char.IsControl(c) || (keepNewlines && c == '\n'))
            {
                safe.Append(c);
                continue;
            }

            safe.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\u001b' => "\\e",
                < '\u0080' => string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"),
                _ => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
            });
        }

        return safe.ToString();
    }
}
