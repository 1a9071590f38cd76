using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Churn.Actors.Messages;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Search;

namespace Churn.Actors.Search;

/// <summary>
/// Drives one search: prepares the splits once, runs at most P trial actors at a time (all sharing those immutable
/// splits), records every change in the journal as it happens, then has the run pipeline train and evaluate the
/// winner and writes the report. Every decision comes from the pure <see cref="SearchState"/>; this actor only carries
/// the commands out. A failing trial is recorded and the search goes on; a cancel stops every trial within a second.
/// </summary>
public sealed class SearchCoordinatorActor : ReceiveActor, IWithTimers
{
    private sealed record DataPrepared(Prepared Prepared);

    private sealed record DataFailed(Problem Problem);

    private sealed record FilesWritten(Result<ImmutableArray<string>> Files);

    private sealed record CancelDeadline
    {
        public static readonly CancelDeadline Instance = new();
    }

    /// <summary>How long cancelled trials get to stop between epochs before their actors are stopped outright.</summary>
    public static readonly TimeSpan CancelGrace = TimeSpan.FromMilliseconds(800);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly StartSearch _start;

    public ITimerScheduler Timers { get; set; } = null!;

    private readonly ISearchJournal _journal;
    private readonly Func<IUntypedActorContext, RunTrial, IActorRef> _trialFactory;
    private readonly IActorRef? _runs;
    private readonly Stopwatch _clock = new();
    private SearchState _state;
    private Prepared? _prepared;
    private ImmutableDictionary<int, IActorRef> _live = ImmutableDictionary<int, IActorRef>.Empty;
    private string _phase = "preparing";
    private bool _cancelled;
    private ClassificationMetrics? _winnerTest;
    private LeftOutCheck? _winnerLeftOut;
    private string? _modelDirectory;
    private string? _note;

    public SearchCoordinatorActor(StartSearch start, ISearchJournal journal, Func<IUntypedActorContext, RunTrial, IActorRef> trialFactory, IActorRef? runs)
    {
        _start = start;
        _journal = journal;
        _trialFactory = trialFactory;
        _runs = runs;
        _state = SearchState.Start(Request.Plan, Request.Parallel);

        Receive<DataPrepared>(OnPrepared);
        Receive<DataFailed>(m => Fail($"preparing the data failed: {m.Problem}"));
        Receive<TrialProtocol.EpochDone>(m =>
        {
            if (_live.ContainsKey(m.Trial))
            {
                Journal(j => j.EpochRecorded(Id, m.Trial, m.Metrics));
                _state = _state.Epoch(m.Trial, m.Metrics);
                _start.ReplyTo.Tell(new SearchTrialEpoch(Id, m.Trial, m.Metrics, Sender.Path.Address.ToString()));
            }
        });
        Receive<TrialProtocol.Held>(m =>
        {
            if (_live.ContainsKey(m.Trial))
            {
                Apply(_state.Held(m.Trial, m.Epoch));
            }
        });
        Receive<TrialProtocol.Completed>(m => TrialEnded(m.Trial, s => s.Completed(m.Trial, m.Wall, m.InSession)));
        Receive<TrialProtocol.Failed>(m => TrialEnded(m.Trial, s => s.Failed(m.Trial, m.Reason, m.Wall, m.InSession)));
        Receive<TrialProtocol.Stopped>(m => TrialEnded(m.Trial, s => s.Stopped(m.Trial, m.Wall, m.InSession)));
        Receive<Terminated>(t =>
        {
            var trial = _live.FirstOrDefault(l => l.Value.Equals(t.ActorRef));
            if (trial.Value is not null)
            {
                TrialEnded(trial.Key, s => s.Failed(trial.Key, "the trial actor stopped without an outcome", TimeSpan.Zero, TimeSpan.Zero));
            }
        });
        Receive<CancelSearch>(_ => Cancel());
        Receive<CancelDeadline>(_ => OnCancelDeadline());
        Receive<GetSearch>(m => m.ReplyTo.Tell(Snapshot()));
        Receive<RunSucceeded>(m =>
        {
            _winnerTest = m.Outputs.Report?.Test;
            _winnerLeftOut = m.Outputs.Report?.LeftOut;
            _modelDirectory = m.Outputs.ModelDirectory;
            _log.Info(Line($"winner trained and evaluated on the test split: accuracy {_winnerTest?.Accuracy:F4}"));
            WriteReport();
        });
        Receive<RunFailed>(m =>
        {
            _note = $"the winner could not be trained again for its model: {m.Stage}: {m.Reason}";
            _log.Warning(Line(_note));
            WriteReport();
        });
        Receive<RunCancelled>(_ =>
        {
            if (_cancelled)
            {
                WriteReport();
            }
            else
            {
                // Not our cancel: the host is shutting down and stopped every run. The search stays "running" in the
                // store, so the next start resumes it and trains the winner then.
                _log.Info(Line("the winner's run was cancelled by the host shutting down; the search resumes at the next start"));
            }
        });
        Receive<RunAccepted>(_ => { });
        Receive<RunRejected>(m =>
        {
            _note = $"the winner could not be trained again for its model: the runs actor refused it: {m.Reason}";
            _log.Warning(Line(_note));
            WriteReport();
        });
        Receive<IRunEvent>(_ => { });
        Receive<FilesWritten>(OnFilesWritten);
    }

