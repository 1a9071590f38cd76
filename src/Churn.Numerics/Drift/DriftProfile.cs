using System.Collections.Immutable;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Drift;

/// <summary>
/// How one quantity was distributed among a model's training customers: its deciles (10th to 90th percentile, linear
/// interpolation as numpy's default) and the share of those customers in each bin the distinct deciles cut (a value
/// falls in the first bin whose upper edge it does not exceed; the last bin is open). The shares, not a flat tenth,
/// are what a later distribution is compared with: a behaviour where most customers share one value (no minutes
/// listened, no review) has fewer than ten distinct deciles and unequal bins.
/// </summary>
public sealed record QuantityProfile(string Name, ImmutableArray<double> Deciles, ImmutableArray<double> Shares)
{
    /// <summary>The distinct deciles in increasing order: the upper edges of every bin but the last.</summary>
    public ImmutableArray<double> Edges() => [.. Deciles.Distinct().Order()];

    /// <summary>The median of the training customers (the 5th decile).</summary>
    public double Median => Deciles[DriftProfile.Deciles.Length / 2];
}

/// <summary>
/// What a model's training customers looked like: the distribution of each behaviour (raw, as in the customer file)
/// and of the model's uncalibrated score on them. Stored in <c>model.json</c>, so that every later scoring can say
/// how far the customers it scores have moved from those the model learned from (<see cref="DriftCheck"/>).
/// </summary>
public sealed record DriftProfile(int Rows, ImmutableArray<QuantityProfile> Behaviours, QuantityProfile Score)
{
    /// <summary>The name the score's distribution goes by in profiles and reports.</summary>
    public const string ScoreName = "score";

    /// <summary>The probabilities whose quantiles are kept: 0.1, 0.2, ..., 0.9.</summary>
    public static readonly ImmutableArray<double> Deciles = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

    /// <summary>The profile of raw behaviour columns <paramref name="inputs"/> named <paramref name="names"/> and their <paramref name="scores"/>.</summary>
    public static DriftProfile Of(ImmutableArray<string> names, Matrix<double> inputs, ImmutableArray<double> scores) =>
        new(inputs.RowCount, [.. names.Select((name, c) => Quantity(name, inputs.Column(c).ToArray()))], Quantity(ScoreName, [.. scores]));

    /// <summary>The profile of one quantity; <paramref name="values"/> is sorted in place (the caller's own copy).</summary>
    internal static QuantityProfile Quantity(string name, double[] values)
    {
        Array.Sort(values);
        var deciles = Deciles.Select(p => Quantile(values, p)).ToImmutableArray();
        var edges = deciles.Distinct().Order().ToArray();
        var counts = new double[edges.Length + 1];
        foreach (var v in values)
        {
            counts[Bin(edges, v)]++;
        }
        return new QuantityProfile(name, deciles, [.. counts.Select(c => c / values.Length)]);
    }

    /// <summary>The bin of <paramref name="value"/>: the first edge it does not exceed, or past the last edge.</summary>
    internal static int Bin(ReadOnlySpan<double> edges, double value)
    {
        var at = edges.BinarySearch(value);
        return at >= 0 ? at : ~at;
    }

    /// <summary>The <paramref name="p"/>-quantile of sorted values, interpolated linearly between neighbours (numpy's default).</summary>
    internal static double Quantile(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        var position = p * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }

    /// <summary>Why a profile read from a file cannot be used, or null: checked when a model is loaded and before it is saved.</summary>
    public Problem? Check(ImmutableArray<string> featureNames)
    {
        if (Behaviours.IsDefault || Score is null || !Behaviours.Select(b => b?.Name).SequenceEqual(featureNames))
        {
            return new Problem("the drift profile must describe each of the model's features, in order, and its score", Column: "drift");
        }
        foreach (var q in Behaviours.Append(Score))
        {
            if (q.Deciles.IsDefault || q.Deciles.Length != Deciles.Length || q.Deciles.Any(d => !double.IsFinite(d))
                || q.Shares.IsDefault || q.Shares.Length != q.Edges().Length + 1 || q.Shares.Any(s => !(s >= 0 && s <= 1)) || Math.Abs(q.Shares.Sum() - 1) > 1e-6)
            {
                return new Problem($"the drift profile of '{q.Name}' needs {Deciles.Length} finite deciles and one share per bin, summing to 1", Column: "drift");
            }
        }
        return Rows < 1 ? new Problem("the drift profile needs at least one customer", Column: "drift.rows") : null;
    }
}
