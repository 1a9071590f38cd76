using System.Collections.Immutable;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Evaluation;

/// <summary>Counts at threshold 0.5; "positive" is a buyer.</summary>
public sealed record ConfusionMatrix(int TruePositives, int FalsePositives, int TrueNegatives, int FalseNegatives);

public sealed record ClassificationMetrics(
    int Rows,
    double Accuracy,
    double Precision,
    double Recall,
    double F1,
    double RocAuc,
    double LogLoss,
    ConfusionMatrix Confusion);

/// <summary>
/// How much worse the model gets when one feature's values are shuffled among the customers it is judged on: mean
/// drops over <see cref="Repeats"/> shuffles, and <see cref="AucDropSpread"/> the standard deviation of the ROC AUC
/// drop between them.
/// </summary>
public sealed record FeatureImportance(string Feature, int Rank, double AccuracyDrop, double AucDrop, double AucDropSpread = 0, int Repeats = 0);

/// <summary>Contacting the top <see cref="ContactedShare"/> of customers by score reaches <see cref="BuyersReachedShare"/> of buyers.</summary>
public sealed record GainsRow(double ContactedShare, int Contacted, int BuyersReached, double BuyersReachedShare, double Lift);

/// <summary>A point of the ROC curve.</summary>
public sealed record RocPoint(double FalsePositiveRate, double TruePositiveRate);

/// <summary>
/// How the model does on the non-buyers balancing left out, which the balanced test split never shows: the share it
/// calls non-buyers (at 0.5), and ROC AUC over the test rows and those together, a population with the app's real
/// majority of non-buyers.
/// </summary>
public sealed record LeftOutCheck(int Rows, double CalledNonBuyers, double RocAucWithTest);

/// <summary>
/// Everything the test split (and, when known, the customers balancing left out) says about a model. <see cref="Test"/>,
/// <see cref="Gains"/> and <see cref="Roc"/> are the recipe's figures on the test split as it is (balanced, raw scores);
/// <see cref="Population"/> judges the calibrated probabilities on customers the model never saw in the file's mix.
/// </summary>
public sealed record TestReport(
    ClassificationMetrics Test,
    ImmutableArray<FeatureImportance> Importance,
    ImmutableArray<GainsRow> Gains,
    ImmutableArray<RocPoint> Roc,
    LeftOutCheck? LeftOut = null,
    Calibration? Calibration = null,
    PopulationReport? Population = null);

/// <summary>
/// What the evaluation needs to calibrate a model and judge it on the population: the validation split (the held-out
/// rows the calibration is fitted on; training never learns from them), the class mix behind the splits, the campaign's
/// economics and the calibration to fit.
/// </summary>
public sealed record PopulationContext(Dataset Validation, ClassMix Mix, CampaignEconomics Economics, CalibrationMethod Method = Calibration.DefaultMethod);

public static class Metrics
{
    /// <summary>Log loss clips probabilities to [ε, 1 − ε] so one confident mistake gives a large but finite loss.</summary>
    public const double LogLossEpsilon = 1e-15;

    /// <summary>
    /// Threshold metrics (a row is predicted a buyer when its probability is at least <paramref name="threshold"/>),
    /// rank-based ROC AUC (tied scores share their average rank) and log loss. Precision, recall and F1 are 0 when
    /// their denominator is 0; ROC AUC is NaN when only one class is present; everything but the counts is NaN for no rows.
    /// </summary>
    public static ClassificationMetrics Classification(ImmutableArray<double> probabilities, ImmutableArray<int> targets, double threshold = 0.5)
    {
        RequireSameLength(probabilities, targets);
        int tp = 0, fp = 0, tn = 0, fn = 0;
        var logLoss = 0.0;
        for (var i = 0; i < probabilities.Length; i++)
        {
            var p = probabilities[i];
            var buyer = targets[i] == 1;
            var predictedBuyer = p >= threshold;
            if (predictedBuyer)
            {
                if (buyer) { tp++; } else { fp++; }
            }
            else
            {
                if (buyer) { fn++; } else { tn++; }
            }
            var clipped = Math.Clamp(p, LogLossEpsilon, 1 - LogLossEpsilon);
            logLoss -= buyer ? Math.Log(clipped) : Math.Log(1 - clipped);
        }
        var rows = probabilities.Length;
        var precision = Ratio(tp, tp + fp);
        var recall = Ratio(tp, tp + fn);
        var f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
        return new ClassificationMetrics(
            rows,
            rows == 0 ? double.NaN : (double)(tp + tn) / rows,
            precision,
            recall,
            f1,
            RocAuc(probabilities, targets),
            rows == 0 ? double.NaN : logLoss / rows,
            new ConfusionMatrix(tp, fp, tn, fn));
    }

