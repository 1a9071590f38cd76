using System.Collections.Immutable;

namespace Churn.Numerics.Evaluation;

/// <summary>What a contact costs and what a buyer it brings back is worth; a campaign contacts where p · value &gt; cost.</summary>
public sealed record CampaignEconomics(double ContactCost, double ConversionValue)
{
    /// <summary>The original study's figures: a purchase worth 10, a contact costing 2.</summary>
    public static readonly CampaignEconomics Default = new(2, 10);

    /// <summary>The probability above which contacting pays: cost / value.</summary>
    public double Threshold => ContactCost / ConversionValue;

    public Problem? Check() =>
        !(double.IsFinite(ContactCost) && ContactCost >= 0)
            ? new Problem($"the contact cost must be a number of at least 0, not {ContactCost}", Column: "contactCost")
            : !(double.IsFinite(ConversionValue) && ConversionValue > 0)
                ? new Problem($"the conversion value must be a number above 0, not {ConversionValue}", Column: "conversionValue")
                : null;
}

/// <summary>Customers whose predicted probability fell in [<see cref="From"/>, <see cref="To"/>): their share of the population, mean prediction and observed buying rate.</summary>
public sealed record ReliabilityBin(double From, double To, double Share, double MeanPredicted, double Observed);

/// <summary>Contacting the top <see cref="ContactedShare"/> of the population by score reaches <see cref="BuyersReachedShare"/> of its buyers.</summary>
public sealed record PopulationGain(double ContactedShare, double BuyersReachedShare, double Lift);

/// <summary>How good a set of probabilities is as probabilities: mean against the real rate, Brier, log loss, calibration error.</summary>
public sealed record ProbabilityQuality(double MeanProbability, double Brier, double LogLoss, double CalibrationError);

/// <summary>
/// The campaign "contact where p · value &gt; cost" played on the population, per 1,000 customers: what it realizes
/// (the customers' real outcomes), what the probabilities expected, the best any cut-off of the same scores could
/// realize, and contacting everyone or the same number at random.
/// </summary>
public sealed record PopulationCampaign(
    double ContactCost,
    double ConversionValue,
    double ContactedShare,
    double BuyersReachedShare,
    double BuyersContactedPer1000,
    double ExpectedBuyersContactedPer1000,
    double ProfitPer1000,
    double ExpectedProfitPer1000,
    double BestCutoffProfitPer1000,
    double EveryoneProfitPer1000,
    double RandomProfitPer1000);

/// <summary>A point of a campaign curve: contacting the top <see cref="ContactedShare"/> earns <see cref="Profit"/> and reaches <see cref="BuyersReachedShare"/> of the buyers.</summary>
public sealed record CurvePoint(double ContactedShare, double Profit, double BuyersReachedShare);

/// <summary>
/// The model judged on customers it never saw, in (or weighted to) the customer file's natural mix: the figures that
/// hold for the customers it will score. <see cref="Sample"/> says which customers; <see cref="Alternatives"/> shows
/// the same customers' figures for the uncalibrated score and each calibration, the evidence for the one chosen.
/// </summary>
public sealed record PopulationReport(
    string Sample,
    int Rows,
    int Buyers,
    double BuyingRate,
    double MeanProbability,
    double RocAuc,
    double AveragePrecision,
    double Brier,
    double LogLoss,
    double CalibrationError,
    ImmutableArray<ReliabilityBin> Reliability,
    ImmutableArray<PopulationGain> Gains,
    PopulationCampaign Campaign,
    Calibration Calibration,
    ImmutableSortedDictionary<string, ProbabilityQuality> Alternatives,
    ImmutableArray<CurvePoint> ProfitCurve,
    ImmutableArray<ReliabilityBin> EqualCountReliability);

/// <summary>Metrics on a sample of customers weighted to a population's mix.</summary>
public static class Population
{
    public const int ReliabilityBins = 10;

