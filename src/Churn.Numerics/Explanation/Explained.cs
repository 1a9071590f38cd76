using System.Collections.Immutable;
using System.Globalization;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Model;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Explanation;

/// <summary>One behaviour's part in a customer's score, for people.</summary>
/// <param name="Feature">The behaviour's name.</param>
/// <param name="Value">The customer's value, as in the customer file.</param>
/// <param name="LogOdds">Its contribution to the log-odds.</param>
public sealed record Reason(string Feature, double Value, double LogOdds)
{
    /// <summary>By how much the odds of buying again are multiplied (above 1) or divided (below 1) by this behaviour.</summary>
    public double OddsFactor => Math.Exp(LogOdds);

    /// <summary>e.g. <c>minutes_listened = 0 (lowers the odds x5.1)</c>.</summary>
    public override string ToString()
    {
        var value = Value.ToString("G6", CultureInfo.InvariantCulture);
        return LogOdds == 0 ? $"{Feature} = {value} (no effect)"
            : $"{Feature} = {value} ({(LogOdds > 0 ? "raises" : "lowers")} the odds {Factor(LogOdds)})";
    }

    /// <summary>The most a factor is shown as: beyond it the figure says only how extreme the customer is.</summary>
    public const double ShownFactorCap = 1000;

    /// <summary>
    /// By how much a contribution of <paramref name="logOdds"/> multiplies or divides the odds, as people read it:
    /// <c>x1.04</c>, <c>x5.1</c>, <c>x214</c>, and <c>x &gt; 1000</c> past <see cref="ShownFactorCap"/> (a figure like
    /// x21402.96 only says the customer is far outside the usual). No thousands separator: a reason is one CSV field.
    /// </summary>
    public static string Factor(double logOdds)
    {
        var factor = Math.Exp(Math.Abs(logOdds));
        return factor switch
        {
            > ShownFactorCap or double.NaN => string.Create(CultureInfo.InvariantCulture, $"x > {ShownFactorCap:0}"),
            >= 10 => string.Create(CultureInfo.InvariantCulture, $"x{Math.Round(factor, MidpointRounding.AwayFromZero):0}"),
            >= 2 => string.Create(CultureInfo.InvariantCulture, $"x{factor:0.0}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"x{factor:0.0#}"),
        };
    }
}

/// <summary>Everything about explanations that callers share: choosing the background, probability points and reasons.</summary>
public static class Explained
{
    /// <summary>
    /// The background to explain against, in the network's input space: the rows of <paramref name="rawRows"/> (customers
    /// as read from a file, scaled here as the model scales) or else the sample saved with the model; in either case only
    /// the first <paramref name="size"/> rows of a seeded order when a size is given (for the saved sample, the first
    /// <see cref="BackgroundSample.DefaultSize"/> when none is). A background over <paramref name="limits"/>'
    /// <see cref="DataLimits.MaxBackgroundRows"/> is refused, as is a model saved without a sample when no rows are given.
    /// </summary>
    public static Result<Background> Background(ModelArtifact model, Matrix<double>? rawRows, int? size, DataLimits limits, string? file = null)
    {
        if (size is < 1)
        {
            return new Problem($"the background size must be at least 1, not {size}", Column: "background-size");
        }
        if (rawRows is not null)
        {
            if (rawRows.RowCount == 0)
            {
                return new Problem("the background file holds no customers", file);
            }
            var rows = size is { } n && n < rawRows.RowCount ? BackgroundSample.Draw(rawRows, (ulong)model.Seed, n).Take(n) : rawRows;
            return rows.RowCount > limits.MaxBackgroundRows
                ? new Problem(limits.TooManyBackgroundRows(rows.RowCount) + "; give --background-size N to sample N of them", file)
                : Result.Ok(Explanation.Background.Of(Scaler.Apply(model.Scaler, rows)));
        }
        if (model.Background is not { } sample)
        {
            return new Problem("the model was saved without a background sample (by an earlier version): give a file of customers to explain against with --background CSV");
        }
        var wanted = size ?? BackgroundSample.DefaultSize;
        if (wanted > limits.MaxBackgroundRows)
        {
            return new Problem(limits.TooManyBackgroundRows(wanted), Column: "background-size");
        }
        return wanted > sample.Rows.Length
            ? new Problem($"the model saved a background of {sample.Rows.Length} customers; for {wanted}, give a file of customers with --background CSV", Column: "background-size")
            : Result.Ok(Explanation.Background.Of(sample.Take(wanted)));
    }

    /// <summary>
    /// Each contribution in probability points (hundredths of probability): the change from the base probability to the
    /// customer's, p − p_base, split between the behaviours in proportion to their log-odds contributions, so that they
    /// sum to it. When the two log-odds (nearly) coincide the ratio is taken at its limit, p (1 − p).
    /// </summary>
    public static Matrix<double> ProbabilityPoints(ShapleyValues values)
    {
        var basePoint = Calibration.Sigmoid(values.BaseLogOdds);
        var c = values.Contributions;
        return Matrix<double>.Build.Dense(c.RowCount, c.ColumnCount, (r, j) =>
        {
            var p = Calibration.Sigmoid(values.LogOdds[r]);
            var span = values.LogOdds[r] - values.BaseLogOdds;
            var perLogOdds = Math.Abs(span) > 1e-12 ? (p - basePoint) / span : p * (1 - p);
            return 100 * perLogOdds * c[r, j];
        });
    }

    /// <summary>
    /// Customer <paramref name="row"/>'s <paramref name="count"/> largest contributions by size (the largest first; ties
    /// in feature order), with the customer's raw values from <paramref name="rawCustomers"/>.
    /// </summary>
    public static ImmutableArray<Reason> Reasons(ShapleyValues values, Matrix<double> rawCustomers, ImmutableArray<string> featureNames, int row, int count) =>
        [.. Strongest(values.Contributions, row, count).Select(j => new Reason(featureNames[j], rawCustomers[row, j], values.Contributions[row, j]))];

    /// <summary>The features of row <paramref name="row"/>'s <paramref name="count"/> largest contributions by size, the largest first, ties in feature order.</summary>
    internal static ImmutableArray<int> Strongest(Matrix<double> contributions, int row, int count) =>
        [.. Enumerable.Range(0, contributions.ColumnCount).OrderByDescending(j => Math.Abs(contributions[row, j])).ThenBy(j => j).Take(count)];

    /// <summary>
    /// The <paramref name="count"/> strongest reasons of each customer in <paramref name="which"/> (rows of
    /// <paramref name="rawCustomers"/>, as read from a customer file), explained against the sample saved with the model;
    /// only those customers are explained. A problem when the model has no sample or cannot give probabilities.
    /// </summary>
    public static Result<ImmutableArray<ImmutableArray<Reason>>> TopReasons(
        ModelArtifact model, Matrix<double> rawCustomers, IReadOnlyList<int> which, int count, double? baseRate = null)
    {
        var chosen = Matrix<double>.Build.Dense(which.Count, rawCustomers.ColumnCount, (r, c) => rawCustomers.At(which[r], c));
        return Background(model, null, null, DataLimits.Default)
            .Bind(background => Shapley.Explain(model, chosen, background, baseRate))
            .Map(values => Enumerable.Range(0, which.Count).Select(r => Reasons(values, chosen, model.FeatureNames, r, count)).ToImmutableArray());
    }
}
