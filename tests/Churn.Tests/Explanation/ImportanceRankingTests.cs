using System.Collections.Immutable;
using Churn.Numerics.Data;
using Churn.Numerics.Explanation;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Explanation;

public class ImportanceRankingTests
{
    private static readonly ImmutableArray<string> Features = ["strong", "constant", "weak"];

    /// <summary>Customers × 3 contributions: large on the first behaviour, none on the second, small on the third.</summary>
    private static Matrix<double> Contributions(int n, ulong seed)
    {
        var noise = SeededRandom.Permutation(2 * n, seed);
        return Matrix<double>.Build.Dense(n, 3, (i, c) => c switch
        {
            0 => ((noise[i] % 100) - 50) / 25.0,
            1 => 0,
            _ => ((noise[n + i] % 100) - 50) / 250.0,
        });
    }

    [Fact]
    public void Behaviours_rank_by_mean_absolute_contribution_and_a_constant_one_ranks_last_with_zero()
    {
        var contributions = Contributions(300, 1);
        var ranking = ImportanceRanking.Rank(Features, contributions, seed: 5);

        Assert.Equal(["strong", "weak", "constant"], ranking.Select(r => r.Feature));
        Assert.Equal([1, 2, 3], ranking.Select(r => r.Rank));
        Assert.Equal(contributions.Column(0).Select(Math.Abs).Average(), ranking[0].MeanAbsContribution, 12);
        Assert.Equal((0.0, 0.0, 0.0), (ranking[2].MeanAbsContribution, ranking[2].Low, ranking[2].High));
    }

    [Fact]
    public void The_bootstrap_interval_contains_the_mean_and_narrows_with_more_customers()
    {
        var few = ImportanceRanking.Rank(Features, Contributions(40, 2), seed: 7);
        var many = ImportanceRanking.Rank(Features, Contributions(2000, 2), seed: 7);
        foreach (var r in few.Concat(many))
        {
            Assert.True(r.Low <= r.MeanAbsContribution && r.MeanAbsContribution <= r.High, r.ToString());
        }
        Assert.True(many[0].High - many[0].Low < (few[0].High - few[0].Low) / 2, $"{many[0]} against {few[0]}");
        Assert.True(few[0].High > few[0].Low);
    }

    [Fact]
    public void The_same_seed_gives_the_same_intervals_and_another_seed_others()
    {
        var contributions = Contributions(100, 3);
        Assert.Equal(ImportanceRanking.Rank(Features, contributions, 11), ImportanceRanking.Rank(Features, contributions, 11));
        Assert.NotEqual(ImportanceRanking.Rank(Features, contributions, 11)[0], ImportanceRanking.Rank(Features, contributions, 12)[0]);
    }
}
