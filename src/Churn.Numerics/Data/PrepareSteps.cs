namespace Churn.Numerics.Data;

/// <summary>The scale step's result: the balanced rows standardized, and the parameters fitted on them.</summary>
public sealed record ScaledData(Dataset Scaled, ScalerParameters Scaler);

/// <summary>
/// The preparation's steps, each with its arguments taken from <see cref="PrepareOptions"/> here and nowhere else. A
/// run calls them one stage actor at a time (in the order of <c>RunStages.Preparation</c>); a search calls them
/// through <see cref="Preparation.Prepare"/>, which composes them in the same order. Each step derives its own random
/// stream from the seed, so the two give the same splits.
/// </summary>
public static class PrepareSteps
{
    /// <summary>Keeps every buyer and undersamples non-buyers as <see cref="PrepareOptions.Balance"/> says.</summary>
    public static Result<Balanced> Balance(LoadedData loaded, PrepareOptions options) =>
        Balancer.Balance(loaded.Data, options.Balance, options.Seed);

    /// <summary>Standardizes the balanced rows (the <see cref="PrepareOptions.LogFeatures"/> as ln(1 + x)), fitted on them.</summary>
    public static ScaledData Scale(Balanced balanced, PrepareOptions options)
    {
        var (scaled, scaler) = Scaler.FitApply(balanced.Data, options.LogFeatures);
        return new ScaledData(scaled, scaler);
    }

    /// <summary>Shuffles with the seed and splits into train, validation and test.</summary>
    public static Result<Splits> Split(ScaledData scaled, PrepareOptions options) =>
        Splitter.Split(scaled.Scaled, options.Ratios, options.Seed, options.Stratify);

    /// <summary>
    /// The non-buyers balancing left out, standardized as the splits were: what a run scores besides the test split
    /// (evaluation and explanation both). Empty when balancing dropped nobody.
    /// </summary>
    public static Dataset LeftOut(LoadedData loaded, Balanced balanced, ScalerParameters scaler)
    {
        var rows = DatasetRows.Select(loaded.Data, balanced.LeftOut.AsSpan());
        return rows with { Inputs = Scaler.Apply(scaler, rows.Inputs) };
    }
}
