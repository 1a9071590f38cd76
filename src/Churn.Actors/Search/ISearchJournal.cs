using Churn.Actors.Messages;
using Churn.Numerics.Model;
using Churn.Numerics.Search;

namespace Churn.Actors.Search;

/// <summary>
/// Where a search coordinator records every change as it happens, so a search can be resumed after its process dies.
/// The coordinator calls it on its own thread, so an implementation keeps each call to one small write; a call that
/// throws is logged and the search goes on (it is then only as resumable as what was written).
/// </summary>
public interface ISearchJournal
{
    /// <summary>A new search: the request (with its whole plan) and every trial, pending.</summary>
    void SearchStarted(SearchRequest request, DateTimeOffset at);

    /// <summary>A stored search continues in this process.</summary>
    void SearchResumed(string searchId, int parallel, DateTimeOffset at);

    /// <summary>A trial starts from epoch 1 on <paramref name="node"/>; epochs stored by an interrupted earlier attempt are dropped.</summary>
    void TrialStarted(string searchId, TrialSpec trial, DateTimeOffset at, string? node = null);

    /// <summary>A trial lost with its node goes back to the queue (pending) until it starts again; the reason is kept.</summary>
    void TrialRequeued(string searchId, int trial, string reason, DateTimeOffset at);

    void EpochRecorded(string searchId, int trial, EpochMetrics metrics);

    /// <summary>A trial ended (completed, failed, pruned or cancelled) with its reason and times.</summary>
    void TrialEnded(string searchId, TrialRecord record, DateTimeOffset at);

    void DecisionRecorded(string searchId, RungDecision decision, DateTimeOffset at);

    /// <summary>The search ended: <paramref name="status"/> is completed, cancelled or failed.</summary>
    void SearchEnded(string searchId, string status, SearchSummary? summary, string? reason, DateTimeOffset at);
}

/// <summary>A journal that keeps nothing, for tests of the actors alone.</summary>
public sealed class NoSearchJournal : ISearchJournal
{
    public static readonly NoSearchJournal Instance = new();

    public void SearchStarted(SearchRequest request, DateTimeOffset at)
    {
    }

    public void SearchResumed(string searchId, int parallel, DateTimeOffset at)
    {
    }

    public void TrialStarted(string searchId, TrialSpec trial, DateTimeOffset at, string? node = null)
    {
    }

    public void TrialRequeued(string searchId, int trial, string reason, DateTimeOffset at)
    {
    }

    public void EpochRecorded(string searchId, int trial, EpochMetrics metrics)
    {
    }

    public void TrialEnded(string searchId, TrialRecord record, DateTimeOffset at)
    {
    }

    public void DecisionRecorded(string searchId, RungDecision decision, DateTimeOffset at)
    {
    }

    public void SearchEnded(string searchId, string status, SearchSummary? summary, string? reason, DateTimeOffset at)
    {
    }
}
