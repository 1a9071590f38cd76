using System.Collections.Immutable;
using Churn.Numerics.Search;

namespace Churn.Tests.Search;

public class AshaTests
{
    private static string Outcomes(IEnumerable<RungDecision> decisions) =>
        string.Concat(decisions.OrderBy(d => d.Rung).ThenBy(d => d.Configuration).Select(d => d.Outcome.ToString()[0]));

    private static (AshaState State, List<RungDecision> Decisions) ReportAll(AshaState state, int rung, IEnumerable<(int Configuration, double Loss)> reports)
    {
        var decisions = new List<RungDecision>();
        foreach (var (configuration, loss) in reports)
        {
            (state, var made) = state.Report(configuration, rung, loss);
            decisions.AddRange(made);
        }
        return (state, decisions);
    }

    [Theory]
    // Keep the best ceil(n/3) of the n configurations seen so far, in configuration order.
    [InlineData(3, new[] { 0.5, 0.6, 0.4, 0.7, 0.3, 0.45 }, "PSPSPS")]
    [InlineData(3, new[] { 0.9, 0.8, 0.7, 0.6, 0.5, 0.4 }, "PPPPPP")]
    [InlineData(3, new[] { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6 }, "PSSSSS")]
    [InlineData(2, new[] { 0.5, 0.6, 0.4, 0.7 }, "PSPS")]
    // A tie goes to the earlier configuration.
    [InlineData(3, new[] { 0.5, 0.5, 0.5, 0.5 }, "PSSS")]
    [InlineData(3, new[] { 0.5, 0.4, 0.4 }, "PPS")]
    public void Configurations_in_the_bottom_part_of_a_rung_stop(int eta, double[] losses, string expected)
    {
        var state = AshaState.Start([4], eta, losses.Length);
        var (_, decisions) = ReportAll(state, 0, losses.Select((l, c) => (c, l)));
        Assert.Equal(expected, Outcomes(decisions));
    }

    [Theory]
    [InlineData(new[] { 0.5, 0.6, 0.4, 0.7, 0.3, 0.45 }, new[] { 5, 4, 3, 2, 1, 0 })]
    [InlineData(new[] { 0.5, 0.6, 0.4, 0.7, 0.3, 0.45 }, new[] { 2, 0, 5, 1, 4, 3 })]
    [InlineData(new[] { 0.5, 0.5, 0.5, 0.5 }, new[] { 3, 1, 2, 0 })]
    public void Decisions_do_not_depend_on_the_order_reports_arrive_in(double[] losses, int[] arrival)
    {
        var inOrder = ReportAll(AshaState.Start([4], 3, losses.Length), 0, losses.Select((l, c) => (c, l))).Decisions;
        var shuffled = ReportAll(AshaState.Start([4], 3, losses.Length), 0, arrival.Select(c => (c, losses[c]))).Decisions;
        Assert.Equal(inOrder.OrderBy(d => d.Configuration), shuffled.OrderBy(d => d.Configuration));
    }

    [Fact]
    public void A_configuration_waits_for_the_ones_before_it()
    {
        var state = AshaState.Start([4], 3, 3);
        (state, var first) = state.Report(1, 0, 0.1);
        Assert.Empty(first);
        Assert.Null(state.DecisionFor(1, 0));
        (_, var second) = state.Report(0, 0, 0.5);
        Assert.Equal([(0, RungOutcome.Promoted), (1, RungOutcome.Promoted)], second.Select(d => (d.Configuration, d.Outcome)));
        Assert.Equal(new RungDecision(0, 4, 1, 0.1, RungOutcome.Promoted, 0, 2, 1), second[1]);
    }

    [Fact]
    public void A_failed_configuration_is_left_out_of_the_comparison()
    {
        var state = AshaState.Start([4], 3, 3);
        (state, _) = state.Report(1, 0, 0.5);
        (state, _) = state.Report(2, 0, 0.6);
        (state, var decisions) = state.Exclude(0);
        Assert.Equal("PS", Outcomes(decisions));
        Assert.Equal(2, decisions[1].Compared);
    }

    [Fact]
    public void A_finished_configuration_counts_with_its_final_loss_at_every_later_rung()
    {
        var state = AshaState.Start([4, 12], 3, 2);
        (state, var finished) = state.Finish(0, 0.2);
        Assert.Equal([RungOutcome.Finished, RungOutcome.Finished], finished.Select(d => d.Outcome));
        (_, var second) = state.Report(1, 0, 0.5);
        Assert.Equal(new RungDecision(0, 4, 1, 0.5, RungOutcome.Stopped, 1, 2, 1), Assert.Single(second));
    }

    [Fact]
    public void A_configuration_stopped_at_one_rung_is_not_compared_at_the_next()
    {
        var state = AshaState.Start([4, 12], 3, 3);
        (state, var rung0) = ReportAll(state, 0, [(0, 0.5), (1, 0.6), (2, 0.4)]);
        Assert.Equal("PSP", Outcomes(rung0));
        (state, var c0) = state.Report(0, 1, 0.45);
        (_, var c2) = state.Report(2, 1, 0.35);
        Assert.Equal(RungOutcome.Promoted, Assert.Single(c0).Outcome);
        Assert.Equal(new RungDecision(1, 12, 2, 0.35, RungOutcome.Promoted, 0, 2, 1), Assert.Single(c2));
    }

    [Fact]
    public void Restored_decisions_stand_and_are_not_made_again()
    {
        var (original, decisions) = ReportAll(AshaState.Start([4, 12], 3, 3), 0, [(0, 0.5), (1, 0.6), (2, 0.4)]);
        var restored = AshaState.Start([4, 12], 3, 3).Restore(decisions);

        var (again, made) = restored.Report(1, 0, 0.6);

        Assert.Empty(made);
        Assert.Equal(original.Decisions, again.Decisions);
        Assert.Equal(RungOutcome.Stopped, restored.DecisionFor(1, 0)!.Outcome);
        // Configuration 1 stopped at rung 0, so it does not hold up configuration 2 at rung 1.
        var (next, _) = restored.Report(0, 1, 0.5);
        var (_, later) = next.Report(2, 1, 0.3);
        Assert.Equal(2, Assert.Single(later).Compared);
    }

    [Fact]
    public void Rung_of_an_epoch_is_its_index_or_minus_one()
    {
        var state = AshaState.Start(ImmutableArray.Create(4, 12, 36), 3, 1);
        Assert.Equal([-1, 0, 1, 2, -1], new[] { 1, 4, 12, 36, 40 }.Select(state.RungOf));
    }
}