    public static Props Props(StartSearch start, ISearchJournal journal, Func<IUntypedActorContext, RunTrial, IActorRef> trialFactory, IActorRef? runs) =>
        Akka.Actor.Props.Create(() => new SearchCoordinatorActor(start, journal, trialFactory, runs));

    private SearchRequest Request => _start.Request;

    private string Id => Request.SearchId;

    /// <summary>A trial actor that throws is that trial's failure (reported through <see cref="Terminated"/>), never the search's.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop, false);

    protected override void PreStart()
    {
        _clock.Start();
        var plan = Request.Plan;
        var resumed = _start.Resume is not null;
        _log.Info(Line($"{(resumed ? "resumed" : "started")}: {plan.Configurations} configurations x {plan.Seeds} seeds = {plan.Trials.Length} trials, "
            + $"{Request.Parallel} at a time with {Request.ThreadsPerTrial} thread(s) each, scheduler {Request.Scheduler.ToString().ToLowerInvariant()}"));
        Journal(j =>
        {
            if (resumed)
            {
                j.SearchResumed(Id, Request.Parallel, DateTimeOffset.UtcNow);
            }
            else
            {
                j.SearchStarted(Request, DateTimeOffset.UtcNow);
            }
        });
        var path = Request.DataPath;
        var options = Request.PrepareOptions;
        Task.Run(() => CustomerCsv.Load(path).Bind(loaded => Preparation.Prepare(loaded, options)))
            .PipeTo(Self, success: r => r.Match<object>(p => new DataPrepared(p), p => new DataFailed(p)), failure: e => new DataFailed(new Problem(e.Message)));
    }

    private void OnPrepared(DataPrepared m)
    {
        if (_cancelled)
        {
            return;
        }
        _prepared = m.Prepared;
        var s = m.Prepared.Splits;
        var detail = $"{s.Train.Rows}/{s.Validation.Rows}/{s.Test.Rows} rows shared by every trial";
        _log.Info(Line($"data ready: {detail}"));
        _start.ReplyTo.Tell(new SearchDataReady(Id, detail));
        // torch's intra-op thread count is process-wide: set once for the whole search, so P trials at once use the cores without oversubscribing them.
        TorchSharp.torch.set_num_threads(Request.ThreadsPerTrial);
        _phase = "running";
        if (_start.Resume is { } progress)
        {
            var (resumed, commands) = SearchState.Resume(_state, progress.Trials, progress.Decisions);
            _state = resumed;
            Carry(commands);
        }
        Apply(_state.Schedule());
    }

    private void TrialEnded(int trial, Func<SearchState, (SearchState, ImmutableArray<SearchCommand>)> change)
    {
        if (!_live.TryGetValue(trial, out var actor))
        {
            return;
        }
        Context.Unwatch(actor);
        _live = _live.Remove(trial);
        var before = _state;
        var (next, commands) = change(_state);
        _state = next;
        Ended(_state.Trials[trial]);
        JournalQuietEnds(before);
        Carry(commands);
        FinishIfDone();
    }

    private void Apply((SearchState State, ImmutableArray<SearchCommand> Commands) result)
    {
        var before = _state;
        _state = result.State;
        JournalQuietEnds(before);
        Carry(result.Commands);
        FinishIfDone();
    }

