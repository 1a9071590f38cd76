namespace Churn.Numerics.Data;

/// <summary>
/// What a value of the customer file may be, column by column: one definition for every format the customers come in
/// (CSV text, Parquet columns), so a value refused in one is refused in the other with the same reason.
/// </summary>
public static class CustomerFields
{
    /// <inheritdoc cref="FeatureRules.MaxMagnitude"/>
    public const double MaxMagnitude = FeatureRules.MaxMagnitude;

    /// <summary>The schema name of field <paramref name="index"/> in a row of the customer file (0: the ID, 1..10 the behaviours, 11 the target).</summary>
    public static string ColumnName(int index) => index switch
    {
        0 => Schema.IdColumn,
        _ when index <= Schema.FeatureCount => Schema.FeatureNames[index - 1],
        _ => Schema.TargetColumn,
    };

    // Every check takes the field's text as the file holds it (empty for a binary format, whose value is shown
    // instead) and builds its message only when it refuses, so the checks cost nothing on good rows.

    /// <summary>Why <paramref name="value"/> cannot be a number of the file at all; null when it can.</summary>
    public static string? NumberProblem(double value, ReadOnlySpan<char> text)
    {
        if (!double.IsFinite(value))
        {
            return $"expected a finite number, got '{Shown(value, text)}' (NaN and infinities are not allowed)";
        }
        // Squares and sums of values near 1e308 overflow in the scaler; no behaviour is measured in such numbers.
        return Math.Abs(value) > MaxMagnitude ? $"{Shown(value, text)} is implausibly large: values must be at most {MaxMagnitude:0e0} in size" : null;
    }

    /// <summary>
    /// Why <paramref name="value"/> cannot be behaviour <paramref name="index"/> (1..10); null when it can. With
    /// <paramref name="standardized"/> any number of plausible size is a behaviour, negative ones included.
    /// </summary>
    public static string? FeatureProblem(int index, double value, bool standardized, ReadOnlySpan<char> text)
    {
        if (NumberProblem(value, text) is { } numeric)
        {
            return numeric;
        }
        // The behaviours' ranges are FeatureRules', the one definition a JSON request is checked by too.
        return standardized ? null : FeatureRules.Check(index - 1, value) is { } reason ? $"{reason}, got '{Shown(value, text)}'" : null;
    }

    /// <summary>Why <paramref name="value"/> cannot be a target; null when it is 0 or 1.</summary>
    public static string? TargetProblem(double value, ReadOnlySpan<char> text) =>
        NumberProblem(value, text) ?? (value is 0 or 1 ? null : $"must be 0 or 1, got '{Shown(value, text)}'");

    /// <summary>The whole-number ID <paramref name="value"/> is (spreadsheet exports write "994.0"), or the reason it is none.</summary>
    public static string? IdProblem(double value, ReadOnlySpan<char> text, out long id)
    {
        id = 0;
        if (NumberProblem(value, text) is { } numeric)
        {
            return numeric;
        }
        if (value == Math.Floor(value) && Math.Abs(value) <= (1L << 53))
        {
            id = (long)value;
            return null;
        }
        return $"customer ID must be a whole number, got '{Shown(value, text)}'";
    }

    /// <summary>A value as the messages show it: its text in the file, or the number when the format stores numbers.</summary>
    public static string Shown(double value, ReadOnlySpan<char> text) =>
        text.IsEmpty ? value.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : Shorten(text);

    /// <summary>A field as the messages show it: trimmed, at most 40 characters.</summary>
    public static string Shorten(ReadOnlySpan<char> field)
    {
        const int max = 40;
        var text = field.Trim();
        return text.Length <= max ? text.ToString() : string.Concat(text[..max], "…");
    }
}
