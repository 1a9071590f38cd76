using System.Text;
using Churn.Numerics;
using Churn.Numerics.Data;

namespace Churn.Tests.Data;

/// <summary>Customers sent as JSON: read as a customer file's rows would be, every problem naming the customer's place and the field.</summary>
public class CustomerJsonTests
{
    private const string Behaviours = "\"book_length_avg_min\": 1620, \"book_length_total_min\": 1620, \"price_avg\": 19.73, \"price_total\": 19.73, \"review\": 1, \"review_score\": 10, \"completion\": 0.99, \"minutes_listened\": 1603.8, \"support_requests\": 5, \"last_visit_days\": 92";

    private static Result<Dataset> Read(string json, int maxRows = 10) => CustomerJson.Read(Encoding.UTF8.GetBytes(json), maxRows);

    private static Problem Refused(string json, int maxRows = 10) => Assert.IsType<Result<Dataset>.Error>(Read(json, maxRows)).Problem;

    [Fact]
    public void Customers_are_read_with_their_ids_in_the_files_column_order()
    {
        var data = Read($$"""[{"customer_id": 4, {{Behaviours}}}, {"last_visit_days": 3, "customer_id": 9.0, {{Behaviours.Replace("\"last_visit_days\": 92", "\"target\": 1", StringComparison.Ordinal)}}}]""").Unwrap();
        var file = Rows.Load(Rows.FourRows).Data;
        Assert.Equal([4L, 9L], data.Ids);
        Assert.Equal(file.Inputs.Row(0), data.Inputs.Row(0));
        Assert.Equal(3, data.Inputs[1, 9]);
        Assert.False(data.HasTargets);
        Assert.Equal(0, Read("[]").Unwrap().Rows);
    }

    [Theory]
    [InlineData("\"minutes_listened\": NaN", "[0].minutes_listened", "not valid JSON")]
    [InlineData("\"minutes_listened\": \"NaN\"", "[0].minutes_listened", "finite number")]
    [InlineData("\"minutes_listened\": \"12\"", "[0].minutes_listened", "got a string")]
    [InlineData("\"minutes_listened\": null", "[0].minutes_listened", "got null")]
    [InlineData("\"minutes_listened\": [1]", "[0].minutes_listened", "got an array")]
    [InlineData("\"minutes_listened\": -1", "[0].minutes_listened", "must not be negative")]
    [InlineData("\"minutes_listened\": 1e300", "[0].minutes_listened", "implausibly large")]
    [InlineData("\"completion\": 1.5", "[0].completion", "completion must be between 0 and 1")]
    [InlineData("\"review\": 0.5", "[0].review", "0 or 1")]
    public void A_bad_value_is_refused_naming_the_customer_and_the_field(string replacement, string column, string reason)
    {
        var field = replacement[..replacement.IndexOf(':', StringComparison.Ordinal)];
        var behaviours = string.Join(", ", Behaviours.Split(", ").Select(f => f.StartsWith(field, StringComparison.Ordinal) ? replacement : f));
        var problem = Refused($$"""[{"customer_id": 1, {{behaviours}}}]""");
        Assert.Equal(column, problem.Column);
        Assert.Contains(reason, problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_unknown_repeated_and_surplus_customers_are_refused_by_place()
    {
        var good = $$"""{"customer_id": 1, {{Behaviours}}}""";
        Assert.Equal("[1].price_total", Refused($"[{good}, {good.Replace("\"price_total\": 19.73, ", "", StringComparison.Ordinal)}]").Column);
        Assert.Equal("[0].customer_id", Refused($$"""[{{{Behaviours}}}]""").Column);
        Assert.Equal("[0].customer_id", Refused($$"""[{"customer_id": 1.5, {{Behaviours}}}]""").Column);
        Assert.Equal("[0]", Refused($$"""[{"customer_id": 1, "colour": 3, {{Behaviours}}}]""").Column);
        Assert.Equal("[0].review", Refused($$"""[{"customer_id": 1, "review": 1, {{Behaviours}}}]""").Column);
        Assert.Equal("[1]", Refused($"[{good}, 3]").Column);
        var surplus = Refused($"[{good}, {good}, {good}]", maxRows: 2);
        Assert.Equal("[2]", surplus.Column);
        Assert.Contains("at most 2", surplus.Reason, StringComparison.Ordinal);
        Assert.Equal(JsonInput.Body, Refused(good).Column);
        Assert.Equal(JsonInput.Body, Refused($"[{good}] [").Column);
        Assert.StartsWith("[0]", Refused($"[{good[..40]}").Column, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(7, -0.5, "must not be negative")]
    [InlineData(5, 11, "review score")]
    [InlineData(0, double.NaN, "finite")]
    public void Feature_rules_refuse_impossible_values_and_pass_standardized_ones(int feature, double value, string reason)
    {
        Assert.Contains(reason, FeatureRules.Check(feature, value), StringComparison.Ordinal);
        Assert.Equal(double.IsFinite(value), FeatureRules.Check(feature, value, standardized: true) is null);
        Assert.Null(FeatureRules.Check(feature, 0.5 * (feature == 5 ? 2 : 1)));
    }
}
