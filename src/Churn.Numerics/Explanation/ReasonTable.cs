using System.Collections.Immutable;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Explanation;

/// <summary>
/// One behaviour's exact contribution summarized as a function of its own value: the mean contribution of the fitting
/// customers in each interval of the value (<see cref="Values"/>) at their mean value there (<see cref="Knots"/>,
/// increasing, in the network's input space); linear between knots, constant beyond the ends.
/// </summary>
public sealed record ContributionCurve(ImmutableArray<double> Knots, ImmutableArray<double> Values)
{
    /// <summary>The curve at <paramref name="value"/> (scaled as the network sees it).</summary>
    public double At(double value)
    {
        var knots = Knots.AsSpan();
        if (value <= knots[0])
        {
            return Values[0];
        }
        if (value >= knots[^1])
        {
            return Values[^1];
        }
        var above = knots.BinarySearch(value);
        if (above >= 0)
        {
            return Values[above];
        }
        above = ~above;
        var below = above - 1;
        var t = (value - knots[below]) / (knots[above] - knots[below]);
        return Values[below] + (t * (Values[above] - Values[below]));
    }
}

/// <summary>
/// Fast reasons: each behaviour's exact interventional Shapley value (<see cref="Shapley"/>) approximated by a
/// <see cref="ContributionCurve"/> of that behaviour's value alone, fitted on the exact contributions of many customers,
/// then adjusted so that, as for exact values, the base plus a customer's contributions is the customer's log-odds (the
/// remainder is shared in proportion to the contributions' sizes). A customer costs ten table look-ups instead of about
/// 14,000 network evaluations; what is lost is the part of a contribution that depends on the other behaviours
/// (interactions). How often it gives the same reasons as the exact values is measured by <see cref="ReasonFidelity"/>.
/// </summary>
/// <param name="BaseLogOdds">The base of the exact values it was fitted on: the background's mean log-odds.</param>
/// <param name="Curves">One per feature, in the model's feature order.</param>
/// <param name="Customers">How many customers it was fitted on.</param>
public sealed record ReasonTable(double BaseLogOdds, ImmutableArray<ContributionCurve> Curves, int Customers)
{
    /// <summary>Intervals per behaviour: a behaviour with at most this many distinct values gets one knot per value.</summary>
    public const int Levels = 16;

    /// <summary>
    /// The table of a saved model against <paramref name="background"/>: the customers of the sample saved with the
    /// model (at most <see cref="Model.BackgroundSample.StoredSize"/>) explained exactly, then <see cref="Fit"/>. Its cost
    /// is that of explaining those customers, bounded by the sample's size. A problem when the model saved no sample or
    /// cannot give probabilities.
    /// </summary>
    public static Result<ReasonTable> ForModel(ModelArtifact model, Background background)
    {
        if (model.Background is not { } sample)
        {
            return new Problem("the model was saved without a background sample (by an earlier version), so it has no customers to fit fast reasons on");
        }
        if (model.Calibration.Check(null) is { } problem)
        {
            return problem;
        }
        var customers = sample.Take(Model.BackgroundSample.StoredSize);
        return Result.Ok(Fit(customers, Shapley.Exact(Shapley.CalibratedLogOdds(model), customers, background)));
    }