    /// <summary>
    /// Cumulative gains: customers sorted by probability, highest first (ties keep input order), and for each of
    /// <paramref name="bins"/> equal steps the top share contacted (rounded to whole customers), the buyers among them,
    /// their share of all buyers, and lift = buyers' share reached / share of customers contacted (0 when nobody was
    /// contacted or there are no buyers).
    /// </summary>
    public static ImmutableArray<GainsRow> Gains(ImmutableArray<double> probabilities, ImmutableArray<int> targets, int bins = 10)
    {
        RequireSameLength(probabilities, targets);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var n = probabilities.Length;
        var order = DescendingOrder(probabilities);
        var totalBuyers = 0;
        foreach (var t in targets)
        {
            totalBuyers += t == 1 ? 1 : 0;
        }
        var rows = ImmutableArray.CreateBuilder<GainsRow>(bins);
        int contacted = 0, reached = 0;
        for (var bin = 1; bin <= bins; bin++)
        {
            // Round half up in integers: the last bin always contacts exactly everyone.
            var upTo = (int)(((2L * bin * n) + bins) / (2L * bins));
            for (; contacted < upTo; contacted++)
            {
                reached += targets[order[contacted]] == 1 ? 1 : 0;
            }
            var share = totalBuyers == 0 ? 0 : (double)reached / totalBuyers;
            var lift = contacted == 0 ? 0 : share / ((double)contacted / n);
            rows.Add(new GainsRow((double)bin / bins, contacted, reached, share, lift));
        }
        return rows.MoveToImmutable();
    }

    /// <summary>
    /// The ROC curve from (0, 0) to (1, 1): one point per distinct probability, taken from the highest down, so tied
    /// scores make one diagonal step. With only one class present it is the diagonal.
    /// </summary>
    public static ImmutableArray<RocPoint> Roc(ImmutableArray<double> probabilities, ImmutableArray<int> targets)
    {
        RequireSameLength(probabilities, targets);
        var positives = 0;
        foreach (var t in targets)
        {
            positives += t == 1 ? 1 : 0;
        }
        var negatives = targets.Length - positives;
        if (positives == 0 || negatives == 0)
        {
            return [new RocPoint(0, 0), new RocPoint(1, 1)];
        }
        var order = DescendingOrder(probabilities);
        var points = ImmutableArray.CreateBuilder<RocPoint>();
        points.Add(new RocPoint(0, 0));
        int tp = 0, fp = 0;
        for (var i = 0; i < order.Length; i++)
        {
            if (targets[order[i]] == 1) { tp++; } else { fp++; }
            var lastOfTie = i == order.Length - 1 || probabilities[order[i + 1]] != probabilities[order[i]];
            if (lastOfTie)
            {
                points.Add(new RocPoint((double)fp / negatives, (double)tp / positives));
            }
        }
        return points.ToImmutable();
    }

