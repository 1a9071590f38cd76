using System.Collections.Immutable;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Model;

namespace Churn.Numerics.Search;

/// <summary>
/// A search's coordination as a value: its phase, the trials' state (<see cref="SearchState"/>, which holds every
/// decision about the trials themselves), the nodes offering slots, which node each live trial is placed on, which
/// nodes hold which preparation's splits (node, <see cref="DataChoice.Key"/>), and the winner's outcome. Each event returns the next value and the commands that follow;
/// the coordinator actor only carries them out, so every decision about phases and slots is testable without actors.
/// </summary>
/// <remarks>
/// Placement: a trial goes to the node with the most free slots (ties: the node name), where a slot is free when
/// fewer trials placed there are running than the node offers. Trials paused at a rung hold no slot, as in one
/// process; a promoted trial goes on where its actor lives (its model is there), so when its node is full it waits,
/// promoted, for a slot there while other nodes' free slots take pending trials. No node runs more trials than it
/// offers, at most <see cref="Cap"/> trials run at once, and never more than all nodes' slots.
/// </remarks>
public sealed record SearchCoordination(
    SearchPhase Phase,
    SearchState Search,
    int Cap,
    bool CanTrainWinner,
    ImmutableSortedDictionary<string, int> Nodes,
    ImmutableDictionary<int, string> Placement,
    ImmutableHashSet<(string Node, string Data)> Supplied,
    bool Cancelled = false,
    ClassificationMetrics? WinnerTest = null,
    LeftOutCheck? WinnerLeftOut = null,
    string? ModelDirectory = null,
    string? Note = null,
    PopulationReport? WinnerPopulation = null,
    string? AveragedModelDirectory = null)
{
    /// <summary>A new (or resumed) search, preparing its data, with no node yet.</summary>
    public static SearchCoordination Start(SearchPlan plan, int cap, bool canTrainWinner) =>
        new(SearchPhase.Preparing, SearchState.Start(plan, cap) with { Parallel = 0 }, Math.Max(1, cap), canTrainWinner,
            ImmutableSortedDictionary.Create<string, int>(StringComparer.Ordinal), ImmutableDictionary<int, string>.Empty, []);

    /// <summary>Slots offered by every node together.</summary>
    public int TotalSlots => Nodes.Values.Sum();

    /// <summary>Whether <paramref name="trial"/> has an actor on some node, so its reports count.</summary>
    public bool IsPlaced(int trial) => Placement.ContainsKey(trial);

    /// <summary>Trials running on each node (paused ones excluded), for every node that offers slots.</summary>
    public ImmutableSortedDictionary<string, int> RunningPerNode() =>
        Nodes.ToImmutableSortedDictionary(n => n.Key, n => Placement.Count(p => p.Value == n.Key && Search.Trials[p.Key].Status == TrialStatus.Running), StringComparer.Ordinal);

    /// <summary>The data is ready: trials start on free slots (after a restart, ended trials are kept and the others run again).</summary>
    public (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) DataReady(SearchProgress? resume)
    {
        if (Phase != SearchPhase.Preparing)
        {
            return (this, []);
        }
        var state = this with { Phase = SearchPhase.Running };
        var commands = ImmutableArray.CreateBuilder<CoordinatorCommand>();
        if (resume is not null)
        {
            var resumed = SearchState.Resume(state.Search, resume.Trials, resume.Decisions);
            state = state.Carry(state.Search, resumed, commands);
        }
        state = state.Carry(state.Search, state.Search.Schedule(), commands);
        return state.FinishIfDone(commands);
    }

    /// <summary>A node offers <paramref name="slots"/> trial slots (a node seen again is taken as new: it may have restarted without the splits).</summary>
    public (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) NodeUp(string node, int slots)
    {
        var state = (this with { Nodes = Nodes.SetItem(node, Math.Max(0, slots)), Supplied = Supplied.Except(Supplied.Where(s => s.Node == node)) }).WithParallel();
        return state.Reschedule();
    }

    /// <summary>A node left or was downed: its slots disappear and its trials go back to the queue.</summary>
    public (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) NodeDown(string node)
    {
        if (!Nodes.ContainsKey(node) && !Placement.ContainsValue(node))
        {
            return (this, []);
        }
        var state = (this with { Nodes = Nodes.Remove(node), Supplied = Supplied.Except(Supplied.Where(s => s.Node == node)) }).WithParallel();
        var commands = ImmutableArray.CreateBuilder<CoordinatorCommand>();
        foreach (var trial in Placement.Where(p => p.Value == node).Select(p => p.Key).Order())
        {
            var before = state.Search;
            var record = before.Trials[trial];
            commands.Add(record.Status is TrialStatus.Running or TrialStatus.Held or TrialStatus.Promoted
                ? new CoordinatorCommand.Requeued(trial, node)
                : new CoordinatorCommand.Ended(record));
            state = state with { Placement = state.Placement.Remove(trial) };
            state = state.Carry(before, before.Lost(trial), commands);
        }
        if (state.Phase == SearchPhase.Running)
        {
            state = state.Carry(state.Search, state.Search.Schedule(), commands);
        }
        return state.FinishIfDone(commands);
    }

    /// <summary>A placed trial finished an epoch.</summary>
    public SearchCoordination Epoch(int trial, EpochMetrics metrics) =>
        IsPlaced(trial) ? this with { Search = Search.Epoch(trial, metrics) } : this;

    /// <summary>A placed trial paused at a rung.</summary>
    public (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) Held(int trial, int epoch) =>
        IsPlaced(trial) ? Apply(Search.Held(trial, epoch)) : (this, []);

    public (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) Completed(int trial, TimeSpan wall, TimeSpan inSession) =>
        End(trial, s => s.Completed(trial, wall, inSession));

    public (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) Failed(int trial, string reason, TimeSpan wall, TimeSpan inSession) =>
        End(trial, s => s.Failed(trial, reason, wall, inSession));

    public (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) Stopped(int trial, TimeSpan wall, TimeSpan inSession) =>
        End(trial, s => s.Stopped(trial, wall, inSession));

    /// <summary>
    /// Cancel: while preparing, the report is written at once; while trials train, they are told to stop (with a grace
    /// period when any is placed); while the winner trains, its run is cancelled. Later, a cancel changes nothing.
    /// </summary>
    public (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) Cancel()
    {
        if (Cancelled || Phase is SearchPhase.Writing or SearchPhase.Done)
        {
            return (this, []);
        }
        var state = this with { Cancelled = true };
        switch (Phase)
        {
            case SearchPhase.Preparing:
                return (state with { Phase = SearchPhase.Writing }, [CoordinatorCommand.WriteReport.Instance]);
            case SearchPhase.TrainingWinner:
                return (state, [CoordinatorCommand.CancelWinner.Instance]);
            case SearchPhase.AveragingWinner:
                // The winner's model is saved; the averaged one is given up and the report written.
                return (state with { Phase = SearchPhase.Writing }, [CoordinatorCommand.WriteReport.Instance]);
        }
        state = state with { Phase = SearchPhase.Cancelling };
        var commands = ImmutableArray.CreateBuilder<CoordinatorCommand>();
        state = state.Carry(state.Search, state.Search.Cancel(), commands);
        if (!state.Placement.IsEmpty)
        {
            commands.Add(CoordinatorCommand.StartGrace.Instance);
        }
        return state.FinishIfDone(commands);
    }

    /// <summary>The cancel's grace is over: trials still in an epoch are stopped outright, their records say cancelled.</summary>
    public (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) GraceOver()
    {
        if (Phase != SearchPhase.Cancelling || Placement.IsEmpty)
        {
            return (this, []);
        }
        var commands = ImmutableArray.CreateBuilder<CoordinatorCommand>();
        foreach (var (trial, node) in Placement.OrderBy(p => p.Key))
        {
            commands.Add(new CoordinatorCommand.Kill(trial, node));
            commands.Add(new CoordinatorCommand.Ended(Search.Trials[trial]));
        }
        commands.Add(CoordinatorCommand.WriteReport.Instance);
        return (this with { Placement = ImmutableDictionary<int, string>.Empty, Phase = SearchPhase.Writing }, commands.ToImmutable());
    }

    /// <summary>
    /// The winner was trained and evaluated on the test split. With more than one seed per configuration, its seeds are
    /// then trained again for the averaged model; otherwise the report is written.
    /// </summary>
    public (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) WinnerTrained(ClassificationMetrics? test, LeftOutCheck? leftOut, string? modelDirectory, PopulationReport? population = null)
    {
        if (Phase != SearchPhase.TrainingWinner)
        {
            return (this, []);
        }
        var state = this with { WinnerTest = test, WinnerLeftOut = leftOut, ModelDirectory = modelDirectory, WinnerPopulation = population };
        if (Search.Seeds > 1 && Leaderboard.Best(Leaderboard.Rank(Search.Trials, Search.Seeds, Search.Criterion)) is { } best)
        {
            var members = Search.TrialsOf(best.Configuration).Select(t => t.Spec).ToImmutableArray();
            return (state with { Phase = SearchPhase.AveragingWinner }, [new CoordinatorCommand.AverageWinner(best, members)]);
        }
        return (state with { Phase = SearchPhase.Writing }, [CoordinatorCommand.WriteReport.Instance]);
    }

    /// <summary>The averaged model was saved in <paramref name="directory"/>, or could not be made (<paramref name="problem"/> joins the note).</summary>
    public (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) WinnerAveraged(string? directory, string? problem) =>
        Phase != SearchPhase.AveragingWinner
            ? (this, [])
            : (this with
            {
                Phase = SearchPhase.Writing,
                AveragedModelDirectory = directory,
                Note = problem is null ? Note : (Note is null ? "" : Note + "; ") + problem,
            }, [CoordinatorCommand.WriteReport.Instance]);

    /// <summary>The winner's run failed or was refused: the report says so.</summary>
    public (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) WinnerFailed(string note) =>
        Phase != SearchPhase.TrainingWinner
            ? (this, [])
            : (this with { Phase = SearchPhase.Writing, Note = note }, [CoordinatorCommand.WriteReport.Instance]);

    /// <summary>
    /// The winner's run was cancelled. By this search's cancel: the report is written. Otherwise the host is shutting
    /// down and stopped every run: the search stays running in the store, and the next start resumes it.
    /// </summary>
    public (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) WinnerCancelled() =>
        Phase == SearchPhase.TrainingWinner && Cancelled
            ? (this with { Phase = SearchPhase.Writing }, [CoordinatorCommand.WriteReport.Instance])
            : (this, []);

    /// <summary>The report files are written (or could not be: <paramref name="problem"/> joins the note).</summary>
    public SearchCoordination ReportWritten(string? problem) =>
        this with { Phase = SearchPhase.Done, Note = problem is null ? Note : (Note is null ? "" : Note + "; ") + problem };

    /// <summary>The search failed (its data could not be prepared).</summary>
    public SearchCoordination Failed() => this with { Phase = SearchPhase.Done };

    /// <summary>The note the report carries: the winner's problem, or for a cancelled search what the leaderboard holds.</summary>
    public string? ReportNote => Note ?? (Cancelled ? "cancelled: the leaderboard holds the configurations finished so far; no model was trained for the test split" : null);

    private (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) End(int trial, Func<SearchState, (SearchState, ImmutableArray<SearchCommand>)> change)
    {
        if (!IsPlaced(trial))
        {
            return (this, []);
        }
        var state = this with { Placement = Placement.Remove(trial) };
        var commands = ImmutableArray.CreateBuilder<CoordinatorCommand>();
        var before = state.Search;
        var (next, more) = change(before);
        commands.Add(new CoordinatorCommand.Ended(next.Trials[trial]));
        state = state.Carry(before, (next, more), commands);
        return state.FinishIfDone(commands);
    }

    private (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) Apply((SearchState State, ImmutableArray<SearchCommand> Commands) change)
    {
        var commands = ImmutableArray.CreateBuilder<CoordinatorCommand>();
        var state = Carry(Search, change, commands);
        return state.FinishIfDone(commands);
    }

    private (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) Reschedule()
    {
        if (Phase != SearchPhase.Running)
        {
            return (this, []);
        }
        return Apply(Search.Schedule());
    }

    private SearchCoordination WithParallel() => this with { Search = Search with { Parallel = Math.Min(Cap, TotalSlots) } };

    /// <summary>
    /// Turns the trial decisions into placed work: a trial to start goes to the freest node (the splits first if that node
    /// has none yet), a go-on or a stop goes to the node holding the trial; trials pruned before they ever started end here.
    /// </summary>
    private SearchCoordination Carry(SearchState before, (SearchState State, ImmutableArray<SearchCommand> Commands) change, ImmutableArray<CoordinatorCommand>.Builder commands)
    {
        var state = this with { Search = change.State };
        var waiting = new List<int>();
        foreach (var command in change.Commands)
        {
            switch (command)
            {
                case SearchCommand.Start start:
                    var node = state.FreestNode();
                    if (node is null)
                    {
                        // Cannot happen while at most all nodes' slots run, but never start a trial nowhere: it waits.
                        state = state with { Search = state.Search with { Trials = state.Search.Trials.SetItem(start.Trial.Index, TrialRecord.Pending(start.Trial)) } };
                        break;
                    }
                    var data = start.Trial.Data?.Key ?? "";
                    if (!state.Supplied.Contains((node, data)))
                    {
                        commands.Add(new CoordinatorCommand.Supply(node, data));
                        state = state with { Supplied = state.Supplied.Add((node, data)) };
                    }
                    state = state with
                    {
                        Placement = state.Placement.SetItem(start.Trial.Index, node),
                        Search = state.Search with { Trials = state.Search.Trials.SetItem(start.Trial.Index, state.Search.Trials[start.Trial.Index] with { Node = node }) },
                    };
                    commands.Add(new CoordinatorCommand.Place(start.Trial, node));
                    break;
                case SearchCommand.Resume resume when state.Placement.TryGetValue(resume.Trial, out var at):
                    if (state.RunningPerNode().GetValueOrDefault(at) > state.Nodes.GetValueOrDefault(at))
                    {
                        // Its node is full (it took a pending trial while this one was paused): wait for a slot there.
                        state = state.Promote(resume.Trial, TrialStatus.Promoted);
                        waiting.Add(resume.Trial);
                        break;
                    }
                    commands.Add(new CoordinatorCommand.Continue(resume.Trial, at));
                    break;
                case SearchCommand.Stop stop when state.Placement.TryGetValue(stop.Trial, out var at):
                    commands.Add(new CoordinatorCommand.Halt(stop.Trial, at, stop.Reason));
                    break;
                case SearchCommand.Record record:
                    commands.Add(new CoordinatorCommand.Record(record.Decision));
                    break;
            }
        }
        for (var i = 0; i < state.Search.Trials.Length; i++)
        {
            if (before.Trials[i].Status == TrialStatus.Pending && state.Search.Trials[i].Status == TrialStatus.Pruned)
            {
                commands.Add(new CoordinatorCommand.Ended(state.Search.Trials[i]));
            }
        }
        if (waiting.Count > 0 && !state.Search.Cancelling)
        {
            // The scheduler counted the waiting trials as running: fill the slots they left elsewhere, hiding them from it
            // (as paused) for that one pass, so it does not pick them again.
            var hidden = waiting.Aggregate(state, (s, trial) => s.Promote(trial, TrialStatus.Held));
            state = waiting.Aggregate(hidden.Carry(hidden.Search, hidden.Search.Schedule(), commands), (s, trial) => s.Promote(trial, TrialStatus.Promoted));
        }
        return state;
    }

    private SearchCoordination Promote(int trial, TrialStatus status) =>
        this with { Search = Search with { Trials = Search.Trials.SetItem(trial, Search.Trials[trial] with { Status = status }) } };

    private string? FreestNode()
    {
        var running = RunningPerNode();
        string? best = null;
        var most = 0;
        foreach (var (node, slots) in Nodes)
        {
            var free = slots - running[node];
            if (free > most)
            {
                best = node;
                most = free;
            }
        }
        return best;
    }

    private (SearchCoordination State, ImmutableArray<CoordinatorCommand> Commands) FinishIfDone(ImmutableArray<CoordinatorCommand>.Builder commands)
    {
        if (!Search.Finished || !Placement.IsEmpty || Phase is not (SearchPhase.Running or SearchPhase.Cancelling))
        {
            return (this, commands.ToImmutable());
        }
        var best = Leaderboard.Best(Leaderboard.Rank(Search.Trials, Search.Seeds, Search.Criterion));
        if (Cancelled || best is null || !CanTrainWinner)
        {
            commands.Add(CoordinatorCommand.WriteReport.Instance);
            return (this with { Phase = SearchPhase.Writing }, commands.ToImmutable());
        }
        commands.Add(new CoordinatorCommand.TrainWinner(best));
        return (this with { Phase = SearchPhase.TrainingWinner }, commands.ToImmutable());
    }
}

/// <summary>What a search had done when its process stopped: trials' records and the scheduler's decisions.</summary>
public sealed record SearchProgress(ImmutableArray<TrialRecord> Trials, ImmutableArray<RungDecision> Decisions)
{
    public static readonly SearchProgress None = new([], []);
}
