using System.Collections.Immutable;

namespace Churn.Numerics.Evaluation;

/// <summary>How a model's raw score becomes a probability for the population it scores.</summary>
public enum CalibrationMethod
{
    /// <summary>No correction: the raw score is taken as the probability (the training mix is the population's).</summary>
    None,

    /// <summary>The analytic prior-shift correction from the training mix to the population's buying rate.</summary>
    Prior,

    /// <summary>Platt scaling: a logistic fit of the raw score's logit on held-out rows weighted to the population's mix.</summary>
    Platt,
}

/// <summary>
/// The map from a model's raw score (softmax of the network, learned on a mix of <see cref="TrainingRate"/> buyers) to
/// P(buys again) in a population that buys at <see cref="PopulationRate"/>: <c>logit(p) = Slope · logit(raw) + Intercept</c>.
/// The prior shift is the special case Slope 1, Intercept logit(population) − logit(training). A population whose rate
/// is known to differ (<c>--base-rate</c>) shifts the result once more by logit(rate) − logit(population).
/// <see cref="PopulationRate"/> is null when the customer file behind the model is unknown (splits read from
/// <c>.npz</c> files with no manifest): such a model needs a base rate to give probabilities.
/// </summary>
public sealed record Calibration(CalibrationMethod Method, double TrainingRate, double? PopulationRate, double Slope, double Intercept)
{
    /// <summary>Scores are clipped to [ε, 1 − ε] before the logit, so 0 and 1 stay finite.</summary>
    public const double Epsilon = 1e-7;

    /// <summary>The map the product fits by default: see <see cref="Fit"/>.</summary>
    public const CalibrationMethod DefaultMethod = CalibrationMethod.Platt;

    /// <summary>The prior-shift correction from <paramref name="trainingRate"/> to <paramref name="populationRate"/> (none when they are equal or the population is unknown).</summary>
    public static Calibration Prior(double trainingRate, double? populationRate) =>
        populationRate is { } population && population != trainingRate
            ? new Calibration(CalibrationMethod.Prior, trainingRate, population, 1, Logit(population) - Logit(trainingRate))
            : new Calibration(CalibrationMethod.None, trainingRate, populationRate, 1, 0);

    /// <summary>
    /// Fits <paramref name="method"/> on held-out rows (raw scores and targets, e.g. the validation split) whose
    /// classes are reweighted to the population's mix, so the fit means the same whatever the balancing was. Platt
    /// needs both classes among the rows and a known population; without them it falls back to the prior shift.
    /// </summary>
    public static Calibration Fit(
        CalibrationMethod method, ImmutableArray<double> raw, ImmutableArray<int> targets, double trainingRate, double? populationRate)
    {
        var prior = Prior(trainingRate, populationRate);
        if (method != CalibrationMethod.Platt || populationRate is not { } population)
        {
            return method == CalibrationMethod.None ? prior with { Method = CalibrationMethod.None, Slope = 1, Intercept = 0 } : prior;
        }
        var weights = Population.ClassWeights(targets, population);
        if (weights.IsDefault)
        {
            return prior;
        }
        var (slope, intercept) = FitLogistic(raw, targets, weights, prior.Slope, prior.Intercept);
        return new Calibration(CalibrationMethod.Platt, trainingRate, population, slope, intercept);
    }

    /// <summary>Folds of <see cref="CrossFittedLogLoss"/>.</summary>
    public const int CriterionFolds = 5;