    /// <summary>Trials that ended without ever running (pruned before they started) have no actor to report them.</summary>
    private void JournalQuietEnds(SearchState before)
    {
        for (var i = 0; i < _state.Trials.Length; i++)
        {
            if (before.Trials[i].Status == TrialStatus.Pending && _state.Trials[i].Status == TrialStatus.Pruned)
            {
                Ended(_state.Trials[i]);
            }
        }
    }

    private void Ended(TrialRecord record)
    {
        Journal(j => j.TrialEnded(Id, record, DateTimeOffset.UtcNow));
        _start.ReplyTo.Tell(new SearchTrialEnded(Id, record));
    }

    private void Carry(ImmutableArray<SearchCommand> commands)
    {
        foreach (var command in commands)
        {
            switch (command)
            {
                case SearchCommand.Start s:
                    Journal(j => j.TrialStarted(Id, s.Trial, DateTimeOffset.UtcNow));
                    var trial = _trialFactory(Context, new RunTrial(Id, s.Trial, _prepared!.Splits, Request.Device, Request.Plan.Rungs, Self));
                    Context.Watch(trial);
                    _live = _live.SetItem(s.Trial.Index, trial);
                    _start.ReplyTo.Tell(new SearchTrialStarted(Id, s.Trial));
                    break;
                case SearchCommand.Resume r:
                    _live.GetValueOrDefault(r.Trial)?.Tell(TrialProtocol.Continue.Instance);
                    break;
                case SearchCommand.Stop s:
                    _live.GetValueOrDefault(s.Trial)?.Tell(TrialProtocol.Stop.Instance);
                    break;
                case SearchCommand.Record r:
                    Journal(j => j.DecisionRecorded(Id, r.Decision, DateTimeOffset.UtcNow));
                    _log.Info(Line($"rung {r.Decision.Rung + 1} (epoch {r.Decision.Epoch}): configuration {r.Decision.Configuration + 1} "
                        + $"{r.Decision.Outcome.ToString().ToLowerInvariant()}, mean validation loss {r.Decision.Value:F4}, rank {r.Decision.Rank + 1} of {r.Decision.Compared}"));
                    _start.ReplyTo.Tell(new SearchRungDecided(Id, r.Decision));
                    break;
            }
        }
    }

    private void Cancel()
    {
        if (_cancelled || _phase is "writing" or "done")
        {
            return;
        }
        _cancelled = true;
        _log.Info(Line($"cancelling: {_live.Count} trial(s) training"));
        if (_phase == "training winner")
        {
            _runs?.Tell(new CancelRun(WinnerRunId));
            return;
        }
        if (_phase == "preparing")
        {
            WriteReport();
            return;
        }
        _phase = "cancelling";
        Apply(_state.Cancel());
        if (!_live.IsEmpty)
        {
            Timers.StartSingleTimer(nameof(CancelDeadline), CancelDeadline.Instance, CancelGrace);
        }
    }

    /// <summary>Trials still in an epoch when the grace ends are stopped outright; their records say cancelled.</summary>
    private void OnCancelDeadline()
    {
        if (_phase != "cancelling" || _live.IsEmpty)
        {
            return;
        }
        _log.Info(Line($"{_live.Count} trial(s) still in an epoch; stopping their actors"));
        foreach (var (index, actor) in _live)
        {
            Context.Unwatch(actor);
            Context.Stop(actor);
            Ended(_state.Trials[index]);
        }
        _live = ImmutableDictionary<int, IActorRef>.Empty;
        WriteReport();
    }

    private void FinishIfDone()
    {
        if (!_state.Finished || !_live.IsEmpty || _phase is not ("running" or "cancelling"))
        {
            return;
        }
        var best = Leaderboard.Best(Leaderboard.Rank(_state.Trials, _state.Seeds));
        if (_cancelled || best is null || _runs is null)
        {
            WriteReport();
            return;
        }
        // The winner is trained again through the run pipeline with the search's seed: the same data preparation, so
        // the same splits, and this is the only time anything is evaluated on the test split.
        _phase = "training winner";
        _log.Info(Line($"best configuration {best.Configuration + 1}: {Leaderboard.Describe(best.Config)}, mean validation loss {best.MeanValidationLoss:F4}; training it for the test evaluation"));
        _start.ReplyTo.Tell(new SearchWinnerTraining(Id, best.Configuration, best.Config));
        var settings = new RunSettings(
            RunMode.Full, Request.DataPath, Request.OutDir, Preparation.DefaultPrefix, Request.Seed, Request.Balance, Request.Ratios,
            Request.Stratify, best.Config, Request.Device, Threads: Request.ThreadsPerTrial, LogFeatures: Request.LogFeatures);
        _runs.Tell(new RunPipeline(WinnerRunId, settings, Self));
    }