    /// <summary>
    /// Fits one curve per feature on <paramref name="customers"/> (in the network's input space) and their exact values.
    /// A feature's values are cut at their quantiles into at most <paramref name="levels"/> intervals (one per distinct
    /// value when there are no more), and each interval gives a knot at its customers' mean value and mean contribution.
    /// </summary>
    /// <exception cref="ArgumentException">No customers, or rows and contributions that do not match (bugs).</exception>
    public static ReasonTable Fit(Matrix<double> customers, ShapleyValues exact, int levels = Levels)
    {
        var contributions = exact.Contributions;
        if (customers.RowCount == 0 || customers.RowCount != contributions.RowCount || customers.ColumnCount != contributions.ColumnCount)
        {
            throw new ArgumentException($"{customers.RowCount} x {customers.ColumnCount} customers for {contributions.RowCount} x {contributions.ColumnCount} contributions", nameof(customers));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(levels, 1);
        var curves = Enumerable.Range(0, customers.ColumnCount)
            .Select(j => Curve([.. customers.Column(j)], [.. contributions.Column(j)], levels))
            .ToImmutableArray();
        return new ReasonTable(exact.BaseLogOdds, curves, customers.RowCount);
    }

    /// <summary>
    /// The fast values of <paramref name="customers"/> (in the network's input space) whose log-odds are
    /// <paramref name="logOdds"/> (as the model gives them): base + each customer's contributions = its log-odds.
    /// </summary>
    /// <exception cref="ArgumentException">Column or row counts that do not match the table and the customers (bugs).</exception>
    public ShapleyValues Explain(Matrix<double> customers, ImmutableArray<double> logOdds)
    {
        var p = Curves.Length;
        if (customers.ColumnCount != p || logOdds.Length != customers.RowCount)
        {
            throw new ArgumentException($"{customers.RowCount} x {customers.ColumnCount} customers and {logOdds.Length} log-odds for a table of {p} features", nameof(customers));
        }
        var values = new double[customers.RowCount * p];
        Span<double> row = stackalloc double[p];
        for (var i = 0; i < customers.RowCount; i++)
        {
            var sum = 0.0;
            var size = 0.0;
            for (var j = 0; j < p; j++)
            {
                row[j] = Curves[j].At(customers.At(i, j));
                sum += row[j];
                size += Math.Abs(row[j]);
            }
            var rest = logOdds[i] - BaseLogOdds - sum;
            for (var j = 0; j < p; j++)
            {
                // Column-major storage, as the matrix below reads it.
                values[(j * customers.RowCount) + i] = row[j] + (size > 0 ? Math.Abs(row[j]) / size * rest : rest / p);
            }
        }
        return new ShapleyValues(BaseLogOdds, logOdds, Matrix<double>.Build.Dense(customers.RowCount, p, values));
    }

    /// <summary>
    /// The fast values of customers scored with <paramref name="model"/> (<see cref="ModelArtifact.Score"/>): their raw
    /// rows through the model's scaler, their log-odds from the scores already computed, so nothing is scored twice.
    /// The counterpart of <see cref="Shapley.Explain"/> for this table.
    /// </summary>
    public ShapleyValues Explain(ModelArtifact model, Matrix<double> customers, ImmutableArray<double> raw) =>
        Explain(Scaler.Apply(model.Scaler, customers), [.. raw.Select(r => model.Calibration.LogOdds(r))]);

    private static ContributionCurve Curve(double[] values, double[] contributions, int levels)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ThenBy(i => i).ToArray();
        var sorted = order.Select(i => values[i]).ToArray();
        var distinct = sorted.Distinct().ToArray();
        // Interval starts: every distinct value when few, else order statistics at k/levels (each one a value customers have).
        var starts = distinct.Length <= levels
            ? distinct
            : Enumerable.Range(0, levels).Select(k => sorted[k * sorted.Length / levels]).Distinct().ToArray();
        var knots = new List<double>(starts.Length);
        var means = new List<double>(starts.Length);
        var at = 0;
        for (var k = 0; k < starts.Length; k++)
        {
            var end = k + 1 < starts.Length ? starts[k + 1] : double.PositiveInfinity;
            double value = 0, contribution = 0;
            var n = 0;
            for (; at < order.Length && sorted[at] < end; at++, n++)
            {
                value += sorted[at];
                contribution += contributions[order[at]];
            }
            // A value of its own is its knot exactly, so a customer who has it reads that interval's mean.
            knots.Add(distinct.Length <= levels ? starts[k] : value / n);
            means.Add(contribution / n);
        }
        return new ContributionCurve([.. knots], [.. means]);
    }
}