    /// <summary>
    /// Per-row weights that give the sample's classes the population's mix (buyers at <paramref name="rate"/>), with mean
    /// 1. Default (no weights) when a class is missing from the sample.
    /// </summary>
    public static ImmutableArray<double> ClassWeights(ImmutableArray<int> targets, double rate)
    {
        var buyers = targets.Count(t => t == 1);
        var n = targets.Length;
        if (buyers == 0 || buyers == n)
        {
            return default;
        }
        var buyerWeight = rate / ((double)buyers / n);
        var nonBuyerWeight = (1 - rate) / ((double)(n - buyers) / n);
        return [.. targets.Select(t => t == 1 ? buyerWeight : nonBuyerWeight)];
    }

    /// <summary>
    /// The whole report for raw scores <paramref name="raw"/> of customers with known <paramref name="targets"/>, weighted to
    /// <paramref name="rate"/>, with <paramref name="calibration"/> making the probabilities. <paramref name="alternatives"/>
    /// are other calibrations to compare on the same customers (the uncalibrated score is always added).
    /// </summary>
    public static PopulationReport Evaluate(
        string sample,
        ImmutableArray<double> raw,
        ImmutableArray<int> targets,
        double rate,
        Calibration calibration,
        IEnumerable<Calibration> alternatives,
        CampaignEconomics economics)
    {
        if (raw.Length != targets.Length)
        {
            throw new ArgumentException($"{raw.Length} scores for {targets.Length} targets", nameof(targets));
        }
        var weights = ClassWeights(targets, rate);
        if (weights.IsDefault)
        {
            throw new ArgumentException("the population sample needs buyers and non-buyers", nameof(targets));
        }
        var p = calibration.Apply(raw);
        var quality = Quality(p, targets, weights);
        var compared = ImmutableSortedDictionary.CreateBuilder<string, ProbabilityQuality>(StringComparer.Ordinal);
        compared["uncalibrated"] = Quality(raw, targets, weights);
        foreach (var other in alternatives.Append(calibration))
        {
            compared[other.Method.ToString().ToLowerInvariant()] = Quality(other.Apply(raw), targets, weights);
        }
        return new PopulationReport(
            sample,
            raw.Length,
            targets.Count(t => t == 1),
            rate,
            quality.MeanProbability,
            Metrics.RocAuc(p, targets),
            AveragePrecision(p, targets, weights),
            quality.Brier,
            quality.LogLoss,
            quality.CalibrationError,
            Reliability(p, targets, weights),
            Gains(p, targets, weights),
            Campaign(p, targets, weights, economics),
            calibration,
            compared.ToImmutable(),
            [.. Curve(p, targets, weights, economics, realized: true).Select(c => c with { Profit = c.Profit * 1000 / raw.Length })],
            EqualCountReliability(p, targets, weights));
    }

    /// <summary>Weighted mean probability, Brier score, log loss and expected calibration error over <see cref="ReliabilityBins"/> equal-width bins.</summary>
    public static ProbabilityQuality Quality(ImmutableArray<double> p, ImmutableArray<int> targets, ImmutableArray<double> weights)
    {
        double total = 0, mean = 0, brier = 0, logLoss = 0;
        for (var i = 0; i < p.Length; i++)
        {
            var w = weights[i];
            var clipped = Math.Clamp(p[i], Metrics.LogLossEpsilon, 1 - Metrics.LogLossEpsilon);
            total += w;
            mean += w * p[i];
            brier += w * (p[i] - targets[i]) * (p[i] - targets[i]);
            logLoss -= w * (targets[i] == 1 ? Math.Log(clipped) : Math.Log(1 - clipped));
        }
        var error = Reliability(p, targets, weights).Sum(b => b.Share * Math.Abs(b.Observed - b.MeanPredicted));
        return new ProbabilityQuality(mean / total, brier / total, logLoss / total, error);
    }

