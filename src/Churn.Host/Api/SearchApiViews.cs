using System.Collections.Immutable;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Churn.Host.Search;
using Churn.Numerics.Search;

namespace Churn.Host.Api;

/// <summary>Where to look a search up.</summary>
internal sealed record SearchLinks(string Self);

/// <summary>The reply to <c>POST /searches</c>.</summary>
internal sealed record SearchSubmitted(string Id, string Status, int Configurations, int Trials, string Out, SearchLinks Links);

/// <summary>
/// One trial as a search's page lists it: where it is, how far it got and its best and latest validation loss.
/// <see cref="Node"/> is the node that trained it (null for this process). Trial, configuration and seed (the replicate)
/// are numbered from 1, as everywhere; <see cref="Seed"/> is the trial's random seed.
/// </summary>
internal sealed record SearchTrialView(
    [property: JsonConverter(typeof(Numbering.FromOne))] int Index,
    [property: JsonConverter(typeof(Numbering.FromOne))] int Configuration,
    [property: JsonConverter(typeof(Numbering.FromOne))] int Replicate,
    long Seed, string Status, int Epochs, double? BestValidationLoss, double? LastValidationLoss, string? Reason, string? Node, double? CalibratedLoss)
{
    public static SearchTrialView From(TrialSummary t) => new(
        t.Spec.Index, t.Spec.Configuration, t.Spec.Replicate, t.Spec.Seed, SearchStore.StatusName(t.Status), t.Epochs,
        t.Epochs == 0 ? null : t.BestValidationLoss, t.LastValidationLoss, t.Reason, t.Node, double.IsFinite(t.CalibratedLoss) ? t.CalibratedLoss : null);
}

/// <summary>
/// A search as <c>GET /searches/{id}</c> and its stream's <c>finished</c> event show it: what was asked, how far it got,
/// the leaderboard (each chosen data preparation also described), the scheduler's decisions, every trial and the summary
/// once it has ended. <see cref="Phase"/> is the coordinator's while the search runs in this host.
/// </summary>
internal sealed record SearchView(
    string Id, string Status, string? Phase, string CreatedAt, string UpdatedAt, ulong Seed, int Parallel, int ThreadsPerTrial, SchedulerKind Scheduler,
    int Configurations, int Seeds, ImmutableArray<int> Rungs, SearchCriterion Criterion, string Data, string Out, SearchTrialCounts Trials,
    int EpochsSpent, JsonArray Leaderboard, ImmutableArray<RungDecision> Decisions, ImmutableArray<SearchTrialView> TrialList,
    ImmutableArray<string> Varied, JsonArray TrialNodes, JsonNode? Summary, string? Reason, string TestUse, SearchLinks Links);

/// <summary>A search's trials counted: all, ended, and by status.</summary>
internal sealed record SearchTrialCounts(int Total, int Ended, int Pending, int Running, int Held, int Promoted, int Completed, int Pruned, int Failed, int Cancelled);

/// <summary>The reply to <c>GET /searches</c>: newest first.</summary>
internal sealed record SearchList(System.Collections.Immutable.ImmutableArray<SearchListing> Searches);

/// <summary>The reply to <c>DELETE /searches/{id}</c> and <c>POST /searches/{id}/resume</c>.</summary>
internal sealed record SearchCancelRequested(string Id, string Status, SearchLinks Links);