    /// <summary>
    /// Permutation importance, ranked (1 = matters most), with a seeded shuffle per feature. Each of
    /// <paramref name="repeats"/> rounds shuffles one column of a new copy of the inputs (the inputs are never
    /// changed); the drops are the unshuffled accuracy and ROC AUC minus their means over the rounds, and the spread
    /// the rounds' standard deviation of the AUC drop. With <paramref name="weights"/> (per row, e.g. the population's
    /// class weights) the accuracy is weighted; ROC AUC needs no weights for that, as weighting whole classes leaves
    /// it unchanged. Ranked by AUC drop, then accuracy drop, then feature order.
    /// </summary>
    public static ImmutableArray<FeatureImportance> PermutationImportance(
        TrainedModel model, Dataset test, ImmutableArray<string> featureNames, ulong seed, int repeats = 5, ImmutableArray<double> weights = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        RequireTargets(test);
        var inputs = test.Inputs;
        if (featureNames.Length != inputs.ColumnCount)
        {
            throw new ArgumentException($"{featureNames.Length} feature names for {inputs.ColumnCount} input columns", nameof(featureNames));
        }
        double Accuracy(ImmutableArray<double> p) => weights.IsDefault ? Classification(p, test.Targets).Accuracy : WeightedAccuracy(p, test.Targets, weights);
        var baselineScores = Scoring.Probabilities(model, inputs);
        var (baselineAccuracy, baselineAuc) = (Accuracy(baselineScores), RocAuc(baselineScores, test.Targets));
        var rows = inputs.RowCount;
        var original = inputs.ToColumnMajorArray();
        var drops = new List<(int Feature, double Accuracy, double Auc, double Spread)>(featureNames.Length);
        for (var feature = 0; feature < featureNames.Length; feature++)
        {
            double accuracy = 0;
            var auc = new double[repeats];
            for (var repeat = 0; repeat < repeats; repeat++)
            {
                var order = SeededRandom.SplitMixPermutation(rows, SeededRandom.Combine(seed, feature, repeat));
                // A fresh array per round that only this matrix will ever see.
                var storage = (double[])original.Clone();
                var column = feature * rows;
                for (var r = 0; r < rows; r++)
                {
                    storage[column + r] = original[column + order[r]];
                }
                var shuffled = Scoring.Probabilities(model, Matrix<double>.Build.Dense(rows, inputs.ColumnCount, storage));
                accuracy += Accuracy(shuffled);
                auc[repeat] = RocAuc(shuffled, test.Targets);
            }
            var meanAuc = auc.Average();
            var spread = Math.Sqrt(auc.Sum(a => (a - meanAuc) * (a - meanAuc)) / repeats);
            drops.Add((feature, baselineAccuracy - (accuracy / repeats), baselineAuc - meanAuc, spread));
        }
        return
        [
            .. drops
                .OrderByDescending(d => d.Auc)
                .ThenByDescending(d => d.Accuracy)
                .ThenBy(d => d.Feature)
                .Select((d, i) => new FeatureImportance(featureNames[d.Feature], i + 1, d.Accuracy, d.Auc, d.Spread, repeats)),
        ];
    }

    private static double WeightedAccuracy(ImmutableArray<double> p, ImmutableArray<int> targets, ImmutableArray<double> weights)
    {
        double right = 0, total = 0;
        for (var i = 0; i < p.Length; i++)
        {
            total += weights[i];
            right += (p[i] >= 0.5) == (targets[i] == 1) ? weights[i] : 0;
        }
        return right / total;
    }

    /// <summary>
    /// The full test report of <paramref name="model"/> on <paramref name="test"/>; with <paramref name="leftOut"/>
    /// (the non-buyers balancing dropped, scaled as the test split is) also the <see cref="LeftOutCheck"/>. With
    /// <paramref name="population"/> the model is calibrated on the validation split and judged on the population: the
    /// test customers plus those left out, whose classes are then weighted to the file's mix. Neither training, early
    /// stopping nor the calibration saw them, and each class in that sample is an unbiased sample of the class (all
    /// buyers are kept and split at random; under random balancing the unseen non-buyers are a random subset of all).
    /// </summary>
    public static TestReport Evaluate(
        TrainedModel model, Dataset test, ImmutableArray<string> featureNames, ulong seed, Dataset? leftOut = null, PopulationContext? population = null)
    {
        RequireTargets(test);
        var probabilities = Scoring.Probabilities(model, test.Inputs);
        var left = leftOut is { Rows: > 0 } rows ? rows : null;
        var leftProbabilities = left is null ? [] : Scoring.Probabilities(model, left.Inputs);
        Calibration? calibration = null;
        PopulationReport? report = null;
        var judged = test;
        var judgedWeights = default(ImmutableArray<double>);
        if (population is not null)
        {
            var validation = population.Validation;
            var validationScores = validation.Rows == 0 ? [] : Scoring.Probabilities(model, validation.Inputs);
            var validationTargets = validation.Rows == 0 ? [] : validation.Targets;
            var mix = population.Mix;
            Calibration Fit(CalibrationMethod method) => Calibration.Fit(method, validationScores, validationTargets, mix.Training, mix.Population);
            calibration = Fit(population.Method);
            var scores = probabilities.AddRange(leftProbabilities);
            var targets = test.Targets.AddRange(Enumerable.Repeat(0, left?.Rows ?? 0));
            if (mix.Population is { } rate && targets.Contains(0) && targets.Contains(1))
            {
                var sample = left is null
                    ? $"the {test.Rows:N0} test customers, weighted to the file's {rate:P1} buyers"
                    : $"the {test.Rows:N0} test customers and the {left.Rows:N0} non-buyers balancing left out, weighted to the file's {rate:P1} buyers";
                var others = new[] { CalibrationMethod.Prior, CalibrationMethod.Platt }.Where(m => m != calibration.Method).Select(Fit);
                report = Population.Evaluate(sample, scores, targets, rate, calibration, others, population.Economics);
                judged = left is null ? test : Stacked(test, left);
                judgedWeights = Population.ClassWeights(judged.Targets, rate);
            }
        }
        return new TestReport(
            Classification(probabilities, test.Targets),
            PermutationImportance(model, judged, featureNames, seed, weights: judgedWeights),
            Gains(probabilities, test.Targets),
            Roc(probabilities, test.Targets),
            left is null ? null : LeftOut(left.Rows, leftProbabilities, probabilities, test.Targets),
            calibration,
            report);
    }