    /// <summary>The reliability table: bins of width 1/<see cref="ReliabilityBins"/> (the last includes 1); empty bins are left out.</summary>
    public static ImmutableArray<ReliabilityBin> Reliability(ImmutableArray<double> p, ImmutableArray<int> targets, ImmutableArray<double> weights)
    {
        var weight = new double[ReliabilityBins];
        var predicted = new double[ReliabilityBins];
        var observed = new double[ReliabilityBins];
        var total = 0.0;
        for (var i = 0; i < p.Length; i++)
        {
            var bin = Math.Clamp((int)(p[i] * ReliabilityBins), 0, ReliabilityBins - 1);
            weight[bin] += weights[i];
            predicted[bin] += weights[i] * p[i];
            observed[bin] += weights[i] * targets[i];
            total += weights[i];
        }
        var bins = ImmutableArray.CreateBuilder<ReliabilityBin>();
        for (var b = 0; b < ReliabilityBins; b++)
        {
            if (weight[b] > 0)
            {
                bins.Add(new ReliabilityBin((double)b / ReliabilityBins, (double)(b + 1) / ReliabilityBins, weight[b] / total, predicted[b] / weight[b], observed[b] / weight[b]));
            }
        }
        return bins.ToImmutable();
    }

    /// <summary>
    /// The reliability table over <see cref="ReliabilityBins"/> bins of (nearly) equal numbers of customers, lowest
    /// probabilities first: every bin is made of as many customers, so none jumps for being made of a handful, and the
    /// bins are narrow where the probabilities crowd. <see cref="ReliabilityBin.From"/> and <see cref="ReliabilityBin.To"/>
    /// are the lowest and highest probability in the bin; shares and rates are weighted to the population's mix.
    /// </summary>
    public static ImmutableArray<ReliabilityBin> EqualCountReliability(ImmutableArray<double> p, ImmutableArray<int> targets, ImmutableArray<double> weights)
    {
        var order = Enumerable.Range(0, p.Length).OrderBy(i => p[i]).ToArray();
        var total = weights.Sum();
        var count = Math.Min(ReliabilityBins, p.Length);
        var bins = ImmutableArray.CreateBuilder<ReliabilityBin>(count);
        for (var b = 0; b < count; b++)
        {
            var members = order[(b * p.Length / count)..((b + 1) * p.Length / count)];
            var weight = members.Sum(i => weights[i]);
            bins.Add(new ReliabilityBin(
                p[members[0]], p[members[^1]], weight / total,
                members.Sum(i => weights[i] * p[i]) / weight, members.Sum(i => weights[i] * targets[i]) / weight));
        }
        return bins.ToImmutable();
    }

    /// <summary>
    /// Weighted average precision: the mean, over the buyers' weight, of the precision at each distinct score
    /// (highest first), so tied scores count as one threshold, as scikit-learn computes it.
    /// </summary>
    public static double AveragePrecision(ImmutableArray<double> p, ImmutableArray<int> targets, ImmutableArray<double> weights)
    {
        var order = Metrics.DescendingOrder(p);
        var buyers = 0.0;
        for (var i = 0; i < p.Length; i++)
        {
            buyers += targets[i] * weights[i];
        }
        double tp = 0, all = 0, ap = 0, lastRecall = 0;
        for (var k = 0; k < order.Length; k++)
        {
            var i = order[k];
            all += weights[i];
            tp += targets[i] * weights[i];
            if (k == order.Length - 1 || p[order[k + 1]] != p[i])
            {
                var recall = tp / buyers;
                ap += (recall - lastRecall) * (tp / all);
                lastRecall = recall;
            }
        }
        return ap;
    }

    /// <summary>Weighted cumulative gains at each tenth of the population, highest scores first.</summary>
    public static ImmutableArray<PopulationGain> Gains(ImmutableArray<double> p, ImmutableArray<int> targets, ImmutableArray<double> weights, int bins = 10)
    {
        var curve = Points(p, targets, weights, _ => 0, realized: true);
        return
        [
            .. Enumerable.Range(1, bins).Select(b =>
            {
                var share = (double)b / bins;
                var reached = ReachedAt(curve, share);
                return new PopulationGain(share, reached, reached / share);
            }),
        ];
    }

