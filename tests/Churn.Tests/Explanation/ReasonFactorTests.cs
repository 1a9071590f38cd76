using Churn.Numerics.Explanation;

namespace Churn.Tests.Explanation;

/// <summary>How a reason's odds factor reads: rounded to what a person can use, capped where the figure stops meaning anything.</summary>
public class ReasonFactorTests
{
    [Theory]
    [InlineData(1.04, "x1.04")]
    [InlineData(1.5, "x1.5")]
    [InlineData(5.123, "x5.1")]
    [InlineData(21.4, "x21")]
    [InlineData(214.6, "x215")]
    [InlineData(999.4, "x999")]
    [InlineData(21402.96, "x > 1000")]
    [InlineData(1e300, "x > 1000")]
    public void A_factor_is_rounded_to_its_size_and_capped_past_a_thousand(double factor, string shown)
    {
        Assert.Equal(shown, Reason.Factor(Math.Log(factor)));
        // A behaviour that lowers the odds as much reads the same figure.
        Assert.Equal(shown, Reason.Factor(-Math.Log(factor)));
    }

    [Fact]
    public void A_reason_says_which_way_and_how_much_in_one_csv_field()
    {
        var raises = new Reason("minutes_listened", 0, Math.Log(21402.96)).ToString();
        Assert.Equal("minutes_listened = 0 (raises the odds x > 1000)", raises);
        Assert.DoesNotContain(",", raises, StringComparison.Ordinal);
        Assert.Equal("review = 1 (lowers the odds x5.1)", new Reason("review", 1, -Math.Log(5.1)).ToString());
        Assert.Equal("review = 1 (no effect)", new Reason("review", 1, 0).ToString());
    }

    [Fact]
    public void An_infinite_contribution_reads_as_capped_not_as_infinity()
    {
        Assert.Equal("x > 1000", Reason.Factor(double.PositiveInfinity));
        Assert.Equal("x > 1000", Reason.Factor(double.NaN));
    }
}