    /// <summary>
    /// The population sample's customers as one dataset: the test rows, then those balancing left out (all
    /// non-buyers), as <see cref="Evaluate"/> judges them.
    /// </summary>
    public static Dataset Stacked(Dataset test, Dataset leftOut) =>
        new([], test.Inputs.Stack(leftOut.Inputs), test.Targets.AddRange(Enumerable.Repeat(0, leftOut.Rows)));

    private static LeftOutCheck LeftOut(int rows, ImmutableArray<double> probabilities, ImmutableArray<double> testProbabilities, ImmutableArray<int> testTargets)
    {
        var calledNonBuyers = probabilities.Count(p => p < 0.5);
        return new LeftOutCheck(
            rows,
            (double)calledNonBuyers / rows,
            RocAuc(testProbabilities.AddRange(probabilities), testTargets.AddRange(Enumerable.Repeat(0, rows))));
    }

    /// <summary>Mann–Whitney U over average ranks: the chance a random buyer scores above a random non-buyer, ties counting half.</summary>
    public static double RocAuc(ImmutableArray<double> probabilities, ImmutableArray<int> targets)
    {
        var n = probabilities.Length;
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }
        var keys = probabilities.ToArray();
        Array.Sort(keys, order);
        double positiveRankSum = 0;
        long positives = 0;
        for (var start = 0; start < n;)
        {
            var end = start;
            while (end + 1 < n && keys[end + 1] == keys[start])
            {
                end++;
            }
            // Ranks are 1-based; a tie group from start to end shares the mean of its ranks.
            var averageRank = ((start + end) / 2.0) + 1;
            for (var k = start; k <= end; k++)
            {
                if (targets[order[k]] == 1)
                {
                    positiveRankSum += averageRank;
                    positives++;
                }
            }
            start = end + 1;
        }
        var negatives = n - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }
        return (positiveRankSum - (positives * (positives + 1) / 2.0)) / (positives * (double)negatives);
    }

    internal static int[] DescendingOrder(ImmutableArray<double> probabilities)
    {
        var order = new int[probabilities.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        // Stable on ties (index order) so gains and curves do not depend on the sort algorithm.
        Array.Sort(order, (a, b) =>
        {
            var byScore = probabilities[b].CompareTo(probabilities[a]);
            return byScore != 0 ? byScore : a.CompareTo(b);
        });
        return order;
    }

    private static double Ratio(int numerator, int denominator) => denominator == 0 ? 0 : (double)numerator / denominator;

    private static void RequireSameLength(ImmutableArray<double> probabilities, ImmutableArray<int> targets)
    {
        if (probabilities.Length != targets.Length)
        {
            throw new ArgumentException($"{probabilities.Length} probabilities for {targets.Length} targets", nameof(targets));
        }
    }

    private static void RequireTargets(Dataset test)
    {
        if (!test.HasTargets || test.Targets.Length != test.Rows)
        {
            throw new ArgumentException("evaluation needs a target for every row", nameof(test));
        }
    }
}
