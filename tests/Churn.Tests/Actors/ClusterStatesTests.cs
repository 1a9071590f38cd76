using Akka.Actor;
using Churn.Actors.Cluster;
using Churn.Actors.Messages;
using Churn.Numerics.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Actors;

/// <summary>The bookkeeping of a trial node and of a worker's agent as plain values, without an actor system.</summary>
public class ClusterStatesTests
{
    private static Splits SplitsOf(int rows)
    {
        var data = new Dataset([], Matrix<double>.Build.Dense(rows, 2), [.. Enumerable.Repeat(0, rows)]);
        return new Splits(data, data, data);
    }

    private static readonly Address Host = new("akka.tcp", "churn", "10.0.0.1", 4053);
    private static readonly Address OtherHost = new("akka.tcp", "churn", "10.0.0.2", 4053);

    [Fact]
    public void A_node_keeps_the_newest_splits_once_each_and_finds_them_by_digest()
    {
        var state = TrialNodeState<string>.Empty;
        (state, var first) = state.SplitsArrived("a", SplitsOf(3), kept: 2);
        (state, var again) = state.SplitsArrived("a", SplitsOf(4), kept: 2);
        (state, _) = state.SplitsArrived("b", SplitsOf(5), kept: 2);
        (state, _) = state.SplitsArrived("c", SplitsOf(6), kept: 2);

        Assert.True(first);
        Assert.False(again);
        Assert.Null(state.SplitsOf("a"));
        Assert.Equal(5, state.SplitsOf("b")!.Train.Rows);
        Assert.Equal(6, state.SplitsOf("c")!.Train.Rows);
    }

    [Fact]
    public void A_nodes_trial_reports_to_its_coordinator_and_one_that_stops_unreported_is_that_trials_failure()
    {
        var state = TrialNodeState<string>.Empty
            .Started("actor-1", "s", 0, "coordinator-s")
            .Started("actor-2", "s", 1, "coordinator-s");

        (state, var to) = state.Reported("actor-1", final: false);
        Assert.Equal("coordinator-s", to!.Coordinator);
        (state, _) = state.Reported("actor-1", final: true);
        (state, var reported) = state.Stopped("actor-1");
        (state, var unreported) = state.Stopped("actor-2");

        Assert.Null(reported);
        Assert.Equal(1, unreported!.Index);
        Assert.Empty(state.Trials);
        Assert.Null(state.Reported("actor-3", final: true).To);
    }

    [Fact]
    public void A_killed_trial_is_forgotten_without_a_report_and_orders_find_trials_by_search_and_position()
    {
        var state = TrialNodeState<string>.Empty.Started("actor-1", "s", 4, "c").Started("actor-2", "t", 4, "c");

        Assert.Equal((true, "actor-2"), state.ActorOf("t", 4));
        Assert.False(state.ActorOf("t", 5).Found);
        var killed = state.Killed("actor-2");
        Assert.False(killed.ActorOf("t", 4).Found);
        Assert.Null(killed.Stopped("actor-2").Unreported);
    }

    [Fact]
    public void A_worker_offers_its_slots_to_coordinators_only_once_it_is_up()
    {
        var state = WorkerAgentState.Start;
        (state, var early) = state.MemberUp(Host, coordinates: true);
        (state, var trainer) = state.MemberUp(OtherHost, coordinates: false);
        Assert.Null(early);
        Assert.Null(trainer);

        (state, var offers) = state.NodeUp();
        Assert.Equal([Host], offers);

        (state, var late) = state.MemberUp(OtherHost, coordinates: true);
        (state, var known) = state.MemberUp(OtherHost, coordinates: true);
        Assert.Equal(OtherHost, late);
        Assert.Null(known);
        Assert.Equal([Host], state.MemberRemoved(OtherHost).Coordinators);
    }

