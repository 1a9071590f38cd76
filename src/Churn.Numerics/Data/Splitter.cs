namespace Churn.Numerics.Data;

/// <summary>Seeded shuffle, then train/validation/test.</summary>
public static class Splitter
{
    /// <summary>Parses "0.8,0.1,0.1".</summary>
    public static Result<SplitRatios> ParseRatios(string text) => throw new NotImplementedException();

    public static Result<Splits> Split(Dataset data, SplitRatios ratios, ulong seed, bool stratify) =>
        throw new NotImplementedException();
}
