using System.Globalization;

namespace Churn.Numerics.Data;

/// <summary>
/// Number parsing for the loader's hot loop. Plain decimals such as <c>19.73</c> take an exact fast path; anything
/// else (exponents, whitespace, long mantissas, NaN) goes to <see cref="double.TryParse(ReadOnlySpan{char}, NumberStyles, IFormatProvider, out double)"/>
/// with the invariant culture, so results are always identical to it.
/// </summary>
internal static class DecimalText
{
    private const int MaxFastDigits = 15;

    private static readonly double[] PowersOfTen =
        [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

    public static bool TryParse(ReadOnlySpan<char> text, out double value) =>
        TryParseFast(text, out value)
        || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>
    /// Clinger's fast path: with at most 15 digits the mantissa and the power of ten are both exact doubles, so the
    /// one IEEE division is correctly rounded and equals what a full decimal-to-binary conversion gives.
    /// </summary>
    private static bool TryParseFast(ReadOnlySpan<char> text, out double value)
    {
        value = 0;
        var i = 0;
        var negative = false;
        if (text.Length > 0 && text[0] is '-' or '+')
        {
            negative = text[0] == '-';
            i = 1;
        }
        ulong mantissa = 0;
        var digits = 0;
        var fraction = -1;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            var digit = (uint)(c - '0');
            if (digit <= 9)
            {
                mantissa = (mantissa * 10) + digit;
                digits++;
                if (fraction >= 0)
                {
                    fraction++;
                }
            }
            else if (c == '.' && fraction < 0)
            {
                fraction = 0;
            }
            else
            {
                return false;
            }
        }
        if (digits == 0 || digits > MaxFastDigits)
        {
            return false;
        }
        var magnitude = fraction > 0 ? mantissa / PowersOfTen[fraction] : mantissa;
        value = negative ? -magnitude : magnitude;
        return true;
    }
}
