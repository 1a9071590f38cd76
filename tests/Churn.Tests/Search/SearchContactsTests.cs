using Churn.Numerics.Search;

namespace Churn.Tests.Search;

/// <summary>Whom a search talks to: which node a stopped actor was, losing a node once, and who follows its events.</summary>
public class SearchContactsTests
{
    private static readonly SearchContacts<string> TwoNodes =
        SearchContacts<string>.None.NodeUp("local", "local-actor").NodeUp("worker-1", "worker-actor");

    [Fact]
    public void A_stopped_node_actor_names_its_node_which_stays_until_it_is_lost()
    {
        var (state, lost) = TwoNodes.Stopped("worker-actor");
        Assert.Equal("worker-1", lost);
        Assert.Equal("worker-actor", state.Node("worker-1"));

        var (down, actor) = state.NodeDown("worker-1");
        Assert.Equal("worker-actor", actor);
        Assert.Null(down.Node("worker-1"));
        Assert.Equal("local-actor", down.Node("local"));
    }

    [Theory]
    [InlineData("worker-1", "worker-actor")]
    [InlineData("nobody", null)]
    public void A_node_is_lost_once_and_an_unknown_node_changes_nothing(string node, string? actor)
    {
        var (once, first) = TwoNodes.NodeDown(node);
        Assert.Equal(actor, first);
        var (twice, second) = once.NodeDown(node);
        Assert.Null(second);
        Assert.Same(once, twice);
        Assert.Equal(actor is null ? 2 : 1, once.Nodes.Count);
    }

    [Fact]
    public void A_follower_is_told_events_until_it_stops_and_is_no_node()
    {
        var following = TwoNodes.Followed("stream-a").Followed("stream-b").Followed("stream-a");
        Assert.Equal(["stream-a", "stream-b"], following.Followers.Order(StringComparer.Ordinal));

        var (state, lost) = following.Stopped("stream-a");
        Assert.Null(lost);
        Assert.Equal(["stream-b"], state.Followers);
        Assert.Equal(TwoNodes.Nodes, state.Nodes);
    }

    [Fact]
    public void A_node_that_offers_slots_again_is_reached_through_its_new_actor()
    {
        var again = TwoNodes.NodeUp("worker-1", "worker-actor-2");
        Assert.Equal("worker-actor-2", again.Node("worker-1"));
        Assert.Null(again.Stopped("worker-actor").LostNode);
        Assert.Equal("worker-1", again.Stopped("worker-actor-2").LostNode);
    }
}
