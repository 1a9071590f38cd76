using System.Collections.Immutable;
using Akka.Actor;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Model;
using Churn.Numerics.Search;

namespace Churn.Actors.Messages;

/// <summary>
/// Everything one search needs, stored as is: a restarted host resumes it with exactly this plan (the sampled
/// configurations and their trial seeds), so nothing is drawn twice. <paramref name="Run"/> is the run specification
/// every trial and the winner start from (its data and output folder absolute, its balancing and log features the
/// search's own preparation): whatever a run is configured with, a search's runs are too. <paramref name="Parallel"/>
/// and <paramref name="Threads"/> may change on resume: they decide how fast the search goes, never what it finds.
/// </summary>
public sealed record SearchRequest(
    string SearchId,
    RunSpec Run,
    int Parallel,
    SchedulerKind Scheduler,
    SearchPlan Plan,
    int Threads = 0)
{
    /// <summary>Where the search writes its report, the winner's run and the averaged model.</summary>
    public string OutDir => Run.Out;

    public PrepareOptions PrepareOptions => Run.PrepareOptions;

    /// <summary>How the data is prepared for trials with data choice <paramref name="data"/> (null: the search's own preparation).</summary>
    public PrepareOptions PrepareOptionsFor(DataChoice? data) =>
        data is null ? PrepareOptions : PrepareOptions with { Balance = data.Balance, LogFeatures = data.LogFeatures };

    /// <summary>Every preparation the search's trials train on, by <see cref="DataChoice.Key"/> (the empty key: the search's own).</summary>
    public ImmutableArray<(string Key, PrepareOptions Options)> Preparations =>
        Plan.DataChoices.IsEmpty ? [("", PrepareOptions)] : [.. Plan.DataChoices.Select(d => (d.Key, PrepareOptionsFor(d)))];

    /// <summary>
    /// Intra-op threads per trial: <see cref="Threads"/> when set, otherwise one. The networks' matrices are too small for
    /// intra-op parallelism to pay: on this data a search at P = 1 took 164.5 s with two threads per trial and 58.0 s
    /// with one (bench/README.md), so parallelism comes from running trials side by side, and P trials of one thread each
    /// never oversubscribe P cores.
    /// </summary>
    public int ThreadsPerTrial => Threads > 0 ? Threads : 1;

    /// <summary>The run that trains the winner <paramref name="model"/> on the preparation of <paramref name="data"/> for the test evaluation.</summary>
    public RunSettings WinnerRun(ModelConfig model, DataChoice? data, string prefix)
    {
        var prepare = PrepareOptionsFor(data);
        return new RunSettings(
            RunMode.Full, Run with { Prefix = prefix, Balance = prepare.Balance, LogFeatureNames = prepare.LogFeatures, Model = model }, Threads: ThreadsPerTrial);
    }
}

/// <summary>Start (or, with <paramref name="Resume"/>, continue) a search; its events and outcome go to <paramref name="ReplyTo"/>.</summary>
public sealed record StartSearch(SearchRequest Request, IActorRef ReplyTo, SearchProgress? Resume = null);

/// <summary>Stop every trial of a search within a second and keep the best so far.</summary>
public sealed record CancelSearch(string SearchId);

/// <summary>Ask for a search's current state; the answer is a <see cref="SearchSnapshot"/> or <see cref="SearchNotActive"/>.</summary>
public sealed record GetSearch(string SearchId, IActorRef ReplyTo);

/// <summary>A search in progress as its coordinator sees it (the host words <paramref name="Phase"/> for its views).</summary>
public sealed record SearchSnapshot(
    string SearchId,
    SearchPhase Phase,
    ImmutableArray<LeaderboardRow> Leaderboard,
    ImmutableArray<TrialRecord> Trials,
    ImmutableArray<RungDecision> Decisions,
    int EpochsSpent,
    TimeSpan Elapsed);

/// <summary>
/// Send <paramref name="Follower"/> every event of the search from now on; the reply (to the sender) is a
/// <see cref="SearchFollowed"/>, or <see cref="SearchNotActive"/> when the search does not run here.
/// </summary>
public sealed record FollowSearch(string SearchId, IActorRef Follower);

/// <summary>Where the search stood when <see cref="FollowSearch"/> arrived; its events follow.</summary>
public sealed record SearchFollowed(string SearchId, SearchSnapshot Snapshot, int Seeds, int Parallel);

/// <summary>No search of that id runs in this process (it may have ended; the store knows).</summary>
public sealed record SearchNotActive(string SearchId);

