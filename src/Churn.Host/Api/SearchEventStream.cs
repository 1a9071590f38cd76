using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Churn.Actors.Messages;
using Churn.Numerics.Model;
using Churn.Numerics.Search;

namespace Churn.Host.Api;

/// <summary>
/// The server-sent events of <c>GET /searches/{id}/events</c>, for the host that writes them and the CLI (and the
/// dashboard) that read them. Trials, configurations, seeds, rungs and ranks are numbered from 1, as everywhere.
/// First <c>search</c> (what the search is: sizes, status, phase), then what happened so far as the live events would
/// have told it, then the live events: <c>data-ready</c>, <c>trial-started</c>, <c>epoch</c>, <c>trial-ended</c>,
/// <c>rung</c>, <c>winner</c>; last one <c>finished</c> whose data is the search as <c>GET /searches/{id}</c> shows it,
/// and the stream ends.
/// </summary>
public static class SearchEventStream
{
    public const string Header = "search";
    public const string DataReady = "data-ready";
    public const string TrialStarted = "trial-started";
    public const string Epoch = "epoch";
    public const string TrialEnded = "trial-ended";
    public const string Rung = "rung";
    public const string Winner = "winner";
    public const string Finished = "finished";

    /// <summary>What the search is, for a follower to lay its display out before any trial reports.</summary>
    public sealed record HeaderData(string SearchId, string Status, string? Phase, string Scheduler, int Configurations, int Seeds, int Trials, int Parallel,
        SearchCriterion Criterion = SearchCriterion.ValidationLoss);

    private sealed record DataReadyData(string SearchId, string Detail);

    private sealed record TrialData(
        string SearchId,
        [property: JsonConverter(typeof(Numbering.FromOne))] int Trial,
        [property: JsonConverter(typeof(Numbering.FromOne))] int Configuration,
        [property: JsonConverter(typeof(Numbering.FromOne))] int Seed,
        long RandomSeed,
        ModelConfig Config)
    {
        public static TrialData Of(string searchId, TrialSpec t) => new(searchId, t.Index, t.Configuration, t.Replicate, t.Seed, t.Config);

        public TrialSpec Spec => new(Trial, Configuration, Seed, RandomSeed, Config);
    }

    private sealed record EpochData(
        string SearchId,
        [property: JsonConverter(typeof(Numbering.FromOne))] int Trial,
        int Epoch,
        double TrainLoss,
        double TrainAccuracy,
        double ValidationLoss,
        double ValidationAccuracy,
        string Node)
    {
        public static EpochData Of(string searchId, int trial, EpochMetrics m, string node) =>
            new(searchId, trial, m.Epoch, m.TrainLoss, m.TrainAccuracy, m.ValidationLoss, m.ValidationAccuracy, node);

        public EpochMetrics Metrics => new(Epoch, TrainLoss, TrainAccuracy, ValidationLoss, ValidationAccuracy);
    }

    /// <summary>How a trial ended; <c>trial-ended</c> sends it in one object with the trial's <see cref="TrialData"/>.</summary>
    private sealed record EndData(string Status, string? Reason, string? Node, double WallMs, double InSessionMs, ImmutableArray<EpochMetrics> History, double? CalibratedLoss = null)
    {
        /// <summary>The trial as it ended, with the calibrated loss of the epoch it keeps (none when it has none), as <c>GET /searches/{id}</c> tells it.</summary>
        public static EndData Of(TrialRecord t) =>
            new(Search.SearchStore.StatusName(t.Status), t.Reason, t.Node, t.Wall.TotalMilliseconds, t.InSession.TotalMilliseconds, t.History,
                t.History.IsDefaultOrEmpty || t.CalibratedLossUpTo(t.History[^1].Epoch) is var kept && !double.IsFinite(kept) ? null : kept);

        public TrialRecord Record(TrialSpec spec) => new(
            spec,
            Enum.TryParse<TrialStatus>(Status, ignoreCase: true, out var status) ? status : TrialStatus.Failed,
            History.IsDefault ? [] : History, Reason, TimeSpan.FromMilliseconds(WallMs), TimeSpan.FromMilliseconds(InSessionMs), Node);
    }

    private sealed record RungData(string SearchId, RungDecision Decision);

    private sealed record WinnerData(string SearchId, [property: JsonConverter(typeof(Numbering.FromOne))] int Configuration, ModelConfig Config);

