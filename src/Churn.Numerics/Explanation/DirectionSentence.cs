using System.Collections.Immutable;
using System.Globalization;

namespace Churn.Numerics.Explanation;

/// <summary>The shape of a partial dependence curve once moves smaller than <see cref="DirectionSentence.Tolerance"/> are ignored.</summary>
public enum TrendShape
{
    /// <summary>The probability moves less than the tolerance over the whole grid.</summary>
    Flat,

    /// <summary>It only rises.</summary>
    Rises,

    /// <summary>It only falls.</summary>
    Falls,

    /// <summary>It rises to a peak inside the grid, then falls.</summary>
    RisesThenFalls,

    /// <summary>It falls to a trough inside the grid, then rises.</summary>
    FallsThenRises,

    /// <summary>It turns more than once.</summary>
    Varies,
}

/// <summary>
/// What a behaviour's partial dependence curve says, in numbers and in one plain sentence: its <see cref="Shape"/>,
/// the grid's ends (<see cref="From"/>, <see cref="To"/>) with the average probability there, and for a curve that
/// turns once the turning value. For <see cref="TrendShape.Varies"/> the turn fields hold the lowest and highest point.
/// </summary>
public sealed record BehaviourTrend(
    string Feature,
    TrendShape Shape,
    double From,
    double To,
    double ProbabilityFrom,
    double ProbabilityTo,
    double? TurnAt,
    double? ProbabilityAtTurn,
    double ProbabilityMin,
    double ProbabilityMax,
    string Sentence);

/// <summary>One sentence per behaviour, its direction and size read off its partial dependence curve.</summary>
public static class DirectionSentence
{
    /// <summary>
    /// Moves of the average probability smaller than this (or than a tenth of the curve's whole range, whichever is
    /// larger) are noise for a sentence: half a percentage point does not make a direction.
    /// </summary>
    public const double Tolerance = 0.005;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>
    /// How each behaviour of the schema reads in a sentence: who has more of it, and its short name with its unit.
    /// Other names read as themselves.
    /// </summary>
    private static readonly ImmutableDictionary<string, (string Who, string Name)> Words = new Dictionary<string, (string, string)>
    {
        ["book_length_avg_min"] = ("whose books are longer", "average book length (min)"),
        ["book_length_total_min"] = ("who bought more hours of books", "total book length (min)"),
        ["price_avg"] = ("who pay more per book", "average price"),
        ["price_total"] = ("who spent more in total", "total spent"),
        ["review"] = ("who left a review", "review (0 = none, 1 = left)"),
        ["review_score"] = ("who rate their books higher", "review score"),
        ["completion"] = ("who finished more of their books", "completion"),
        ["minutes_listened"] = ("who listened longer", "minutes listened"),
        ["support_requests"] = ("who asked support more often", "support requests"),
        ["last_visit_days"] = ("who came back to the app longer after buying", "days from purchase to last visit"),
    }.ToImmutableDictionary();

