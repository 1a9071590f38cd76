using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Explanation;

/// <summary>
/// Customers' scores explained: <see cref="BaseLogOdds"/> + the sum of a customer's row of
/// <see cref="Contributions"/> = that customer's <see cref="LogOdds"/> (to rounding, about 1e-15).
/// </summary>
/// <param name="BaseLogOdds">The background's mean log-odds: the score of a customer the model knows nothing about.</param>
/// <param name="LogOdds">Each customer's log-odds, as the model gives it.</param>
/// <param name="Contributions">Customers x features: how much each feature's value moves the customer's log-odds from the base.</param>
public sealed record ShapleyValues(double BaseLogOdds, ImmutableArray<double> LogOdds, Matrix<double> Contributions);

/// <summary>
/// Exact interventional Shapley values (the SHAP family's "exact" explainer) for a model over a few features.
/// </summary>
/// <remarks>
/// The game of customer c is v(S) = Σ_b w_b f(x_S = c_S, x_rest = b_rest) over background rows b, and feature j's value
/// is Σ_S |S|!(p−|S|−1)!/p! (v(S ∪ j) − v(S)) over all 2^p coalitions S without j. By linearity this is Σ_b w_b φ_j(c; b),
/// where φ(c; b) is the Shapley value of the single-baseline game f(c_S, b_rest); in that game every feature on which c
/// and b agree is a null player (its value cannot change any hybrid row), so only the 2^d coalitions of the d features
/// where they differ are evaluated, and the two end rows (b itself, c itself) are scored once for all pairs. On the
/// bundled customers d is about 6 of 10, so a customer costs about 140 rows per background row instead of 1,024. The
/// result is the full enumeration's, not an estimate: the same hybrid rows, the same weights. Equal customers are
/// explained once. Hybrid rows go through the scoring function in batches of at most 1,024 rows (2^p for more than 10
/// features), spread over the machine's cores by customer.
/// </remarks>
public static class Shapley
{
    /// <summary>Beyond this many features exact enumeration (2^p rows per customer and background row) is out of reach.</summary>
    public const int MaxFeatures = 16;

    private const int BatchRows = 1024;

    // Customers handed to a core at a time: enough to fill many batches, few enough to balance the cores.
    private const int CustomersPerTask = 8;

    /// <summary>
    /// Explains <paramref name="customers"/> (rows in the same space as <paramref name="background"/>'s) for the
    /// function <paramref name="logOdds"/>, which maps a batch of rows to one log-odds per row.
    /// </summary>
    /// <param name="logOdds">The model's score on the log-odds scale. Each row's result must depend on that row alone
    /// (not on the others in its batch), and the function is called from several threads at once. The product's
    /// scoring (<see cref="CalibratedLogOdds"/>) is both.</param>
    /// <param name="customers">Customers x features, in the function's input space.</param>
    /// <param name="background">What "the model knows nothing" means: see <see cref="Background"/>.</param>
    /// <exception cref="ArgumentException">Column counts differ, more than <see cref="MaxFeatures"/> features, or the function returns the wrong number of values (bugs).</exception>
    public static ShapleyValues Exact(Func<Matrix<double>, ImmutableArray<double>> logOdds, Matrix<double> customers, Background background)
    {
        var p = customers.ColumnCount;
        if (background.Rows.ColumnCount != p)
        {
            throw new ArgumentException($"the background has {background.Rows.ColumnCount} columns for {p} features", nameof(background));
        }
        if (p > MaxFeatures)
        {
            throw new ArgumentException($"exact Shapley values take 2^p evaluations per customer; {p} features is more than {MaxFeatures}", nameof(customers));
        }
        var backgroundRows = background.Rows.ToRowArrays();
        var backgroundScores = Scores(logOdds, background.Rows);
        var baseLogOdds = 0.0;
        for (var k = 0; k < backgroundScores.Length; k++)
        {
            baseLogOdds += background.Weights[k] * backgroundScores[k];
        }
        if (customers.RowCount == 0)
        {
            return new ShapleyValues(baseLogOdds, [], Matrix<double>.Build.Dense(0, p));
        }
        var (distinct, which) = Distinct(customers);
        var customerScores = Scores(logOdds, Matrix<double>.Build.DenseOfRowArrays(distinct));
        var contributions = new double[distinct.Length * p];
        var game = new Game(logOdds, backgroundRows, background.Weights, backgroundScores, Weights(p));
        Parallel.ForEach(Partitioner.Create(0, distinct.Length, CustomersPerTask), range =>
            new Batch(game, p).Explain(distinct, customerScores, range.Item1, range.Item2, contributions));
        var n = customers.RowCount;
        return new ShapleyValues(
            baseLogOdds,
            [.. which.Select(i => customerScores[i])],
            Matrix<double>.Build.Dense(n, p, (r, c) => contributions[(which[r] * p) + c]));
    }