    [Fact]
    public void A_workers_log_lines_wait_bounded_until_a_coordinator_can_hear_them_then_go_once()
    {
        ClusterProtocol.WireLogLine Line(int n) => new(DateTimeOffset.UnixEpoch, "Information", "src", $"line {n}", "run-1");
        var state = WorkerAgentState.Start;
        for (var n = 1; n <= 5; n++)
        {
            state = state.Logged(Line(n), max: 3);
        }

        Assert.Empty(state.Flush().Lines);
        (state, _) = state.MemberUp(Host, coordinates: true);
        Assert.Empty(state.Flush().Lines);
        (state, _) = state.NodeUp();

        (state, var lines, var to) = state.Flush();
        Assert.Equal(["line 3", "line 4", "line 5"], lines.Select(l => l.Message));
        Assert.Equal([Host], to);
        Assert.Empty(state.Flush().Lines);
    }

    [Fact]
    public void The_host_takes_offers_of_1_to_256_slots_once_and_tells_coordinators_of_the_nodes_there_are()
    {
        var state = ClusterNodesState<string>.Empty.WithOwn(new ClusterNode<string>("own", 2, "own-node", Host));
        (state, var refused, _) = state.Offered("w1", 0, "w1-node", OtherHost);
        (state, var taken, var node) = state.Offered("w1", 3, "w1-node", OtherHost);
        (state, var known, _) = state.Offered("w1", 3, "w1-node", OtherHost);
        (state, var now) = state.Subscribed("coordinator");

        Assert.Equal(SlotOffer.Refused, refused);
        Assert.Equal(SlotOffer.Taken, taken);
        Assert.Equal(SlotOffer.Known, known);
        Assert.Equal(3, node.Slots);
        Assert.Equal(["own", "w1"], now.Select(n => n.Name));
        Assert.Equal(SlotOffer.Taken, state.Offered("w1", 4, "w1-node", OtherHost).Offer);
    }

    [Fact]
    public void A_removed_member_takes_its_nodes_with_it_and_the_view_shows_members_nodes_and_placed_trials()
    {
        var state = ClusterNodesState<string>.Empty.WithOwn(new ClusterNode<string>("own", 2, "own-node", Host));
        (state, _, _) = state.Offered("w1", 3, "w1-node", OtherHost);
        (state, _) = state.MemberChanged(new ClusterMember(Host, ["coordinator"], "up"), removed: false);
        (state, _) = state.MemberChanged(new ClusterMember(OtherHost, ["trainer"], "joining"), removed: false);
        (state, _) = state.MemberChanged(new ClusterMember(OtherHost, ["trainer"], "up"), removed: false);
        state = state.Reachability(OtherHost, reachable: false);
        state = state.Placed("s", System.Collections.Immutable.ImmutableDictionary<int, string>.Empty.Add(0, "w1").Add(4, "w1").Add(1, "own"), "coordinator");

        var view = state.View("churn@10.0.0.1:4053");
        Assert.Equal(["up", "up"], view.Members.Select(m => m.Status));
        Assert.Equal([true, false], view.Members.Select(m => m.Reachable));
        Assert.Equal(["s/trial-1", "s/trial-5"], view.Nodes.Single(n => n.Name == "w1").Trials);

        (state, var gone) = state.MemberChanged(new ClusterMember(OtherHost, ["trainer"], "removed"), removed: true);
        Assert.Equal(["w1"], gone.Select(n => n.Name));
        Assert.Equal(["own"], state.Nodes.Keys);
        Assert.Empty(state.Unreachable);
        Assert.Single(state.Members);
    }

    [Fact]
    public void A_stopped_trial_node_is_gone_and_a_stopped_coordinator_takes_its_placements_with_it()
    {
        var state = ClusterNodesState<string>.Empty;
        (state, _, _) = state.Offered("w1", 3, "w1-node", OtherHost);
        (state, _) = state.Subscribed("coordinator");
        state = state.Placed("s", System.Collections.Immutable.ImmutableDictionary<int, string>.Empty.Add(0, "w1"), "coordinator");

        (state, var node) = state.Stopped("w1-node");
        (state, var notNode) = state.Stopped("coordinator");

        Assert.Equal("w1", node!.Name);
        Assert.Null(notNode);
        Assert.Empty(state.Nodes);
        Assert.Empty(state.Subscribers);
        Assert.Empty(state.Placements);
    }
}
