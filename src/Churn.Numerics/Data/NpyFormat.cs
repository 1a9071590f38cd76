using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Churn.Numerics.Data;

/// <summary>The header of one numpy <c>.npy</c> array: element type, memory order and shape.</summary>
internal sealed record NpyHeader(string Descr, bool FortranOrder, ImmutableArray<long> Shape);

/// <summary>
/// numpy's <c>.npy</c> array format (numpy.lib.format): the magic string, a version, a little-endian header length,
/// then a Python dict literal padded with spaces and a newline so the data starts on a 64-byte boundary.
/// </summary>
internal static partial class NpyFormat
{
    /// <summary>numpy pads headers so the data is aligned to this many bytes.</summary>
    private const int Alignment = 64;

    /// <summary>numpy leaves room for the growing axis to reach this many digits, so an append can rewrite the header in place.</summary>
    private const int GrowthAxisMaxDigits = 21;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Writes a version 1.0 header the way numpy's <c>write_array_header_1_0</c> does.</summary>
    public static void WriteHeader(Stream stream, string descr, bool fortranOrder, ReadOnlySpan<long> shape)
    {
        var dims = string.Join(", ", shape.ToArray().Select(d => d.ToString(CultureInfo.InvariantCulture)));
        var shapeText = shape.Length == 1 ? $"({dims},)" : $"({dims})";
        var dict = $"{{'descr': '{descr}', 'fortran_order': {(fortranOrder ? "True" : "False")}, 'shape': {shapeText}, }}";
        var growing = shape.Length == 0 ? 0 : shape[fortranOrder ? ^1 : 0].ToString(CultureInfo.InvariantCulture).Length;
        dict += new string(' ', Math.Max(0, GrowthAxisMaxDigits - growing));
        // Magic (6) + version (2) + length (2) + dict + '\n', rounded up to the alignment.
        var unpadded = Magic.Length + 2 + 2 + dict.Length + 1;
        var padding = (Alignment - (unpadded % Alignment)) % Alignment;
        var header = Encoding.ASCII.GetBytes(dict + new string(' ', padding) + "\n");

        Span<byte> prefix = stackalloc byte[10];
        Magic.CopyTo(prefix);
        prefix[6] = 1;
        prefix[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(prefix[8..], checked((ushort)header.Length));
        stream.Write(prefix);
        stream.Write(header);
    }

    /// <summary>Reads and parses a header of format version 1.0, 2.0 or 3.0; the stream is left at the first data byte.</summary>
    public static Result<NpyHeader> ReadHeader(Stream stream, Func<string, Problem> fail)
    {
        Span<byte> prefix = stackalloc byte[8];
        if (!TryReadExactly(stream, prefix) || !prefix[..6].SequenceEqual(Magic))
        {
            return fail("is not a numpy .npy array (bad magic string)");
        }
        var major = prefix[6];
        int length;
        if (major == 1)
        {
            Span<byte> size = stackalloc byte[2];
            if (!TryReadExactly(stream, size))
            {
                return fail("has a truncated .npy header");
            }
            length = BinaryPrimitives.ReadUInt16LittleEndian(size);
        }
        else if (major is 2 or 3)
        {
            Span<byte> size = stackalloc byte[4];
            if (!TryReadExactly(stream, size))
            {
                return fail("has a truncated .npy header");
            }
            var wide = BinaryPrimitives.ReadUInt32LittleEndian(size);
            if (wide > 1 << 20)
            {
                return fail($"has an implausible .npy header length {wide}");
            }
            length = (int)wide;
        }
        else
        {
            return fail($"uses .npy format version {major}.{prefix[7]}, which this reader does not know (1.0 to 3.0)");
        }
        var bytes = new byte[length];
        if (!TryReadExactly(stream, bytes))
        {
            return fail("has a truncated .npy header");
        }
        var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes);
        return Parse(text, fail);
    }

    /// <summary>Fills <paramref name="buffer"/> from the stream; false when the stream ends first.</summary>
    public static bool TryReadExactly(Stream stream, Span<byte> buffer)
    {
        try
        {
            stream.ReadExactly(buffer);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }

    private static Result<NpyHeader> Parse(string text, Func<string, Problem> fail)
    {
        var descr = DescrPattern().Match(text);
        var order = FortranPattern().Match(text);
        var shape = ShapePattern().Match(text);
        if (!descr.Success || !order.Success || !shape.Success)
        {
            return fail($"has a .npy header this reader cannot parse (a structured or object array?): {text.Trim()}");
        }
        var dims = ImmutableArray.CreateBuilder<long>();
        foreach (var part in shape.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!long.TryParse(part.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out var dim))
            {
                return fail($"has a .npy shape this reader cannot parse: ({shape.Groups[1].Value})");
            }
            dims.Add(dim);
        }
        return Result.Ok(new NpyHeader(descr.Groups[1].Value, order.Groups[1].Value == "True", dims.ToImmutable()));
    }

    [GeneratedRegex(@"['""]descr['""]\s*:\s*['""]([^'""]*)['""]")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"['""]fortran_order['""]\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"['""]shape['""]\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