    /// <summary>
    /// The function <see cref="Exact(Func{Matrix{double}, ImmutableArray{double}}, Matrix{double}, Background)"/>
    /// explains for a saved model: scaled rows to the calibrated log-odds, logit of the probability <c>churn predict</c>
    /// gives (the networks' mean score, then the calibration, shifted to <paramref name="baseRate"/> when given).
    /// </summary>
    public static Func<Matrix<double>, ImmutableArray<double>> CalibratedLogOdds(ModelArtifact model, double? baseRate = null) =>
        rows =>
        {
            var raw = Scoring.Mean(model.Networks, rows);
            var result = new double[raw.Length];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = model.Calibration.LogOdds(raw[i], baseRate);
            }
            return [.. result];
        };

    /// <summary>
    /// Explains raw customer rows (as read from a customer file) with a saved model: the model's scaler, then
    /// <see cref="CalibratedLogOdds"/>. <paramref name="background"/> is in the network's input space (scaled), as
    /// <see cref="ModelArtifact.Background"/> stores it. A problem when the model cannot give probabilities (see
    /// <see cref="ModelArtifact.Score"/>).
    /// </summary>
    public static Result<ShapleyValues> Explain(ModelArtifact model, Matrix<double> customers, Background background, double? baseRate = null)
    {
        if (model.Calibration.Check(baseRate) is { } problem)
        {
            return problem;
        }
        return Result.Ok(Exact(CalibratedLogOdds(model, baseRate), Scaler.Apply(model.Scaler, customers), background));
    }

    private static double[] Scores(Func<Matrix<double>, ImmutableArray<double>> logOdds, Matrix<double> rows)
    {
        var scores = logOdds(rows);
        if (scores.Length != rows.RowCount)
        {
            throw new ArgumentException($"the scoring function gave {scores.Length} values for {rows.RowCount} rows", nameof(logOdds));
        }
        return [.. scores];
    }

    /// <summary>The distinct rows, and for each row the index of its distinct row.</summary>
    private static (double[][] Distinct, int[] Which) Distinct(Matrix<double> rows)
    {
        var first = new Dictionary<double[], int>(Background.RowComparer.Instance);
        var distinct = new List<double[]>();
        var which = new int[rows.RowCount];
        var all = rows.ToRowArrays();
        for (var r = 0; r < all.Length; r++)
        {
            if (!first.TryGetValue(all[r], out var at))
            {
                at = distinct.Count;
                first[all[r]] = at;
                distinct.Add(all[r]);
            }
            which[r] = at;
        }
        return ([.. distinct], which);
    }

    /// <summary>weights[d][s] = s!(d−s−1)!/d!: the Shapley weight of a coalition of s of the other d−1 players of d.</summary>
    private static double[][] Weights(int p)
    {
        var weights = new double[p + 1][];
        for (var d = 1; d <= p; d++)
        {
            weights[d] = new double[d];
            for (var s = 0; s < d; s++)
            {
                // 1 / (d · C(d−1, s)), built up without large factorials.
                var choose = 1.0;
                for (var t = 1; t <= s; t++)
                {
                    choose = choose * (d - 1 - s + t) / t;
                }
                weights[d][s] = 1 / (d * choose);
            }
        }
        return weights;
    }

    private sealed record Game(
        Func<Matrix<double>, ImmutableArray<double>> LogOdds, double[][] Background, ImmutableArray<double> Weights, double[] BackgroundScores, double[][] Coalitions);

    /// <summary>
    /// One core's work: the hybrid rows of (customer, background row) pairs collected into batches, each batch scored
    /// at once and its pairs' single-baseline Shapley values added to their customers' contributions in pair order, so
    /// the sums are the same however the customers are split between cores.
    /// </summary>
    private sealed class Batch(Game game, int features)
    {
        private readonly int capacity = Math.Max(BatchRows, 1 << features);
        private readonly List<Pair> pairs = [];
        private double[] rows = [];
        private int count;

        public void Explain(double[][] customers, double[] scores, int from, int to, double[] contributions)
        {
            rows = new double[capacity * features];
            Span<int> differing = stackalloc int[features];
            for (var i = from; i < to; i++)
            {
                var c = customers[i];
                for (var k = 0; k < game.Background.Length; k++)
                {
                    var b = game.Background[k];
                    var d = 0;
                    for (var j = 0; j < features; j++)
                    {
                        if (c[j] != b[j])
                        {
                            differing[d++] = j;
                        }
                    }
                    if (d == 0)
                    {
                        continue;
                    }
                    // A pair of one differing feature needs no row (its value is f(c) − f(b)); it still waits in
                    // line, so that a customer's sum is taken in background order whatever the batches are.
                    var hybrids = (1 << d) - 2;
                    if (count + hybrids > capacity)
                    {
                        Flush(scores, contributions);
                    }
                    var mask = 0;
                    for (var t = 0; t < d; t++)
                    {
                        mask |= 1 << differing[t];
                    }
                    pairs.Add(new Pair(i, k, mask, count));
                    // Row m (1 .. 2^d − 2) takes the customer's values on the differing features whose bits are set in m.
                    for (var m = 1; m <= hybrids; m++)
                    {
                        var row = rows.AsSpan(count * features, features);
                        b.CopyTo(row);
                        for (var t = 0; t < d; t++)
                        {
                            if ((m & (1 << t)) != 0)
                            {
                                row[differing[t]] = c[differing[t]];
                            }
                        }
                        count++;
                    }
                }
                // A customer's sums are complete before the next customer's range starts on another core.
            }
            Flush(scores, contributions);
        }

        private void Flush(double[] scores, double[] contributions)
        {
            if (count == 0)
            {
                return;
            }
            // A fresh column-major array the matrix owns: the batch buffer is reused, the matrix must not see it change.
            var storage = new double[count * features];
            for (var r = 0; r < count; r++)
            {
                for (var j = 0; j < features; j++)
                {
                    storage[(j * count) + r] = rows[(r * features) + j];
                }
            }
            var values = Scores(game.LogOdds, Matrix<double>.Build.Dense(count, features, storage));
            Span<int> differing = stackalloc int[features];
            Span<double> v = stackalloc double[1 << features];
            foreach (var pair in pairs)
            {
                var d = 0;
                for (var j = 0; j < features; j++)
                {
                    if ((pair.Mask & (1 << j)) != 0)
                    {
                        differing[d++] = j;
                    }
                }
                var full = (1 << d) - 1;
                v[0] = game.BackgroundScores[pair.Background];
                v[full] = scores[pair.Customer];
                values.AsSpan(pair.Offset, full - 1).CopyTo(v[1..]);
                var weights = game.Coalitions[d];
                var w = game.Weights[pair.Background];
                for (var t = 0; t < d; t++)
                {
                    var bit = 1 << t;
                    var phi = 0.0;
                    for (var m = 0; m < full; m++)
                    {
                        if ((m & bit) == 0)
                        {
                            phi += weights[BitOperations.PopCount((uint)m)] * (v[m | bit] - v[m]);
                        }
                    }
                    contributions[(pair.Customer * features) + differing[t]] += w * phi;
                }
            }
            pairs.Clear();
            count = 0;
        }

        private readonly record struct Pair(int Customer, int Background, int Mask, int Offset);
    }
}