    /// <summary>The campaign of <paramref name="economics"/> on the population, per 1,000 customers.</summary>
    public static PopulationCampaign Campaign(ImmutableArray<double> p, ImmutableArray<int> targets, ImmutableArray<double> weights, CampaignEconomics economics)
    {
        double total = 0, contacted = 0, buyersContacted = 0, expectedBuyers = 0, buyers = 0, best = 0;
        for (var i = 0; i < p.Length; i++)
        {
            var w = weights[i];
            total += w;
            buyers += w * targets[i];
            if (p[i] * economics.ConversionValue > economics.ContactCost)
            {
                contacted += w;
                buyersContacted += w * targets[i];
                expectedBuyers += w * p[i];
            }
        }
        var running = 0.0;
        foreach (var i in Metrics.DescendingOrder(p))
        {
            running += weights[i] * ((targets[i] * economics.ConversionValue) - economics.ContactCost);
            best = Math.Max(best, running);
        }
        var per1000 = 1000 / total;
        double Profit(double b, double c) => ((b * economics.ConversionValue) - (c * economics.ContactCost)) * per1000;
        return new PopulationCampaign(
            economics.ContactCost,
            economics.ConversionValue,
            contacted / total,
            buyers == 0 ? 0 : buyersContacted / buyers,
            buyersContacted * per1000,
            expectedBuyers * per1000,
            Profit(buyersContacted, contacted),
            Profit(expectedBuyers, contacted),
            best * per1000,
            Profit(buyers, total),
            Profit(buyers * contacted / total, contacted));
    }

    /// <summary>
    /// Profit and buyers reached against the share contacted (highest scores first), at <paramref name="steps"/> steps
    /// plus the start. Profit is the weighted total: realized from the targets with <paramref name="realized"/>,
    /// otherwise expected from the probabilities (then <paramref name="targets"/> may be empty).
    /// </summary>
    public static ImmutableArray<CurvePoint> Curve(
        ImmutableArray<double> p, ImmutableArray<int> targets, ImmutableArray<double> weights, CampaignEconomics economics, bool realized, int steps = 100)
    {
        var w = weights.IsDefault ? [.. Enumerable.Repeat(1.0, p.Length)] : weights;
        var points = Points(p, targets, w, i => ((realized ? targets[i] : p[i]) * economics.ConversionValue) - economics.ContactCost, realized);
        var result = ImmutableArray.CreateBuilder<CurvePoint>(steps + 1);
        var k = 0;
        for (var s = 0; s <= steps; s++)
        {
            var share = (double)s / steps;
            while (k < points.Length - 1 && points[k + 1].Share <= share + 1e-12)
            {
                k++;
            }
            result.Add(new CurvePoint(share, points[k].Profit, points[k].Reached));
        }
        return result.MoveToImmutable();
    }

    private readonly record struct Point(double Share, double Profit, double Reached);

    /// <summary>Cumulative (share contacted, profit, buyers' share reached) after each customer in score order.</summary>
    private static Point[] Points(ImmutableArray<double> p, ImmutableArray<int> targets, ImmutableArray<double> weights, Func<int, double> gain, bool realized)
    {
        var order = Metrics.DescendingOrder(p);
        var total = 0.0;
        var buyers = 0.0;
        for (var i = 0; i < p.Length; i++)
        {
            total += weights[i];
            buyers += weights[i] * (realized ? targets[i] : p[i]);
        }
        var points = new Point[order.Length + 1];
        double share = 0, profit = 0, reached = 0;
        for (var k = 0; k < order.Length; k++)
        {
            var i = order[k];
            share += weights[i];
            profit += weights[i] * gain(i);
            reached += weights[i] * (realized ? targets[i] : p[i]);
            points[k + 1] = new Point(share / total, profit, buyers == 0 ? 0 : reached / buyers);
        }
        return points;
    }

    /// <summary>Buyers' share reached at a share contacted, interpolating inside the customer that crosses it.</summary>
    private static double ReachedAt(Point[] points, double share)
    {
        for (var k = 1; k < points.Length; k++)
        {
            if (points[k].Share >= share - 1e-12)
            {
                var (a, b) = (points[k - 1], points[k]);
                var t = b.Share == a.Share ? 1 : (share - a.Share) / (b.Share - a.Share);
                return a.Reached + (Math.Clamp(t, 0, 1) * (b.Reached - a.Reached));
            }
        }
        return 1;
    }
}
