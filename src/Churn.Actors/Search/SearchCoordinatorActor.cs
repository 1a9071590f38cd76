using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Churn.Actors.Cluster;
using Churn.Actors.Messages;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using Churn.Numerics.Search;

namespace Churn.Actors.Search;

/// <summary>
/// Drives one search: prepares the splits once, hands trials to free slots on the trial nodes (its own, in one
/// process; the cluster's, on a coordinating host), records every change in the journal as it happens, then has the
/// run pipeline train and evaluate the winner and writes the report. Every decision, about trials, phases and slots,
/// comes from the pure <see cref="SearchCoordination"/>; this actor only carries the commands out. A failing trial is
/// recorded and the search goes on; a node that is lost costs only its running trials, which run again elsewhere; a
/// cancel stops every trial within a second.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "An actor's end of life is PostStop, which disposes it.")]
public sealed partial class SearchCoordinatorActor : ReceiveActor, IWithTimers
{
    /// <summary>One preparation's splits (built once, only read) and the SHA-256 they travel under.</summary>
    private sealed record PreparedData(Prepared Prepared, string Digest);

    private sealed record DataPrepared(ImmutableDictionary<string, PreparedData> Preparations);

    private sealed record DataFailed(Problem Problem);

    private sealed record FilesWritten(Result<ImmutableArray<string>> Files);

    private sealed record AveragedSaved(Result<string> Directory);

    /// <summary>Everything recorded before the search's outcome is in the journal.</summary>
    private sealed record JournalComplete(ISearchEvent Outcome);

    /// <summary>The folder, in the search's output, of the averaged model of the winner's seeds.</summary>
    public const string AveragedModelFolder = "averaged-model";

    private sealed record CancelDeadline
    {
        public static readonly CancelDeadline Instance = new();
    }

    /// <summary>How long cancelled trials get to stop between epochs before their actors are stopped outright.</summary>
    public static readonly TimeSpan CancelGrace = TimeSpan.FromMilliseconds(800);

    /// <summary>The name of the trial node a search runs in its own process.</summary>
    public const string LocalNode = "local";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly StartSearch _start;

    // Every record goes through this queue, in order, off this actor's thread.
    private readonly SearchJournalQueue _writes;
    private readonly Func<IUntypedActorContext, RunTrial, IActorRef> _trialFactory;
    private readonly IActorRef? _runs;
    private readonly IActorRef? _cluster;
    private readonly Stopwatch _clock = new();

    // What the actor holds besides the decisions: each preparation's splits, by data choice key, and whom it talks to.
    private ImmutableDictionary<string, PreparedData> _prepared = ImmutableDictionary<string, PreparedData>.Empty;
    private SearchContacts<IActorRef> _contacts = SearchContacts<IActorRef>.None;
    private SearchCoordination _state;

    // The winner's seeds trained again for the averaged model: their actors, and the networks they sent so far.
    private WinnerAveraging<IActorRef, TrainedModel> _averaging = WinnerAveraging<IActorRef, TrainedModel>.None;