    private string WinnerRunId => $"{Id}-winner";

    private void WriteReport()
    {
        _phase = "writing";
        var report = Report();
        var outDir = Request.OutDir;
        Task.Run(() => SearchFiles.Write(outDir, report)).PipeTo(
            Self,
            success: files => new FilesWritten(files),
            failure: e => new FilesWritten(Result.Fail<ImmutableArray<string>>($"cannot write the search report: {e.Message}", outDir)));
    }

    private void OnFilesWritten(FilesWritten m)
    {
        _phase = "done";
        var files = m.Files.Match(f => f, _ => []);
        if (m.Files is Result<ImmutableArray<string>>.Error error)
        {
            _note = (_note is null ? "" : _note + "; ") + error.Problem;
            _log.Warning(Line(error.Problem.ToString()));
        }
        if (_modelDirectory is not null)
        {
            files = files.Add(_modelDirectory);
        }
        var summary = Summary(files);
        var status = summary.Status;
        _log.Info(Line($"{status} in {_clock.ElapsedMilliseconds} ms: {summary.EpochsSpent} epochs over {summary.Trials} trials"));
        Journal(j => j.SearchEnded(Id, status, summary, null, DateTimeOffset.UtcNow));
        ISearchEvent outcome = _cancelled ? new SearchCancelled(Id, summary) : new SearchCompleted(Id, summary);
        _start.ReplyTo.Tell(outcome);
        Context.Parent.Tell(outcome);
        Context.Stop(Self);
    }

    private void Fail(string reason)
    {
        _phase = "done";
        _log.Warning(Line($"failed: {reason}"));
        Journal(j => j.SearchEnded(Id, "failed", null, reason, DateTimeOffset.UtcNow));
        var outcome = new SearchFailed(Id, reason);
        _start.ReplyTo.Tell(outcome);
        Context.Parent.Tell(outcome);
        Context.Stop(Self);
    }

    private SearchReport Report()
    {
        var wall = TimeSpan.FromTicks(_state.Trials.Sum(t => t.Wall.Ticks));
        var inSession = TimeSpan.FromTicks(_state.Trials.Sum(t => t.InSession.Ticks));
        return new SearchReport(
            Id, _cancelled ? "cancelled" : "completed", Request.DataPath, Request.PrepareOptions, Request.Scheduler,
            Leaderboard.Rank(_state.Trials, _state.Seeds), _state.Trials, _state.Asha?.Decisions ?? [], _state.EpochsSpent,
            _clock.Elapsed, wall, inSession, _winnerTest,
            _note ?? (_cancelled ? "cancelled: the leaderboard holds the configurations finished so far; no model was trained for the test split" : null),
            _winnerLeftOut);
    }

    private SearchSummary Summary(ImmutableArray<string> files)
    {
        var r = Report();
        return new SearchSummary(r.Status, r.Leaderboard, r.Trials.Length, r.EpochsSpent, r.Elapsed, r.TrialWall, r.TrialInSession, _winnerTest, _modelDirectory, files, r.Note, _winnerLeftOut);
    }

    private SearchSnapshot Snapshot() =>
        new(Id, _phase, Leaderboard.Rank(_state.Trials, _state.Seeds), _state.Trials, _state.Asha?.Decisions ?? [], _state.EpochsSpent, _clock.Elapsed);

    private void Journal(Action<ISearchJournal> write)
    {
        try
        {
            write(_journal);
        }
        catch (Exception ex)
        {
            _log.Warning(Line($"the search store did not take a record: {ex.GetType().Name}: {ex.Message}"));
        }
    }

    private RunLogLine Line(string message) => RunLog.Line(Id, "search", message);
}