/// <summary>Marker for what a search tells its listener while it goes.</summary>
public interface ISearchEvent
{
    string SearchId { get; }
}

/// <summary>The splits every trial shares are ready.</summary>
public sealed record SearchDataReady(string SearchId, string Detail) : ISearchEvent;

public sealed record SearchTrialStarted(string SearchId, TrialSpec Trial) : ISearchEvent;

/// <summary>A trial ended: completed, failed, pruned or cancelled (<see cref="TrialRecord.Status"/>).</summary>
public sealed record SearchTrialEnded(string SearchId, TrialRecord Record) : ISearchEvent;

/// <summary>A running trial finished an epoch; <paramref name="Node"/> is the address of the actor system it trains in.</summary>
public sealed record SearchTrialEpoch(string SearchId, int Trial, EpochMetrics Metrics, string Node) : ISearchEvent;

public sealed record SearchRungDecided(string SearchId, RungDecision Decision) : ISearchEvent;

/// <summary>The trials are done; the winner is being trained with the run pipeline and evaluated on the test split, once.</summary>
public sealed record SearchWinnerTraining(string SearchId, int Configuration, ModelConfig Config) : ISearchEvent;

/// <summary>
/// How a search ended. The leaderboard ranks by validation loss only; <paramref name="WinnerTest"/> is the winner's
/// one evaluation on the test split, and <paramref name="WinnerLeftOut"/> its check on the non-buyers balancing left
/// out. <paramref name="TrialWall"/> and <paramref name="TrialInSession"/> sum every trial's wall time (less any wait at a rung for the scheduler's decision) and the part of it inside the training
/// session, so their difference is the actors' overhead.
/// </summary>
public sealed record SearchSummary(
    string Status,
    ImmutableArray<LeaderboardRow> Leaderboard,
    int Trials,
    int EpochsSpent,
    TimeSpan Elapsed,
    TimeSpan TrialWall,
    TimeSpan TrialInSession,
    ClassificationMetrics? WinnerTest,
    string? ModelDirectory,
    ImmutableArray<string> Files,
    string? Note,
    LeftOutCheck? WinnerLeftOut = null,
    PopulationReport? WinnerPopulation = null,
    string? AveragedModelDirectory = null);

public sealed record SearchCompleted(string SearchId, SearchSummary Summary) : ISearchEvent;

public sealed record SearchCancelled(string SearchId, SearchSummary Summary) : ISearchEvent;

public sealed record SearchFailed(string SearchId, string Reason) : ISearchEvent;

/// <summary>
/// What a search coordinator gives one trial actor. With <paramref name="KeepModel"/> the trial also sends its trained
/// network (<see cref="TrialProtocol.ModelKept"/>): the winner's seeds trained again for the averaged model.
/// </summary>
public sealed record RunTrial(
    string SearchId, TrialSpec Trial, Splits Splits, DeviceChoice Device, ImmutableArray<int> HoldAfter, IActorRef ReplyTo,
    ImmutableArray<double> ClassWeights = default, double? PopulationRate = null, bool KeepModel = false);

/// <summary>The trial protocol between a search coordinator and its trial actors.</summary>
public static class TrialProtocol
{
    /// <summary>Marker for what a trial tells its coordinator; <see cref="Trial"/> is the trial's index.</summary>
    public interface ITrialReport : IWireMessage
    {
        int Trial { get; }
    }

    public sealed record EpochDone(int Trial, EpochMetrics Metrics) : ITrialReport;

    /// <summary>The trial paused at a rung and waits for <see cref="Continue"/> or <see cref="Stop"/>.</summary>
    public sealed record Held(int Trial, int Epoch) : ITrialReport;

    public sealed record Completed(int Trial, TimeSpan Wall, TimeSpan InSession) : ITrialReport;

    public sealed record Failed(int Trial, string Reason, TimeSpan Wall, TimeSpan InSession) : ITrialReport;

    public sealed record Stopped(int Trial, TimeSpan Wall, TimeSpan InSession) : ITrialReport;

    /// <summary>A trial run with <see cref="RunTrial.KeepModel"/> trained this network (sent before its <see cref="Completed"/>; never crosses nodes).</summary>
    public sealed record ModelKept(int Trial, TrainedModel Model);

    /// <summary>Go on after a rung.</summary>
    public sealed record Continue
    {
        public static readonly Continue Instance = new();
    }

    /// <summary>Stop between epochs.</summary>
    public sealed record Stop
    {
        public static readonly Stop Instance = new();
    }
}
