using System.Collections.Immutable;
using System.Globalization;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Drift;

/// <summary>How far a distribution moved: stable, worth a look (PSI above 0.1), or no longer what the model learned from (above 0.25).</summary>
public enum DriftLevel
{
    Stable,
    Warning,
    Alarm,
}

/// <summary>
/// One behaviour (or the score) compared with the training customers: its population stability index, the median
/// and 90th percentile then and now, and the level the index reaches.
/// </summary>
public sealed record DriftLine(string Name, double Psi, DriftLevel Level, double TrainingMedian, double Median, double TrainingP90, double P90)
{
    /// <summary>One line for people: <c>minutes_listened: median 0 -> 1,210, 90th percentile 1,620 -> 97,200; PSI 0.61</c>.</summary>
    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Name}: median {Number(TrainingMedian)} -> {Number(Median)}, 90th percentile {Number(TrainingP90)} -> {Number(P90)}; PSI {Psi:0.00}");

    private static string Number(double x) =>
        Math.Abs(x) >= 100 ? x.ToString("N0", CultureInfo.InvariantCulture)
        : Math.Abs(x) >= 1 ? x.ToString("0.##", CultureInfo.InvariantCulture)
        : x.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>
/// The customers scored against the model's training customers: a line per behaviour and one for the score, and the
/// worst level among them. <see cref="Moved"/> are the lines at a warning or an alarm, worst first.
/// </summary>
public sealed record DriftReport(int Rows, int TrainingRows, DriftLevel Level, ImmutableArray<DriftLine> Behaviours, DriftLine Score)
{
    public ImmutableArray<DriftLine> Moved =>
        [.. Behaviours.Append(Score).Where(l => l.Level != DriftLevel.Stable).OrderByDescending(l => l.Psi)];
}

/// <summary>Population stability of scored customers against a model's <see cref="DriftProfile"/>.</summary>
public static class DriftCheck
{
    /// <summary>PSI above this is a warning: the customers have moved enough to look at.</summary>
    public const double WarningPsi = 0.1;

    /// <summary>PSI above this is an alarm: the model's scores no longer describe these customers reliably.</summary>
    public const double AlarmPsi = 0.25;

    /// <summary>
    /// The smallest share a bin counts with: an empty bin on either side would make the index infinite; a thousandth
    /// of a percent keeps a bin the training customers never reached decisive without dividing by zero.
    /// </summary>
    public const double ShareFloor = 1e-4;

    /// <summary>
    /// Compares the raw behaviours <paramref name="inputs"/> (columns in the profile's order) and the model's
    /// uncalibrated <paramref name="scores"/> of the same customers with <paramref name="profile"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The columns do not match the profile's behaviours (a bug: the model's own features are scored).</exception>
    public static DriftReport Compare(DriftProfile profile, Matrix<double> inputs, ImmutableArray<double> scores)
    {
        var tally = new DriftTally(profile);
        tally.Add(inputs, scores);
        return tally.Report();
    }

    /// <summary>The population stability index of <paramref name="actual"/> shares against <paramref name="expected"/> ones: Σ (a − e) ln(a / e).</summary>
    public static double Psi(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual)
    {
        var psi = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            var e = Math.Max(expected[i], ShareFloor);
            var a = Math.Max(actual[i], ShareFloor);
            psi += (a - e) * Math.Log(a / e);
        }
        return psi;
    }

    public static DriftLevel LevelOf(double psi) => psi > AlarmPsi ? DriftLevel.Alarm : psi > WarningPsi ? DriftLevel.Warning : DriftLevel.Stable;
}