    public SearchCoordinatorActor(
        StartSearch start, ISearchJournal journal, Func<IUntypedActorContext, RunTrial, IActorRef> trialFactory, IActorRef? runs, IActorRef? cluster = null)
    {
        _start = start;
        _trialFactory = trialFactory;
        _runs = runs;
        _cluster = cluster;
        var log = _log;
        var id = start.Request.SearchId;
        _writes = new SearchJournalQueue(journal, ex => log.Warning(RunLog.Line(id, "search", $"the search store did not take a record: {ex.GetType().Name}: {ex.Message}")));
        _state = SearchCoordination.Start(Request.Plan, cluster is null ? Request.Parallel : int.MaxValue, runs is not null);

        Receive<DataPrepared>(OnPrepared);
        Receive<DataFailed>(m => Fail($"preparing the data failed: {m.Problem}"));
        Receive<ClusterProtocol.NodeAvailable>(m =>
        {
            Context.Watch(m.Node);
            _contacts = _contacts.NodeUp(m.Name, m.Node);
            _log.Info(Line($"node {m.Name} offers {m.Slots} trial slot(s)"));
            Apply(_state.NodeUp(m.Name, m.Slots));
        });
        Receive<ClusterProtocol.NodeGone>(m => Lose(m.Name, "it left the cluster"));
        Receive<TrialProtocol.EpochDone>(m =>
        {
            if (_state.IsPlaced(m.Trial))
            {
                Journal((j, _) => j.EpochRecorded(Id, m.Trial, m.Metrics));
                _state = _state.Epoch(m.Trial, m.Metrics);
                Publish(new SearchTrialEpoch(Id, m.Trial, m.Metrics, Sender.Path.Address.ToString()));
            }
        });
        Receive<TrialProtocol.Held>(m => Apply(_state.Held(m.Trial, m.Epoch)));
        Receive<TrialProtocol.Completed>(m => Apply(_state.Completed(m.Trial, m.Wall, m.InSession)));
        Receive<TrialProtocol.ModelKept>(OnModelKept);
        Receive<TrialProtocol.Failed>(m =>
        {
            if (_averaging.IsMember(Sender))
            {
                AveragingFailed($"seed {m.Trial + 1} failed when trained again: {m.Reason}");
                return;
            }
            Apply(_state.Failed(m.Trial, m.Reason, m.Wall, m.InSession));
        });
        Receive<TrialProtocol.Stopped>(m => Apply(_state.Stopped(m.Trial, m.Wall, m.InSession)));
        Receive<Terminated>(t =>
        {
            (_contacts, var name) = _contacts.Stopped(t.ActorRef);
            if (name is not null)
            {
                Lose(name, t.AddressTerminated ? "its node left the cluster" : "its trial node stopped");
            }
        });
        Receive<CancelSearch>(_ =>
        {
            if (!_state.Cancelled && _state.Phase is not (SearchPhase.Writing or SearchPhase.Done))
            {
                _log.Info(Line($"cancelling: {_state.Placement.Count} trial(s) training"));
            }
            Apply(_state.Cancel());
        });
        Receive<CancelDeadline>(_ =>
        {
            if (_state.Phase == SearchPhase.Cancelling && !_state.Placement.IsEmpty)
            {
                _log.Info(Line($"{_state.Placement.Count} trial(s) still in an epoch; stopping their actors"));
            }
            Apply(_state.GraceOver());
        });
        Receive<GetSearch>(m => m.ReplyTo.Tell(Snapshot()));
        Receive<FollowSearch>(m =>
        {
            Context.Watch(m.Follower);
            _contacts = _contacts.Followed(m.Follower);
            Sender.Tell(new SearchFollowed(Id, Snapshot(), Request.Plan.Seeds, Request.Parallel));
        });
        Receive<RunSucceeded>(m =>
        {
            _log.Info(Line($"winner trained and evaluated on the test split: accuracy {m.Outputs.Report?.Test.Accuracy:F4}"));
            Apply(_state.WinnerTrained(m.Outputs.Report?.Test, m.Outputs.Report?.LeftOut, m.Outputs.ModelDirectory, m.Outputs.Report?.Population));
        });
        Receive<RunFailed>(m => WinnerFailed($"the winner could not be trained again for its model: {m.Stage}: {m.Reason}"));
        Receive<RunCancelled>(_ =>
        {
            if (!_state.Cancelled)
            {
                // Not our cancel: the host is shutting down and stopped every run. The search stays "running" in the
                // store, so the next start resumes it and trains the winner then.
                _log.Info(Line("the winner's run was cancelled by the host shutting down; the search resumes at the next start"));
            }
            Apply(_state.WinnerCancelled());
        });
        Receive<RunAccepted>(_ => { });
        Receive<RunRejected>(m => WinnerFailed($"the winner could not be trained again for its model: the runs actor refused it: {m.Reason}"));
        Receive<IRunEvent>(_ => { });
        Receive<FilesWritten>(OnFilesWritten);
        Receive<JournalComplete>(m => Ended(m.Outcome));
        Receive<AveragedSaved>(m => m.Directory.Match(
            directory =>
            {
                _log.Info(Line($"averaged model of the winner's {_averaging.Kept.Count} seeds saved in {directory}"));
                Apply(_state.WinnerAveraged(directory, null));
                return 0;
            },
            problem =>
            {
                AveragingFailed($"the averaged model could not be saved: {problem}");
                return 0;
            }));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(
        StartSearch start, ISearchJournal journal, Func<IUntypedActorContext, RunTrial, IActorRef> trialFactory, IActorRef? runs, IActorRef? cluster = null) =>
        Akka.Actor.Props.Create(() => new SearchCoordinatorActor(start, journal, trialFactory, runs, cluster));

    private SearchRequest Request => _start.Request;

    private string Id => Request.SearchId;

    /// <summary>The local trial node is this search's own; if it breaks, its trials are lost like a node's (and run again).</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop, false);

    /// <summary>Stopped (its search ended, or its host stops): what it recorded is written before it is gone.</summary>
    protected override void PostStop() => _writes.Dispose();

    protected override void PreStart()
    {
        _clock.Start();
        var plan = Request.Plan;
        var resumed = _start.Resume is not null;
        var where = _cluster is null
            ? $"{Request.Parallel} at a time"
            : "on the cluster's free trial slots";
        _log.Info(Line($"{(resumed ? "resumed" : "started")}: {plan.Configurations} configurations x {plan.Seeds} seeds = {plan.Trials.Length} trials, "
            + $"{where} with {Request.ThreadsPerTrial} thread(s) each, scheduler {Request.Scheduler.ToString().ToLowerInvariant()}"));
        Journal((j, at) =>
        {
            if (resumed)
            {
                j.SearchResumed(Id, Request.Parallel, at);
            }
            else
            {
                j.SearchStarted(Request, at);
            }
        });
        if (_cluster is null)
        {
            var node = Context.ActorOf(TrialNodeActor.Props(LocalNode, _trialFactory), "node");
            Context.Watch(node);
            _contacts = _contacts.NodeUp(LocalNode, node);
            _state = _state.NodeUp(LocalNode, Request.Parallel).State;
        }
        else
        {
            _cluster.Tell(new ClusterProtocol.SubscribeNodes(Self));
        }
        var path = Request.Run.Data;
        var limits = Request.Run.Limits;
        var preparations = Request.Preparations;
        // The file is read once; each distinct data choice is prepared from it once, and every trial of that choice shares it.
        Result<ImmutableDictionary<string, PreparedData>> PrepareAll(LoadedData loaded)
        {
            var prepared = ImmutableDictionary.CreateBuilder<string, PreparedData>();
            foreach (var (key, options) in preparations)
            {
                var one = Preparation.Prepare(loaded, options);
                if (one is Result<Prepared>.Error error)
                {
                    return error.Problem;
                }
                var value = one.Unwrap();
                prepared[key] = new PreparedData(value, SplitsCodec.Digest(value.Splits));
            }
            return Result.Ok(prepared.ToImmutable());
        }
        Task.Run(() => CustomerCsv.Load(path, TargetPolicy.Required, limits).Bind(PrepareAll))
            .PipeTo(
                Self,
                success: r => r.Match<object>(p => new DataPrepared(p), p => new DataFailed(p)),
                failure: e => new DataFailed(new Problem(e.Message)));
    }

    private void OnPrepared(DataPrepared m)
    {
        if (_state.Phase != SearchPhase.Preparing)
        {
            return;
        }
        _prepared = m.Preparations;
        string Rows(PreparedData p) => $"{p.Prepared.Splits.Train.Rows}/{p.Prepared.Splits.Validation.Rows}/{p.Prepared.Splits.Test.Rows} rows";
        var detail = _prepared.Count == 1
            ? $"{Rows(_prepared.Values.Single())} shared by every trial"
            : $"{_prepared.Count} preparations, each shared by its trials: "
                + string.Join("; ", Request.Plan.DataChoices.Select(d => $"{d.Describe()} {Rows(_prepared[d.Key])}"));
        foreach (var (key, p) in _prepared.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            _log.Info(Line($"data ready: {(key.Length == 0 ? "" : key + ": ")}{Rows(p)} (splits {p.Digest[..12]})"));
        }
        Publish(new SearchDataReady(Id, detail));
        if (_state.TotalSlots == 0)
        {
            _log.Warning(Line("no trial slots yet: the search waits for a worker to join"));
        }
        Apply(_state.DataReady(_start.Resume));
    }

    private void Lose(string node, string why)
    {
        (_contacts, var actor) = _contacts.NodeDown(node);
        if (actor is null)
        {
            return;
        }
        Context.Unwatch(actor);
        var lost = _state.Placement.Count(p => p.Value == node);
        _log.Warning(Line($"node {node} lost ({why}): {lost} trial(s) go back to the queue"));
        Apply(_state.NodeDown(node));
    }

    private void WinnerFailed(string note)
    {
        _log.Warning(Line(note));
        Apply(_state.WinnerFailed(note));
    }

    private void Apply((SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) result)
    {
        var placements = _state.Placement;
        _state = result.State;
        foreach (var command in result.Commands)
        {
            Carry(command);
        }
        if (_cluster is not null && !ReferenceEquals(placements, _state.Placement))
        {
            _cluster.Tell(new ClusterProtocol.Placements(Id, _state.Placement));
        }
    }

    private void Carry(CoordinatorCommand command)
    {
        switch (command)
        {
            case CoordinatorCommand.Supply s:
                var supplied = _prepared[s.Data];
                Node(s.Node)?.Tell(new NodeProtocol.SupplySplits(Id, supplied.Digest, supplied.Prepared.Splits));
                break;
            case CoordinatorCommand.Place p:
                Journal((j, at) => j.TrialStarted(Id, p.Trial, at, p.Node));
                var data = _prepared[p.Trial.Data?.Key ?? ""];
                Node(p.Node)?.Tell(new NodeProtocol.StartTrial(
                    Id, p.Trial, data.Digest, Request.Run.Device, Request.Plan.Rungs, Request.ThreadsPerTrial, Self,
                    Balancer.LossWeights(data.Prepared.Options.Balance, data.Prepared.Splits.Train), data.Prepared.Balanced.Mix.Population));
                Publish(new SearchTrialStarted(Id, p.Trial));
                break;
            case CoordinatorCommand.Continue c:
                Node(c.Node)?.Tell(new NodeProtocol.TrialCommand(Id, c.Trial, NodeProtocol.TrialOrder.Continue));
                break;
            case CoordinatorCommand.Halt h:
                Node(h.Node)?.Tell(new NodeProtocol.TrialCommand(Id, h.Trial, NodeProtocol.TrialOrder.Stop));
                break;
            case CoordinatorCommand.Kill k:
                Node(k.Node)?.Tell(new NodeProtocol.TrialCommand(Id, k.Trial, NodeProtocol.TrialOrder.Kill));
                break;
            case CoordinatorCommand.Record r:
                Journal((j, at) => j.DecisionRecorded(Id, r.Decision, at));
                _log.Info(Line($"rung {Numbering.Number(r.Decision.Rung)} (epoch {r.Decision.Epoch}): configuration {Numbering.Number(r.Decision.Configuration)} "
                    + $"{r.Decision.Outcome.ToString().ToLowerInvariant()}, mean {_state.Search.Criterion.LossName()} {r.Decision.Value:F4}, rank {Numbering.Number(r.Decision.Rank)} of {r.Decision.Compared}"));
                Publish(new SearchRungDecided(Id, r.Decision));
                break;
            case CoordinatorCommand.Ended e:
                Journal((j, at) => j.TrialEnded(Id, e.Trial, at));
                Publish(new SearchTrialEnded(Id, e.Trial));
                break;
            case CoordinatorCommand.Requeued q:
                var reason = $"re-queued: node {q.Node} was lost while it trained this trial";
                Journal((j, at) => j.TrialRequeued(Id, q.Trial, reason, at));
                _log.Warning(Line($"trial {Numbering.Number(q.Trial)} {reason}; it runs again from epoch 1"));
                break;
            case CoordinatorCommand.TrainWinner w:
                TrainWinner(w.Best);
                break;
            case CoordinatorCommand.AverageWinner a:
                AverageWinner(a.Best, a.Members);
                break;
            case CoordinatorCommand.CancelWinner:
                _runs?.Tell(new CancelRun(WinnerRunId));
                break;
            case CoordinatorCommand.StartGrace:
                Timers.StartSingleTimer(nameof(CancelDeadline), CancelDeadline.Instance, CancelGrace);
                break;
            case CoordinatorCommand.WriteReport:
                WriteReport();
                break;
        }
    }

    private IActorRef? Node(string name) => _contacts.Node(name);

    private RunLogLine Line(string message) => RunLog.Line(Id, "search", message);
}
