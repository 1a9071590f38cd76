namespace Churn.Numerics.Data;

/// <summary>
/// A cheap pre-pass that guesses how many data rows a customer file holds (vectorized newline count, minus a header
/// and trailing blank lines), so the loader can allocate its arrays once at their final size instead of collecting
/// chunks and copying them. Only a guess: the loader stays correct when it is wrong, just slower.
/// </summary>
internal static class RowEstimate
{
    private const int BlockBytes = 1 << 20;
    private const int TailBytes = 1 << 12;
    private const int MinRowBytes = 24;

    /// <summary>
    /// The likely data row count; 0 when the stream cannot be scanned and rewound. It reads no further than the
    /// length the file reports (a device such as <c>/dev/zero</c> reports 0 and is never scanned) and stops when
    /// <paramref name="cancel"/> is.
    /// </summary>
    public static int Of(Stream file, CancellationToken cancel = default)
    {
        if (!file.CanSeek || file.Length == 0)
        {
            return 0;
        }
        var buffer = new byte[BlockBytes];
        long newlines = 0;
        long carriageReturns = 0;
        var head = Array.Empty<byte>();
        var length = file.Length;
        long scanned = 0;
        int read;
        while (scanned < length && (read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, length - scanned))) > 0)
        {
            cancel.ThrowIfCancellationRequested();
            scanned += read;
            var block = buffer.AsSpan(0, read);
            if (head.Length == 0)
            {
                head = block[..Math.Min(read, TailBytes)].ToArray();
            }
            newlines += block.Count((byte)'\n');
            carriageReturns += block.Count((byte)'\r');
        }
        var tail = new byte[(int)Math.Min(length, TailBytes)];
        file.Seek(length - tail.Length, SeekOrigin.Begin);
        file.ReadExactly(tail);
        file.Seek(0, SeekOrigin.Begin);

        // Old Mac files end lines with a bare CR.
        var separator = newlines == 0 && carriageReturns > 0 ? (byte)'\r' : (byte)'\n';
        var lines = separator == '\n' ? newlines : carriageReturns;
        if (tail.Length > 0 && tail[^1] != separator)
        {
            lines++;
        }
        lines -= TrailingBlankLines(tail, separator);
        if (StartsWithHeader(head))
        {
            lines--;
        }
        // A row takes at least 24 bytes ("1,0,0,0,0,0,0,0,0,0,0,0\n"): a file full of stray newlines cannot make the
        // loader reserve more than a real file of its size would need.
        return (int)Math.Clamp(Math.Min(lines, length / MinRowBytes), 0, int.MaxValue / Schema.FeatureCount);
    }

    private static int TrailingBlankLines(ReadOnlySpan<byte> tail, byte separator)
    {
        var blank = 0;
        var end = tail.Length;
        if (end > 0 && tail[end - 1] == separator)
        {
            end--;
        }
        while (end > 0)
        {
            var start = tail[..end].LastIndexOf(separator) + 1;
            if (!IsBlank(tail[start..end]) || start == 0)
            {
                break;
            }
            blank++;
            end = start - 1;
        }
        return blank;
    }

    private static bool IsBlank(ReadOnlySpan<byte> line) => line.IndexOfAnyExcept(" \t\r\n"u8) < 0;

    /// <summary>A header's first field starts with a letter (after a BOM, spaces or a quote); a data row's with a number.</summary>
    private static bool StartsWithHeader(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            head = head[3..];
        }
        var first = head.IndexOfAnyExcept(" \t\"'"u8);
        return first >= 0 && char.IsAsciiLetter((char)head[first]);
    }
}
