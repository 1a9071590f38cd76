using Churn.Numerics.Search;

namespace Churn.Host.Api;

/// <summary>A running search's phase in the host's views (<c>GET /searches/{id}</c> and the search's event stream).</summary>
public static class SearchPhaseNames
{
    /// <summary>The phase as <c>GET /searches/{id}</c> has always shown it.</summary>
    public static string Of(SearchPhase phase) => phase switch
    {
        SearchPhase.Preparing => "preparing",
        SearchPhase.Running => "running",
        SearchPhase.Cancelling => "cancelling",
        SearchPhase.TrainingWinner => "training winner",
        SearchPhase.AveragingWinner => "averaging winner",
        SearchPhase.Writing => "writing",
        _ => "done",
    };
}
