using Churn.Actors.Search;

namespace Churn.Tests.Actors;

/// <summary>The searches actor's bookkeeping as plain values: who coordinates which search, and who hears a lost one.</summary>
public class SearchesStateTests
{
    [Fact]
    public void A_running_search_is_found_by_id_and_a_second_with_its_id_is_known_to_run()
    {
        var state = SearchesState<string>.Empty.Started("s1", "coordinator-1", "listener-1");

        Assert.True(state.Runs("s1"));
        Assert.False(state.Runs("s2"));
        Assert.Equal((true, "coordinator-1"), state.CoordinatorOf("s1"));
        Assert.False(state.CoordinatorOf("s2").Found);
    }

    [Fact]
    public void A_coordinator_that_stops_without_an_outcome_leaves_its_listener_to_hear_the_search_failed()
    {
        var state = SearchesState<string>.Empty.Started("s1", "coordinator-1", "listener-1").Started("s2", "coordinator-2", "listener-2");
        state = state.Ended("s2");

        (state, var lostId, var lost) = state.Stopped("coordinator-1");
        (state, var endedId, var ended) = state.Stopped("coordinator-2");
        var (_, strangerId, stranger) = state.Stopped("someone");

        Assert.Equal("s1", lostId);
        Assert.Equal("listener-1", lost!.Listener);
        Assert.Equal("s2", endedId);
        Assert.Null(ended);
        Assert.Null(strangerId);
        Assert.Null(stranger);
        Assert.Empty(state.Active);
    }
}
