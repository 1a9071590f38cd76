using Churn.Numerics.Data;

namespace Churn.Tests.Data;

public class BalancerTests
{
    [Theory]
    [InlineData(BalanceStrategy.First)]
    [InlineData(BalanceStrategy.Random)]
    public void Balancer_keeps_every_buyer_and_as_many_non_buyers_in_file_order(BalanceStrategy strategy)
    {
        var data = Rows.Mixed(buyers: 30, nonBuyers: 170);
        var balanced = Balancer.Balance(data, strategy, 11).Unwrap();
        Assert.Equal(new ClassCounts(30, 170), balanced.Before);
        Assert.Equal(new ClassCounts(30, 30), balanced.After);
        Assert.Equal(strategy, balanced.Strategy);
        Assert.Equal(balanced.Data.Ids.Order(), balanced.Data.Ids);
        var buyerIds = data.Ids.Where((_, i) => data.Targets[i] == 1);
        Assert.Equal(buyerIds, balanced.Data.Ids.Where((_, i) => balanced.Data.Targets[i] == 1));
        AssertRowsComeFrom(data, balanced.Data);
    }

    [Fact]
    public void Balancer_first_takes_the_first_non_buyers_like_the_notebook()
    {
        var data = Rows.Numbered(0, 1, 0, 0, 1, 0, 0, 1, 0);
        var balanced = Balancer.Balance(data, BalanceStrategy.First, 99).Unwrap();
        Assert.Equal([1000L, 1001, 1002, 1003, 1004, 1007], balanced.Data.Ids);
        Assert.Equal([0, 1, 0, 0, 1, 1], balanced.Data.Targets);
    }

    [Fact]
    public void Balancer_random_depends_on_the_seed_only()
    {
        var data = Rows.Mixed(buyers: 50, nonBuyers: 500);
        var a = Balancer.Balance(data, BalanceStrategy.Random, 1).Unwrap().Data.Ids;
        var again = Balancer.Balance(data, BalanceStrategy.Random, 1).Unwrap().Data.Ids;
        var other = Balancer.Balance(data, BalanceStrategy.Random, 2).Unwrap().Data.Ids;
        Assert.Equal(a, again);
        Assert.NotEqual(a, other);
        Assert.NotEqual(Balancer.Balance(data, BalanceStrategy.First, 1).Unwrap().Data.Ids, a);
    }

    [Theory]
    [InlineData(BalanceStrategy.First)]
    [InlineData(BalanceStrategy.Random)]
    public void Balancer_keeps_all_non_buyers_when_they_are_fewer(BalanceStrategy strategy)
    {
        var data = Rows.Numbered(1, 1, 0, 1, 1, 0);
        var balanced = Balancer.Balance(data, strategy, 5).Unwrap();
        Assert.Equal(new ClassCounts(4, 2), balanced.After);
        Assert.Equal(data.Ids, balanced.Data.Ids);
        Assert.Empty(balanced.LeftOut);
    }

    [Theory]
    [InlineData(BalanceStrategy.First)]
    [InlineData(BalanceStrategy.Random)]
    public void The_left_out_rows_are_exactly_the_non_buyers_not_kept_in_file_order(BalanceStrategy strategy)
    {
        var data = Rows.Mixed(buyers: 30, nonBuyers: 170);
        var balanced = Balancer.Balance(data, strategy, 11).Unwrap();

        Assert.Equal(140, balanced.LeftOut.Length);
        Assert.Equal(balanced.LeftOut.Order(), balanced.LeftOut);
        Assert.All(balanced.LeftOut, row => Assert.Equal(0, data.Targets[row]));
        var leftOutIds = balanced.LeftOut.Select(row => data.Ids[row]).ToHashSet();
        Assert.Empty(leftOutIds.Intersect(balanced.Data.Ids));
        Assert.Equal(data.Ids.Order(), leftOutIds.Concat(balanced.Data.Ids).Order());
    }

    [Theory]
    [InlineData(new[] { 0, 0, 0 }, "no buyers")]
    [InlineData(new[] { 1, 1 }, "no non-buyers")]
    [InlineData(new int[0], "no buyers")]
    public void Balancer_rejects_a_class_without_rows(int[] targets, string reason)
    {
        var problem = Rows.ProblemOf(Balancer.Balance(Rows.Numbered(targets), BalanceStrategy.First, 0));
        Assert.Equal("target", problem.Column);
        Assert.Contains(reason, problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Balancer_rejects_data_without_targets()
    {
        var data = Rows.Numbered(1, 0) with { Targets = [] };
        Assert.False(Balancer.Balance(data, BalanceStrategy.Random, 0).IsOk);
    }

    [Fact]
    public void Balancer_first_on_the_bundled_file_gives_2237_and_2237()
    {
        var data = CustomerCsv.Load(TestFiles.BundledCsv).Unwrap().Data;
        var balanced = Balancer.Balance(data, BalanceStrategy.First, 0).Unwrap();
        Assert.Equal(new ClassCounts(2_237, 2_237), balanced.After);
        Assert.Equal(new ClassCounts(2_237, 11_847), balanced.Before);
    }

    /// <summary>Each kept row carries exactly the features, ID and target it had in the source.</summary>
    internal static void AssertRowsComeFrom(Dataset source, Dataset subset)
    {
        var rowOf = source.Ids.Select((id, row) => (id, row)).ToDictionary(p => p.id, p => p.row);
        for (var i = 0; i < subset.Rows; i++)
        {
            var row = rowOf[subset.Ids[i]];
            Assert.Equal(source.Inputs.Row(row).ToArray(), subset.Inputs.Row(i).ToArray());
            if (subset.HasTargets)
            {
                Assert.Equal(source.Targets[row], subset.Targets[i]);
            }
        }
    }
}
