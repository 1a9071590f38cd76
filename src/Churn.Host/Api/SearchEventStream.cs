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
        string Node);

    private sealed record TrialEndedData(
        string SearchId,
        [property: JsonConverter(typeof(Numbering.FromOne))] int Trial,
        [property: JsonConverter(typeof(Numbering.FromOne))] int Configuration,
        [property: JsonConverter(typeof(Numbering.FromOne))] int Seed,
        long RandomSeed,
        ModelConfig Config,
        string Status,
        string? Reason,
        string? Node,
        double WallMs,
        double InSessionMs,
        ImmutableArray<EpochMetrics> History);

    private sealed record RungData(string SearchId, RungDecision Decision);

    private sealed record WinnerData(string SearchId, [property: JsonConverter(typeof(Numbering.FromOne))] int Configuration, ModelConfig Config);

    public static (string Name, string Data) Head(HeaderData header) => (Header, Serialize(header));

    /// <summary>The event for a search event; null for its outcome, which the host reports as <c>finished</c> from the store.</summary>
    public static (string Name, string Data)? Encode(ISearchEvent e) => e switch
    {
        SearchDataReady d => (DataReady, Serialize(new DataReadyData(d.SearchId, d.Detail))),
        SearchTrialStarted s => (TrialStarted, Serialize(TrialData.Of(s.SearchId, s.Trial))),
        SearchTrialEpoch m => (Epoch, Serialize(new EpochData(
            m.SearchId, m.Trial, m.Metrics.Epoch, m.Metrics.TrainLoss, m.Metrics.TrainAccuracy, m.Metrics.ValidationLoss, m.Metrics.ValidationAccuracy, m.Node))),
        SearchTrialEnded t => (TrialEnded, Serialize(Ended(t.SearchId, t.Record))),
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
                yield return (TrialEnded, Serialize(Ended(searchId, t)));
            }
            else if (!t.History.IsEmpty)
            {
                var m = t.History[^1];
                yield return (Epoch, Serialize(new EpochData(searchId, t.Spec.Index, m.Epoch, m.TrainLoss, m.TrainAccuracy, m.ValidationLoss, m.ValidationAccuracy, t.Node ?? "")));
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
        Epoch => Deserialize<EpochData>(data) is { } m
            ? new SearchTrialEpoch(m.SearchId, m.Trial, new EpochMetrics(m.Epoch, m.TrainLoss, m.TrainAccuracy, m.ValidationLoss, m.ValidationAccuracy), m.Node)
            : null,
        TrialEnded => Deserialize<TrialEndedData>(data) is { } t
            ? new SearchTrialEnded(t.SearchId, new TrialRecord(
                new TrialSpec(t.Trial, t.Configuration, t.Seed, t.RandomSeed, t.Config),
                Enum.TryParse<TrialStatus>(t.Status, ignoreCase: true, out var status) ? status : TrialStatus.Failed,
                t.History.IsDefault ? [] : t.History, t.Reason, TimeSpan.FromMilliseconds(t.WallMs), TimeSpan.FromMilliseconds(t.InSessionMs), t.Node))
            : null,
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

    private static TrialEndedData Ended(string searchId, TrialRecord t) => new(
        searchId, t.Spec.Index, t.Spec.Configuration, t.Spec.Replicate, t.Spec.Seed, t.Spec.Config, Search.SearchStore.StatusName(t.Status), t.Reason, t.Node,
        t.Wall.TotalMilliseconds, t.InSession.TotalMilliseconds, t.History);

    private static string Serialize<T>(T value) => JsonSerializer.Serialize(value, RunEventStream.Json);

    private static T? Deserialize<T>(string data)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(data, RunEventStream.Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
