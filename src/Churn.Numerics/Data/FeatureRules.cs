namespace Churn.Numerics.Data;

/// <summary>
/// What a raw (not standardized) behaviour value may be, wherever customers come from (a CSV file, a JSON request):
/// finite, of plausible size, never negative, the review flag 0 or 1, the review score from 0 to 10, completion from
/// 0 to 1.
/// </summary>
public static class FeatureRules
{
    /// <summary>The largest size a value may have: squares and sums of values near 1e308 overflow in the scaler.</summary>
    public const double MaxMagnitude = 1e100;

    private static readonly int Review = Schema.FeatureNames.IndexOf("review");
    private static readonly int ReviewScore = Schema.FeatureNames.IndexOf("review_score");
    private static readonly int Completion = Schema.FeatureNames.IndexOf("completion");

    /// <summary>
    /// Why <paramref name="value"/> cannot be behaviour <paramref name="feature"/> (its index in
    /// <see cref="Schema.FeatureNames"/>), or null when it can. A <paramref name="standardized"/> value is only checked
    /// to be a finite number of plausible size: its scale is no longer the behaviour's.
    /// </summary>
    public static string? Check(int feature, double value, bool standardized = false)
    {
        if (!double.IsFinite(value))
        {
            return "expected a finite number (NaN and infinities are not allowed)";
        }
        if (Math.Abs(value) > MaxMagnitude)
        {
            return $"is implausibly large: values must be at most {MaxMagnitude:0e0} in size";
        }
        if (standardized)
        {
            return null;
        }
        if (feature == Review && value is not (0 or 1))
        {
            return "the review flag must be 0 or 1";
        }
        if (feature == ReviewScore && value is < 0 or > 10)
        {
            return "the review score must be between 0 and 10";
        }
        if (feature == Completion && value is < 0 or > 1)
        {
            return "completion must be between 0 and 1";
        }
        return value < 0 ? "must not be negative" : null;
    }
}
