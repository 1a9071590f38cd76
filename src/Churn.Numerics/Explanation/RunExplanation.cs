using System.Collections.Immutable;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Model;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Explanation;

/// <summary>A run's explanations: sample, contributions, ranking, curves and sentences, as one pure computation.</summary>
public static class RunExplanation
{
    private const double LowPercentile = 0.1;
    private const double HighPercentile = 0.9;

    /// <summary>Standardized rows to the calibrated log-odds a run's probabilities come from.</summary>
    public static Func<Matrix<double>, ImmutableArray<double>> LogOdds(TrainedModel model, Calibration calibration) =>
        rows => [.. Scoring.Probabilities(model, rows).Select(raw => calibration.LogOdds(raw))];

    /// <summary>
    /// A run's explanations: <see cref="Explain"/> on the customers <see cref="Metrics.Evaluate"/> judges the model on
    /// (the test split, and with a known <paramref name="rate"/> the non-buyers balancing left out, standardized),
    /// for the model's calibrated log-odds.
    /// </summary>
    public static ExplainedRun ForRun(
        TrainedModel model,
        Calibration calibration,
        ScalerParameters scaler,
        ImmutableArray<string> features,
        Dataset test,
        Dataset? leftOut,
        double? rate,
        Matrix<double> background,
        ulong seed,
        ExplainSettings? settings = null)
    {
        var population = rate is not null && leftOut is { Rows: > 0 } left ? Metrics.Stacked(test, left) : test;
        return Explain(LogOdds(model, calibration), scaler, features, population.Inputs, population.Targets, rate, background, seed, settings ?? ExplainSettings.Default);
    }

    /// <summary>
    /// Explains the customers a run judges its model on. <paramref name="population"/> holds them standardized (with
    /// <paramref name="targets"/>); <paramref name="settings"/>' Customers of them are drawn per class in the
    /// population's mix <paramref name="rate"/> (uniformly when it is unknown), seeded by <paramref name="seed"/>.
    /// <paramref name="logOdds"/> scores standardized rows; <paramref name="background"/> (standardized) is what
    /// "the model knows nothing" means; <paramref name="scaler"/> gives the values back in the customers' units.
    /// </summary>
    public static ExplainedRun Explain(
        Func<Matrix<double>, ImmutableArray<double>> logOdds,
        ScalerParameters scaler,
        ImmutableArray<string> features,
        Matrix<double> population,
        ImmutableArray<int> targets,
        double? rate,
        Matrix<double> background,
        ulong seed,
        ExplainSettings settings)
    {
        var stream = SeededRandom.Derive(seed, SeededRandom.ExplainStream);
        var chosen = Draw(targets, rate, settings.Customers, stream);
        var customers = DatasetRows.Select(new Dataset([], population, []), chosen.AsSpan()).Inputs;
        var shapley = Shapley.Exact(logOdds, customers, Background.Of(background));
        var ranking = ImportanceRanking.Rank(features, shapley.Contributions, stream);
        var ice = SeededRandom.SampleWithoutReplacement(customers.RowCount, settings.IceLines, SeededRandom.Derive(stream, 1));
        Func<Matrix<double>, ImmutableArray<double>> probability = rows => [.. logOdds(rows).Select(Calibration.Sigmoid)];
        var values = Scaler.Invert(scaler, customers);
        var effects = ranking.Select(r =>
        {
            var c = features.IndexOf(r.Feature);
            var column = customers.Column(c);
            var grid = PartialDependence.Grid(column);
            var curve = PartialDependence.Compute(probability, customers, c, grid, ice);
            var inUnits = curve with { Grid = [.. grid.Select(z => Scaler.Invert(scaler, c, z))] };
            return new BehaviourEffect(
                r.Feature, r.Rank, r.MeanAbsContribution, r.Low, r.High,
                DirectionSentence.Describe(r.Feature, inUnits),
                inUnits,
                Dependence(column, shapley.Contributions.Column(c), grid, inUnits.Grid));
        }).ToImmutableArray();
        var sentences = effects.Where(e => e.MeanAbsContribution > 0).Take(settings.Sentences).Select(e => e.Trend.Sentence);
        var sample = rate is { } r
            ? $"{customers.RowCount:N0} of the {population.RowCount:N0} customers the model is judged on, drawn in the file's mix ({r:P1} buyers)"
            : $"{customers.RowCount:N0} of the {population.RowCount:N0} test customers";
        var summary = new RunExplanations(
            sample, customers.RowCount, background.RowCount, RunExplanations.RankingMeasure, shapley.BaseLogOdds, Calibration.Sigmoid(shapley.BaseLogOdds), [.. sentences], effects);
        return new ExplainedRun(summary, features, values, shapley.Contributions);
    }

    /// <summary>
    /// <paramref name="count"/> row indices in increasing order: per class in the mix <paramref name="rate"/> (as many
    /// of each as the rows allow while the mix holds), or uniformly when the rate is unknown or targets are missing.
    /// </summary>
    internal static ImmutableArray<int> Draw(ImmutableArray<int> targets, double? rate, int count, ulong seed)
    {
        if (rate is not { } share || targets.IsDefaultOrEmpty || share is <= 0 or >= 1)
        {
            return SeededRandom.SampleWithoutReplacement(targets.IsDefault ? 0 : targets.Length, count, seed);
        }
        var buyers = Enumerable.Range(0, targets.Length).Where(i => targets[i] == 1).ToArray();
        var others = Enumerable.Range(0, targets.Length).Where(i => targets[i] != 1).ToArray();
        var wantBuyers = Math.Min(buyers.Length, (int)Math.Round(count * share));
        var wantOthers = Math.Min(others.Length, count - wantBuyers);
        wantBuyers = Math.Min(wantBuyers, (int)Math.Round(wantOthers * share / (1 - share)));
        var fromBuyers = SeededRandom.SampleWithoutReplacement(buyers.Length, wantBuyers, SeededRandom.Derive(seed, 2));
        var fromOthers = SeededRandom.SampleWithoutReplacement(others.Length, wantOthers, SeededRandom.Derive(seed, 3));
        return [.. fromBuyers.Select(i => buyers[i]).Concat(fromOthers.Select(i => others[i])).Order()];
    }

    /// <summary>Contributions per grid interval of the behaviour (standardized <paramref name="grid"/>, shown as <paramref name="shown"/>).</summary>
    private static DependenceCurve Dependence(Vector<double> values, Vector<double> contributions, ImmutableArray<double> grid, ImmutableArray<double> shown)
    {
        var bins = new List<double>[grid.Length];
        for (var k = 0; k < bins.Length; k++)
        {
            bins[k] = [];
        }
        for (var i = 0; i < values.Count; i++)
        {
            var k = grid.Length - 1;
            while (k > 0 && values[i] < grid[k])
            {
                k--;
            }
            bins[k].Add(contributions[i]);
        }
        var kept = Enumerable.Range(0, grid.Length).Where(k => bins[k].Count > 0).ToArray();
        return new DependenceCurve(
            [.. kept.Select(k => shown[k])],
            [.. kept.Select(k => bins[k].Count)],
            [.. kept.Select(k => bins[k].Average())],
            [.. kept.Select(k => Percentile(bins[k], LowPercentile))],
            [.. kept.Select(k => Percentile(bins[k], HighPercentile))]);
    }

    private static double Percentile(List<double> values, double level) => ImportanceRanking.Quantile([.. values.Order()], level);
}
