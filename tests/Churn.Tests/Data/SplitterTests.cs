using Churn.Numerics.Data;

namespace Churn.Tests.Data;

public class SplitterTests
{
    [Theory]
    [InlineData("0.8,0.1,0.1", 0.8, 0.1, 0.1)]
    [InlineData(" 0.7 , 0.15 , 0.15 ", 0.7, 0.15, 0.15)]
    [InlineData("1,0,0", 1.0, 0.0, 0.0)]
    [InlineData("0.6,0.2,0.2000000001", 0.6, 0.2, 0.2000000001)]
    public void Splitter_parses_valid_ratios(string text, double train, double validation, double test)
    {
        Assert.Equal(new SplitRatios(train, validation, test), Splitter.ParseRatios(text).Unwrap());
    }

    [Theory]
    [InlineData("0.8,0.2", "three ratios")]
    [InlineData("0.8,0.1,0.05,0.05", "three ratios")]
    [InlineData("", "three ratios")]
    [InlineData("0.8,abc,0.1", "'abc' is not a number")]
    [InlineData("0,8;0,1;0,1", "three ratios")]
    [InlineData("0.8,0.3,-0.1", "must not be negative")]
    [InlineData("0,0.5,0.5", "training ratio must be above 0")]
    [InlineData("0.8,0.1,0.2", "sum to 1")]
    [InlineData("80,10,10", "sum to 1")]
    [InlineData("NaN,0,0", "finite")]
    public void Splitter_rejects_bad_ratios_naming_the_split_option(string text, string reason)
    {
        var problem = Rows.ProblemOf(Splitter.ParseRatios(text));
        Assert.Equal("split", problem.Column);
        Assert.Contains(reason, problem.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4474, 0.8, 0.1, 0.1, 3579, 447, 448)]
    [InlineData(10, 0.8, 0.1, 0.1, 8, 1, 1)]
    [InlineData(100, 0.29, 0.71, 0.0, 29, 71, 0)]
    [InlineData(7, 1.0, 0.0, 0.0, 7, 0, 0)]
    [InlineData(9, 0.5, 0.25, 0.25, 4, 2, 3)]
    public void Splitter_floors_train_and_validation_and_gives_test_the_rest(
        int n, double train, double validation, double test, int trainRows, int validationRows, int testRows)
    {
        Assert.Equal(new SplitSizes(trainRows, validationRows, testRows), Splitter.Sizes(n, new SplitRatios(train, validation, test)));
        var splits = Splitter.Split(Rows.Mixed(n / 2, n - (n / 2)), new SplitRatios(train, validation, test), 3, stratify: false).Unwrap();
        Assert.Equal((trainRows, validationRows, testRows), (splits.Train.Rows, splits.Validation.Rows, splits.Test.Rows));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Splitter_partitions_the_rows_without_loss_or_repeat(bool stratify)
    {
        var data = Rows.Mixed(buyers: 40, nonBuyers: 160);
        var splits = Splitter.Split(data, SplitRatios.Default, 8, stratify).Unwrap();
        var all = splits.Train.Ids.Concat(splits.Validation.Ids).Concat(splits.Test.Ids).ToList();
        Assert.Equal(data.Ids.Order(), all.Order());
        BalancerTests.AssertRowsComeFrom(data, splits.Train);
        BalancerTests.AssertRowsComeFrom(data, splits.Validation);
        BalancerTests.AssertRowsComeFrom(data, splits.Test);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Splitter_is_deterministic_by_seed_and_seeds_differ(bool stratify)
    {
        var data = Rows.Mixed(buyers: 100, nonBuyers: 100);
        Splits Run(ulong seed) => Splitter.Split(data, SplitRatios.Default, seed, stratify).Unwrap();
        var a = Run(1);
        var again = Run(1);
        var other = Run(2);
        Assert.Equal(a.Train.Ids, again.Train.Ids);
        Assert.Equal(a.Validation.Ids, again.Validation.Ids);
        Assert.Equal(a.Test.Ids, again.Test.Ids);
        Assert.NotEqual(a.Train.Ids, other.Train.Ids);
        Assert.NotEqual(a.Test.Ids, other.Test.Ids);
        Assert.NotEqual(data.Ids.Take(a.Train.Rows), a.Train.Ids);
    }

    [Fact]
    public void Stratified_split_preserves_class_shares()
    {
        var data = Rows.Mixed(buyers: 160, nonBuyers: 840);
        var splits = Splitter.Split(data, SplitRatios.Default, 4, stratify: true).Unwrap();
        Assert.Equal(new ClassCounts(128, 672), splits.Train.Counts());
        Assert.Equal(new ClassCounts(16, 84), splits.Validation.Counts());
        Assert.Equal(new ClassCounts(16, 84), splits.Test.Counts());
        // Each split is shuffled after merging, so buyers are not all at the end.
        Assert.Contains(1, splits.Train.Targets.Take(splits.Train.Rows / 2));
    }

    [Fact]
    public void Stratified_split_uses_per_class_floors()
    {
        var data = Rows.Mixed(buyers: 15, nonBuyers: 85);
        var splits = Splitter.Split(data, new SplitRatios(0.7, 0.2, 0.1), 4, stratify: true).Unwrap();
        Assert.Equal(new ClassCounts(10, 59), splits.Train.Counts());
        Assert.Equal(new ClassCounts(3, 17), splits.Validation.Counts());
        Assert.Equal(new ClassCounts(2, 9), splits.Test.Counts());
    }

    [Fact]
    public void Unstratified_and_stratified_splits_differ()
    {
        var data = Rows.Mixed(buyers: 100, nonBuyers: 100);
        Assert.NotEqual(
            Splitter.Split(data, SplitRatios.Default, 1, stratify: false).Unwrap().Train.Ids,
            Splitter.Split(data, SplitRatios.Default, 1, stratify: true).Unwrap().Train.Ids);
    }

    [Theory]
    [InlineData(3, 0.8, 0.1, 0.1, false, "validation split would be empty")]
    [InlineData(1, 0.5, 0.5, 0.0, false, "training split would be empty")]
    [InlineData(10, 0.8, 0.1, 0.1, true, "validation split would be empty")]
    public void Splitter_rejects_splits_that_would_be_empty(int n, double train, double validation, double test, bool stratify, string reason)
    {
        var data = Rows.Mixed(buyers: Math.Max(1, n / 10), nonBuyers: n - Math.Max(1, n / 10));
        var problem = Rows.ProblemOf(Splitter.Split(data, new SplitRatios(train, validation, test), 0, stratify));
        Assert.Equal("split", problem.Column);
        Assert.Contains(reason, problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Splitter_never_gives_a_negative_test_split_when_ratios_sum_slightly_over_1()
    {
        var sizes = Splitter.Sizes(10_000_000, new SplitRatios(0.5000005, 0.5000004, 0));
        Assert.Equal(10_000_000, sizes.Train + sizes.Validation + sizes.Test);
        Assert.Equal(0, sizes.Test);
    }

    [Fact]
    public void Splitter_rejects_ratios_built_in_code_that_do_not_sum_to_1()
    {
        Assert.False(Splitter.Split(Rows.Mixed(5, 5), new SplitRatios(0.5, 0.5, 0.5), 0, false).IsOk);
    }

    [Fact]
    public void First_balance_and_split_of_the_bundled_file_gives_3579_447_448()
    {
        var data = CustomerCsv.Load(TestFiles.BundledCsv).Unwrap().Data;
        var balanced = Balancer.Balance(data, BalanceStrategy.First, 0).Unwrap();
        Assert.Equal(4_474, balanced.Data.Rows);
        var splits = Splitter.Split(Scaler.FitApply(balanced.Data).Scaled, SplitRatios.Default, 0, false).Unwrap();
        Assert.Equal((3_579, 447, 448), (splits.Train.Rows, splits.Validation.Rows, splits.Test.Rows));
    }
}