    public static (string Name, string Data) Head(HeaderData header) => (Header, Serialize(header));

    /// <summary>The event for a search event; null for its outcome, which the host reports as <c>finished</c> from the store.</summary>
    public static (string Name, string Data)? Encode(ISearchEvent e) => e switch
    {
        SearchDataReady d => (DataReady, Serialize(new DataReadyData(d.SearchId, d.Detail))),
        SearchTrialStarted s => (TrialStarted, Serialize(TrialData.Of(s.SearchId, s.Trial))),
        SearchTrialEpoch m => (Epoch, Serialize(EpochData.Of(m.SearchId, m.Trial, m.Metrics, m.Node))),
        SearchTrialEnded t => (TrialEnded, Ended(t.SearchId, t.Record)),
        SearchRungDecided r => (Rung, Serialize(new RungData(r.SearchId, r.Decision))),
        SearchWinnerTraining w => (Winner, Serialize(new WinnerData(w.SearchId, w.Configuration, w.Config))),
        _ => null,
    };

    /// <summary>
    /// What the trials and decisions say so far, as the live events would have told it: every trial that started, the
    /// last epoch of those still going, the end of those that ended, and the scheduler's decisions.
    /// </summary>
    public static IEnumerable<(string Name, string Data)> Replay(string searchId, ImmutableArray<TrialRecord> trials, ImmutableArray<RungDecision> decisions)
    {
        foreach (var t in trials.Where(t => t.Status != TrialStatus.Pending))
        {
            yield return (TrialStarted, Serialize(TrialData.Of(searchId, t.Spec)));
            if (t.Ended || t.Status == TrialStatus.Cancelled)
            {
                yield return (TrialEnded, Ended(searchId, t));
            }
            else if (!t.History.IsEmpty)
            {
                yield return (Epoch, Serialize(EpochData.Of(searchId, t.Spec.Index, t.History[^1], t.Node ?? "")));
            }
        }
        foreach (var d in decisions)
        {
            yield return (Rung, Serialize(new RungData(searchId, d)));
        }
    }

    /// <summary>The <c>search</c> event's content, or null when the data is not one.</summary>
    public static HeaderData? ReadHeader(string data) => Deserialize<HeaderData>(data);

    /// <summary>The search event a frame stands for, for the CLI's display; null for <c>search</c>, <c>finished</c> and unknown frames.</summary>
    public static ISearchEvent? Decode(string name, string data) => name switch
    {
        DataReady => Deserialize<DataReadyData>(data) is { } d ? new SearchDataReady(d.SearchId, d.Detail) : null,
        TrialStarted => Deserialize<TrialData>(data) is { } s ? new SearchTrialStarted(s.SearchId, s.Spec) : null,
        Epoch => Deserialize<EpochData>(data) is { } m ? new SearchTrialEpoch(m.SearchId, m.Trial, m.Metrics, m.Node) : null,
        TrialEnded => Deserialize<TrialData>(data) is { } t && Deserialize<EndData>(data) is { } end ? new SearchTrialEnded(t.SearchId, end.Record(t.Spec)) : null,
        Rung => Deserialize<RungData>(data) is { } r ? new SearchRungDecided(r.SearchId, r.Decision) : null,
        Winner => Deserialize<WinnerData>(data) is { } w ? new SearchWinnerTraining(w.SearchId, w.Configuration, w.Config) : null,
        _ => null,
    };

    /// <summary>The <c>finished</c> event's content: the search as <c>GET /searches/{id}</c> shows it.</summary>
    public static JsonObject? ReadFinished(string data)
    {
        try
        {
            return JsonNode.Parse(data) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A trial's <c>trial-ended</c> data: the trial as <c>trial-started</c> tells it, then how it ended, in one object.</summary>
    private static string Ended(string searchId, TrialRecord t)
    {
        var data = JsonSerializer.SerializeToNode(TrialData.Of(searchId, t.Spec), RunEventStream.Json)!.AsObject();
        foreach (var (name, value) in JsonSerializer.SerializeToNode(EndData.Of(t), RunEventStream.Json)!.AsObject())
        {
            data[name] = value?.DeepClone();
        }
        return data.ToJsonString(RunEventStream.Json);
    }

    private static string Serialize<T>(T value) => RunEventStream.Serialize(value);

    private static T? Deserialize<T>(string data)
        where T : class => RunEventStream.Deserialize<T>(data);
}