    /// <summary>
    /// The log loss, in the population's mix, of held-out rows' probabilities after the calibration the product serves
    /// (Platt, weighted to the mix), each row scored by the map fitted on the other folds (row index mod
    /// <paramref name="folds"/>), so the two fitted parameters do not flatter the rows they were fitted on. It means
    /// the same whatever the training mix: a model trained 50/50 and one trained on every customer are judged on the
    /// probabilities they would give the population. NaN when a class is missing or the population is unknown.
    /// </summary>
    public static double CrossFittedLogLoss(
        ImmutableArray<double> raw, ImmutableArray<int> targets, double trainingRate, double? populationRate, int folds = CriterionFolds)
    {
        if (populationRate is not { } population || raw.Length != targets.Length || raw.IsEmpty)
        {
            return double.NaN;
        }
        var weights = Population.ClassWeights(targets, population);
        if (weights.IsDefault)
        {
            return double.NaN;
        }
        folds = Math.Clamp(folds, 1, raw.Length);
        var probabilities = new double[raw.Length];
        for (var fold = 0; fold < folds; fold++)
        {
            var fitRaw = ImmutableArray.CreateBuilder<double>();
            var fitTargets = ImmutableArray.CreateBuilder<int>();
            for (var i = 0; i < raw.Length; i++)
            {
                if (folds == 1 || i % folds != fold)
                {
                    fitRaw.Add(raw[i]);
                    fitTargets.Add(targets[i]);
                }
            }
            var map = Fit(CalibrationMethod.Platt, fitRaw.ToImmutable(), fitTargets.ToImmutable(), trainingRate, population);
            for (var i = fold; i < raw.Length; i += folds)
            {
                probabilities[i] = map.Apply(raw[i]);
            }
        }
        double loss = 0, total = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var p = Math.Clamp(probabilities[i], Epsilon, 1 - Epsilon);
            loss -= weights[i] * (targets[i] == 1 ? Math.Log(p) : Math.Log(1 - p));
            total += weights[i];
        }
        return loss / total;
    }

    /// <summary>P(buys again) for a raw score; <paramref name="baseRate"/> shifts it to a population with that buying rate.</summary>
    public double Apply(double raw, double? baseRate = null) => Sigmoid(LogOdds(raw, baseRate));

    /// <summary>The log-odds of <see cref="Apply(double, double?)"/>: the score that explanations split between features.</summary>
    public double LogOdds(double raw, double? baseRate = null) => (Slope * Logit(raw)) + Intercept + Shift(baseRate);

    /// <summary><see cref="Apply(double, double?)"/> for every score.</summary>
    public ImmutableArray<double> Apply(ImmutableArray<double> raw, double? baseRate = null)
    {
        var shift = Shift(baseRate);
        var result = new double[raw.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Sigmoid((Slope * Logit(raw[i])) + Intercept + shift);
        }
        return [.. result];
    }

    /// <summary>Whether this map can give probabilities at all: a model of an unknown population needs a base rate.</summary>
    public Problem? Check(double? baseRate) =>
        baseRate is { } rate && !(rate > 0 && rate < 1)
            ? new Problem($"the base rate must be a share between 0 and 1 (exclusive), not {rate}", Column: "base-rate")
            : PopulationRate is null && baseRate is null
                ? new Problem("the model does not know the buying rate of the customers it was trained on (its splits came from .npz files without a manifest); give the population's rate with --base-rate R")
                : null;

    public static double Logit(double p)
    {
        var c = Math.Clamp(p, Epsilon, 1 - Epsilon);
        return Math.Log(c / (1 - c));
    }

    public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    private double Shift(double? baseRate) => baseRate is { } rate ? Logit(rate) - Logit(PopulationRate ?? TrainingRate) : 0;

    /// <summary>
    /// Weighted logistic regression of the targets on logit(raw) by Newton's method, started at the prior shift; a tiny
    /// ridge keeps it defined when the scores separate the classes perfectly.
    /// </summary>
    private static (double Slope, double Intercept) FitLogistic(
        ImmutableArray<double> raw, ImmutableArray<int> targets, ImmutableArray<double> weights, double slope, double intercept)
    {
        const double ridge = 1e-6;
        var z = raw.Select(Logit).ToArray();
        for (var iteration = 0; iteration < 100; iteration++)
        {
            double ga = ridge * (slope - 1), gb = 0, haa = ridge, hab = 0, hbb = ridge;
            for (var i = 0; i < z.Length; i++)
            {
                var p = Sigmoid((slope * z[i]) + intercept);
                var r = weights[i] * (p - targets[i]);
                var s = weights[i] * p * (1 - p);
                ga += r * z[i];
                gb += r;
                haa += s * z[i] * z[i];
                hab += s * z[i];
                hbb += s;
            }
            var det = (haa * hbb) - (hab * hab);
            if (!(det > 0))
            {
                break;
            }
            var da = ((hbb * ga) - (hab * gb)) / det;
            var db = ((haa * gb) - (hab * ga)) / det;
            slope -= da;
            intercept -= db;
            if (Math.Abs(da) + Math.Abs(db) < 1e-10)
            {
                break;
            }
        }
        return (slope, intercept);
    }
}