    /// <summary>The trend of <paramref name="curve"/> (its grid in the behaviour's own units) and its sentence.</summary>
    public static BehaviourTrend Describe(string feature, PartialDependenceCurve curve)
    {
        var grid = curve.Grid;
        var p = curve.Average;
        if (grid.Length == 0)
        {
            return new BehaviourTrend(feature, TrendShape.Flat, double.NaN, double.NaN, double.NaN, double.NaN, null, null, double.NaN, double.NaN,
                $"{Capitalized(NameOf(feature))} has no values to judge by.");
        }
        var (who, name) = Words.TryGetValue(feature, out var words) ? words : ($"with a higher {feature}", feature);
        var last = grid.Length - 1;
        var min = p.Min();
        var max = p.Max();
        var pivots = Pivots(p, Math.Max(Tolerance, (max - min) / 10));
        var (x0, x1, p0, p1) = (grid[0], grid[last], p[0], p[last]);
        var shape = pivots.Count switch
        {
            <= 1 => TrendShape.Flat,
            2 => p[pivots[1]] > p[pivots[0]] ? TrendShape.Rises : TrendShape.Falls,
            3 => p[pivots[1]] > p[pivots[0]] ? TrendShape.RisesThenFalls : TrendShape.FallsThenRises,
            _ => TrendShape.Varies,
        };
        var turn = pivots.Count == 3 ? pivots[1] : -1;
        var (lowest, highest) = (p.IndexOf(min), p.IndexOf(max));
        var sentence = shape switch
        {
            TrendShape.Rises =>
                $"Customers {who} buy again more often: from {name} {X(x0)} to {X(x1)} the probability rises from {P(p0, p1)} to {P(p1, p0)} on average.",
            TrendShape.Falls =>
                $"Customers {who} buy again less often: from {name} {X(x0)} to {X(x1)} the probability falls from {P(p0, p1)} to {P(p1, p0)} on average.",
            TrendShape.RisesThenFalls =>
                $"Customers {who} buy again more often only up to a point: from {name} {X(x0)} to {X(grid[turn])} the probability rises from {P(p0, p[turn])} to {P(p[turn], p0)}, then falls to {P(p1, p[turn])} at {X(x1)}, on average.",
            TrendShape.FallsThenRises =>
                $"Customers {who} buy again less often only up to a point: from {name} {X(x0)} to {X(grid[turn])} the probability falls from {P(p0, p[turn])} to {P(p[turn], p0)}, then rises to {P(p1, p[turn])} at {X(x1)}, on average.",
            TrendShape.Varies =>
                $"{Capitalized(name)} moves the probability up and down: from {X(x0)} to {X(x1)} it rises and falls between {P(min, max)} (at {X(grid[lowest])}) and {P(max, min)} (at {X(grid[highest])}) on average.",
            _ =>
                $"{Capitalized(name)} barely changes the probability: from {X(x0)} to {X(x1)} it stays between {P(min, max)} and {P(max, min)} on average.",
        };
        return shape is TrendShape.Varies
            ? new BehaviourTrend(feature, shape, x0, x1, p0, p1, grid[highest], max, min, max, sentence)
            : new BehaviourTrend(feature, shape, x0, x1, p0, p1, turn < 0 ? null : grid[turn], turn < 0 ? null : p[turn], min, max, sentence);
    }

    /// <summary>What the probability does as the behaviour grows, in a few words, for a ranking's line or a chart's title.</summary>
    public static string ShapeWords(TrendShape shape) => shape switch
    {
        TrendShape.Rises => "rises",
        TrendShape.Falls => "falls",
        TrendShape.RisesThenFalls => "rises, then falls",
        TrendShape.FallsThenRises => "falls, then rises",
        TrendShape.Varies => "goes up and down",
        _ => "barely changes",
    };

    /// <summary>The words a behaviour's values are named by in a sentence or on an axis.</summary>
    public static string NameOf(string feature) => Words.TryGetValue(feature, out var words) ? words.Name : feature;

    /// <summary>
    /// The turning points of <paramref name="p"/> (a zig-zag filter): the first and last index and every extreme
    /// from which the curve moves back by more than <paramref name="tolerance"/>. Two points: one direction; one
    /// point: no move worth naming.
    /// </summary>
    internal static List<int> Pivots(ImmutableArray<double> p, double tolerance)
    {
        var pivots = new List<int> { 0 };
        var direction = 0;
        var extreme = 0;
        for (var i = 1; i < p.Length; i++)
        {
            if (direction == 0)
            {
                if (Math.Abs(p[i] - p[0]) > tolerance)
                {
                    direction = Math.Sign(p[i] - p[0]);
                    extreme = i;
                }
                else if (Math.Abs(p[i] - p[0]) > Math.Abs(p[extreme] - p[0]))
                {
                    extreme = i;
                }
            }
            else if ((p[i] - p[extreme]) * direction > 0)
            {
                extreme = i;
            }
            else if (Math.Abs(p[i] - p[extreme]) > tolerance)
            {
                pivots.Add(extreme);
                direction = -direction;
                extreme = i;
            }
        }
        if (direction != 0)
        {
            pivots.Add(extreme == p.Length - 1 || Math.Abs(p[^1] - p[extreme]) <= tolerance ? p.Length - 1 : extreme);
        }
        return pivots;
    }

    /// <summary>A behaviour's value as people write it: whole numbers with thousands separators, small ones with up to two decimals.</summary>
    internal static string X(double x) =>
        Math.Abs(x) >= 100 || x == Math.Round(x) ? x.ToString("#,0", Invariant) : x.ToString(Math.Abs(x) >= 10 ? "0.#" : "0.0#", Invariant);

    /// <summary>
    /// A probability with two decimals, or three when it is under 0.01 or two would show it equal to
    /// <paramref name="other"/>; "under 0.001" rather than a zero the curve never reaches.
    /// </summary>
    internal static string P(double p, double other) =>
        p < 0.0005 ? "under 0.001"
        : p.ToString(p < 0.01 || p.ToString("F2", Invariant) == other.ToString("F2", Invariant) ? "F3" : "F2", Invariant);

    private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
