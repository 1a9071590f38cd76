using Churn.Numerics.Data;
using Churn.Numerics.Explanation;

namespace Churn.Tests.Explanation;

public class DirectionSentenceTests
{
    private static PartialDependenceCurve Curve(double[] grid, double[] average) => new([.. grid], [.. average], []);

    private static readonly double[] Completion = [0.2, 0.4, 0.6, 0.8, 0.9];

    [Fact]
    public void A_rising_curve_says_customers_buy_again_more_often_with_its_ends()
    {
        var trend = DirectionSentence.Describe("completion", Curve(Completion, [0.09, 0.12, 0.18, 0.25, 0.31]));
        Assert.Equal(TrendShape.Rises, trend.Shape);
        Assert.Equal(
            "Customers who finished more of their books buy again more often: from completion 0.2 to 0.9 the probability rises from 0.09 to 0.31 on average.",
            trend.Sentence);
    }

    [Fact]
    public void A_falling_curve_says_less_often_and_falls()
    {
        var trend = DirectionSentence.Describe("support_requests", Curve([0, 1, 2, 5], [0.2, 0.15, 0.12, 0.1]));
        Assert.Equal(TrendShape.Falls, trend.Shape);
        Assert.Contains("buy again less often", trend.Sentence, StringComparison.Ordinal);
        Assert.Contains("falls from 0.20 to 0.10", trend.Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void A_curve_that_rises_then_falls_says_so_and_names_the_peak()
    {
        var trend = DirectionSentence.Describe("minutes_listened", Curve([0, 100, 500, 1000, 2000], [0.05, 0.2, 0.3, 0.2, 0.1]));
        Assert.Equal(TrendShape.RisesThenFalls, trend.Shape);
        Assert.Equal(500, trend.TurnAt);
        Assert.Contains("rises from 0.05 to 0.30, then falls to 0.10 at 2,000", trend.Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void A_curve_that_falls_then_rises_says_so()
    {
        var trend = DirectionSentence.Describe("price_avg", Curve([1, 5, 10, 20], [0.3, 0.1, 0.15, 0.25]));
        Assert.Equal(TrendShape.FallsThenRises, trend.Shape);
        Assert.Contains("falls from 0.30 to 0.10, then rises to 0.25", trend.Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void A_curve_that_turns_twice_says_up_and_down_and_a_flat_one_says_barely()
    {
        var wavy = DirectionSentence.Describe("review_score", Curve([1, 2, 3, 4, 5], [0.1, 0.3, 0.1, 0.3, 0.1]));
        Assert.Equal(TrendShape.Varies, wavy.Shape);
        Assert.Contains("up and down", wavy.Sentence, StringComparison.Ordinal);

        var flat = DirectionSentence.Describe("price_total", Curve([1, 5, 10, 20], [0.150, 0.152, 0.149, 0.151]));
        Assert.Equal(TrendShape.Flat, flat.Shape);
        Assert.Contains("barely changes the probability", flat.Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void Small_wiggles_do_not_turn_a_rising_curve_into_a_non_monotone_one()
    {
        var trend = DirectionSentence.Describe("completion", Curve(Completion, [0.10, 0.20, 0.199, 0.30, 0.298]));
        Assert.Equal(TrendShape.Rises, trend.Shape);
    }

    [Fact]
    public void Every_sentence_agrees_in_sign_with_the_curve_it_summarizes()
    {
        var grid = Enumerable.Range(0, 12).Select(k => k * 10.0).ToArray();
        for (var seed = 0UL; seed < 400; seed++)
        {
            // Random walks of every shape, some flat, some steep.
            var steps = SeededRandom.Permutation(1000, seed);
            var scale = 0.001 + (seed % 7 * 0.01);
            var p = new double[grid.Length];
            p[0] = 0.3;
            for (var k = 1; k < p.Length; k++)
            {
                p[k] = Math.Clamp(p[k - 1] + ((steps[k] - 500) / 500.0 * scale), 0.001, 0.999);
            }
            var trend = DirectionSentence.Describe("completion", Curve(grid, p));
            var text = trend.Sentence;
            var (from, to) = (p[0], p[^1]);
            switch (trend.Shape)
            {
                case TrendShape.Rises:
                    Assert.True(to > from, $"{text} over {string.Join(", ", p)}");
                    Assert.Contains($"rises from {DirectionSentence.P(from, to)} to {DirectionSentence.P(to, from)}", text, StringComparison.Ordinal);
                    Assert.DoesNotContain("falls", text, StringComparison.Ordinal);
                    break;
                case TrendShape.Falls:
                    Assert.True(to < from, $"{text} over {string.Join(", ", p)}");
                    Assert.Contains($"falls from {DirectionSentence.P(from, to)} to {DirectionSentence.P(to, from)}", text, StringComparison.Ordinal);
                    Assert.DoesNotContain("rises", text, StringComparison.Ordinal);
                    break;
                case TrendShape.RisesThenFalls:
                    Assert.True(trend.ProbabilityAtTurn > Math.Max(from, to), text);
                    Assert.Contains("rises from", text, StringComparison.Ordinal);
                    Assert.Contains("then falls", text, StringComparison.Ordinal);
                    break;
                case TrendShape.FallsThenRises:
                    Assert.True(trend.ProbabilityAtTurn < Math.Min(from, to), text);
                    Assert.Contains("then rises", text, StringComparison.Ordinal);
                    break;
                case TrendShape.Flat:
                    Assert.True(p.Max() - p.Min() <= DirectionSentence.Tolerance * 2, text);
                    break;
                default:
                    Assert.Contains("up and down", text, StringComparison.Ordinal);
                    break;
            }
            Assert.Equal(trend.ProbabilityMax, p.Max());
            Assert.Equal(trend.ProbabilityMin, p.Min());
        }
    }

    [Theory]
    [InlineData(0.25, "0.25")]
    [InlineData(3, "3")]
    [InlineData(12.5, "12.5")]
    [InlineData(1650.4, "1,650")]
    public void Values_are_written_as_people_write_them(double value, string text) =>
        Assert.Equal(text, DirectionSentence.X(value));

    [Fact]
    public void Probabilities_that_round_alike_or_are_small_get_a_third_decimal_and_none_reads_as_zero() =>
        Assert.Equal(("0.153", "0.151", "0.31", "0.004", "under 0.001"), (DirectionSentence.P(0.1531, 0.1512), DirectionSentence.P(0.1512, 0.1531),
            DirectionSentence.P(0.31, 0.09), DirectionSentence.P(0.0041, 0.2), DirectionSentence.P(0.0001, 0.2)));

    [Fact]
    public void Unknown_behaviours_read_as_their_own_name() =>
        Assert.StartsWith("Customers with a higher visits buy again more often", DirectionSentence.Describe("visits", Curve([1, 2], [0.1, 0.2])).Sentence, StringComparison.Ordinal);
}
