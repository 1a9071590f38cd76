using Churn.Numerics.Data;
using Churn.Numerics.Model;
using Churn.Numerics.Search;

namespace Churn.Tests.Search;

/// <summary>The winner-averaging bookkeeping as a value: members, models kept in trial order, completion.</summary>
public class WinnerAveragingTests
{
    private static readonly LeaderboardRow Winner = new(
        1, 2, ModelConfig.Default, ConfigurationOutcome.Complete, 2, 2, 0.3, 0.01, 0.29, 0.31, 0.8, 10, null,
        Data: new DataChoice(BalanceStrategy.None, []));

    [Fact]
    public void Averaging_completes_when_every_member_kept_its_model_and_gives_them_in_trial_order()
    {
        var averaging = WinnerAveraging<string, string>.Of(Winner).Joined("a", 5).Joined("b", 4);

        var one = averaging.ModelKept("a", 5, "model of trial 5");
        var both = one.ModelKept("b", 4, "model of trial 4");

        Assert.False(averaging.Complete);
        Assert.False(one.Complete);
        Assert.True(both.Complete);
        Assert.Equal(["model of trial 4", "model of trial 5"], both.Models);
        Assert.Equal(Winner.Data!.Key, both.DataKey);
    }

    [Fact]
    public void A_model_from_an_actor_that_is_no_member_is_ignored_and_nothing_is_complete_without_members()
    {
        var averaging = WinnerAveraging<string, string>.Of(Winner).Joined("a", 0);

        var stray = averaging.ModelKept("someone else", 0, "stray");

        Assert.Empty(stray.Kept);
        Assert.False(stray.IsMember("someone else"));
        Assert.False(WinnerAveraging<string, string>.None.Complete);
        Assert.Equal("", WinnerAveraging<string, string>.None.DataKey);
    }
}
