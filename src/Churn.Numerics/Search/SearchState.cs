using System.Collections.Immutable;
using Churn.Numerics.Model;

namespace Churn.Numerics.Search;

/// <summary>Where a trial is.</summary>
public enum TrialStatus
{
    /// <summary>Not started yet, or interrupted by a restart and to be run again from the start.</summary>
    Pending,

    /// <summary>Training, holding one of the search's parallel slots.</summary>
    Running,

    /// <summary>Paused at a rung until its configuration is decided; holds no slot.</summary>
    Held,

    /// <summary>Paused at a rung, promoted, waiting for a free slot to go on.</summary>
    Promoted,

    /// <summary>Trained to the end (early stopping or max epochs).</summary>
    Completed,

    /// <summary>Stopped at a rung by the scheduler, or because another trial of its configuration failed.</summary>
    Pruned,

    /// <summary>Training failed; <see cref="TrialRecord.Reason"/> says why.</summary>
    Failed,

    /// <summary>Stopped because the search was cancelled; run again if the search is resumed.</summary>
    Cancelled,
}

/// <summary>A trial and everything known about it; <see cref="Node"/> names the node that trains (or trained) it.</summary>
public sealed record TrialRecord(
    TrialSpec Spec,
    TrialStatus Status,
    ImmutableArray<EpochMetrics> History,
    string? Reason = null,
    TimeSpan Wall = default,
    TimeSpan InSession = default,
    string? Node = null)
{
    public static TrialRecord Pending(TrialSpec spec) => new(spec, TrialStatus.Pending, []);

    /// <summary>Its result: the lowest validation loss of any epoch (early stopping keeps that epoch's weights).</summary>
    public double BestValidationLoss => History.IsEmpty ? double.NaN : History.Min(h => h.ValidationLoss);

    /// <summary>The best validation loss up to and including <paramref name="epoch"/>.</summary>
    public double BestValidationLossUpTo(int epoch) =>
        History.Where(h => h.Epoch <= epoch).Select(h => h.ValidationLoss).DefaultIfEmpty(double.NaN).Min();

    /// <summary>
    /// The epoch whose weights training keeps when it stops after <paramref name="epoch"/>: early stopping replayed over
    /// the history with the configuration's patience and min-delta (the last epoch when none improved; 0 for none).
    /// </summary>
    public int KeptEpochUpTo(int epoch) => SummaryUpTo(epoch).KeptEpoch;

    /// <summary>The epochs up to and including <paramref name="epoch"/>, folded as the store folds them.</summary>
    public EpochSummary SummaryUpTo(int epoch) => EpochSummary.Of(History.Where(h => h.Epoch <= epoch), Spec.Config);

    /// <summary>What the search ranks this trial on, over its whole history.</summary>
    public double Score(SearchCriterion criterion) => ScoreUpTo(criterion, int.MaxValue);

    /// <summary>
    /// What the search ranks this trial on after <paramref name="epoch"/>: the best validation loss so far, or the
    /// calibrated loss at the epoch training would keep. A trial whose epochs carry no calibrated loss (its population
    /// is unknown) is ranked by validation loss. NaN before any epoch.
    /// </summary>
    public double ScoreUpTo(SearchCriterion criterion, int epoch)
    {
        if (criterion == SearchCriterion.ValidationLoss)
        {
            return BestValidationLossUpTo(epoch);
        }
        return ScoreOf(criterion, BestValidationLossUpTo(epoch), CalibratedLossUpTo(epoch));
    }

    /// <summary>
    /// The criterion's value from a trial's best validation loss and calibrated loss at the kept epoch: a trial whose
    /// epochs carry no calibrated loss (its population is unknown) is ranked by validation loss.
    /// </summary>
    public static double ScoreOf(SearchCriterion criterion, double bestValidationLoss, double calibratedLoss) =>
        criterion == SearchCriterion.CalibratedLoss && double.IsFinite(calibratedLoss) ? calibratedLoss : bestValidationLoss;

    /// <summary>The calibrated validation loss at the epoch training would keep after <paramref name="epoch"/> (NaN if unknown).</summary>
    public double CalibratedLossUpTo(int epoch) => SummaryUpTo(epoch).KeptCalibratedLoss;

    /// <summary>Validation accuracy at the best epoch.</summary>
    public double BestValidationAccuracy =>
        History.IsEmpty ? double.NaN : History.MinBy(h => h.ValidationLoss)!.ValidationAccuracy;

    /// <summary>Will not train again in this search.</summary>
    public bool Ended => IsEnded(Status);

    /// <summary>A trial with this status will not train again in its search.</summary>
    public static bool IsEnded(TrialStatus status) => status is TrialStatus.Completed or TrialStatus.Pruned or TrialStatus.Failed;
}

/// <summary>What the search's coordinator must do after an event.</summary>
public abstract record SearchCommand
{
    private SearchCommand() { }

    /// <summary>Start training the trial from epoch 1.</summary>
    public sealed record Start(TrialSpec Trial) : SearchCommand;

    /// <summary>Let a trial paused at a rung go on.</summary>
    public sealed record Resume(int Trial) : SearchCommand;

    /// <summary>Stop a running or paused trial; the reason is recorded.</summary>
    public sealed record Stop(int Trial, string Reason) : SearchCommand;

    /// <summary>Record a scheduler decision.</summary>
    public sealed record Record(RungDecision Decision) : SearchCommand;
}

/// <summary>
/// A search in progress as a value: every trial's record and the scheduler. Each event returns the next state and the
/// commands that follow from it; the coordinator actor only carries them out, so everything the search decides is
/// here and testable without actors or torch.
/// </summary>
public sealed record SearchState(
    ImmutableArray<TrialRecord> Trials,
    int Seeds,
    int Parallel,
    AshaState? Asha,
    bool Cancelling = false,
    SearchCriterion Criterion = SearchCriterion.ValidationLoss)
{
    /// <summary>A new search: every trial pending; ASHA when the plan has rungs.</summary>
    public static SearchState Start(SearchPlan plan, int parallel)
    {
        var asha = plan.Rungs.IsDefaultOrEmpty ? null : AshaState.Start(plan.Rungs, plan.ReductionFactor, plan.Configurations);
        return new SearchState([.. plan.Trials.Select(TrialRecord.Pending)], plan.Seeds, Math.Max(1, parallel), asha, Criterion: plan.Criterion);
    }

    /// <summary>
    /// A search picked up after a restart: ended trials are kept as they were, every other one runs again from its
    /// start, and the scheduler's recorded decisions are put back so nothing is decided twice.
    /// </summary>
    public static (SearchState State, ImmutableArray<SearchCommand> Commands) Resume(SearchState fresh, IEnumerable<TrialRecord> stored, IEnumerable<RungDecision> decisions)
    {
        var trials = fresh.Trials.ToBuilder();
        foreach (var record in stored)
        {
            trials[record.Spec.Index] = record.Ended ? record : TrialRecord.Pending(record.Spec);
        }
        var state = fresh with { Trials = trials.ToImmutable(), Asha = fresh.Asha?.Restore(decisions) };
        // A restart may have come between a trial's end and the scheduler's decision that followed: settle every
        // configuration again. Decisions already recorded stand and are not made twice.
        var commands = ImmutableArray.CreateBuilder<SearchCommand>();
        for (var c = 0; c < state.Configurations; c++)
        {
            state = state.SettleConfiguration(c, commands);
        }
        return (state, commands.ToImmutable());
    }

    public int Configurations => Trials.IsEmpty ? 0 : Trials[^1].Spec.Configuration + 1;

    public int Running => Trials.Count(t => t.Status == TrialStatus.Running);

    /// <summary>Every trial has ended, or the search was cancelled and nothing is training any more.</summary>
    public bool Finished => Trials.All(t => t.Ended || (Cancelling && t.Status is TrialStatus.Pending or TrialStatus.Cancelled));

    /// <summary>Epochs trained by every trial so far: the search's cost.</summary>
    public int EpochsSpent => Trials.Sum(t => t.History.Length);

    /// <summary>The trials of configuration <paramref name="configuration"/>.</summary>
    public IEnumerable<TrialRecord> TrialsOf(int configuration) =>
        Trials.Skip(configuration * Seeds).Take(Seeds);

    /// <summary>Fills free slots: promoted trials and pending ones, lowest index first, while fewer than P train.</summary>
    public (SearchState State, ImmutableArray<SearchCommand> Commands) Schedule()
    {
        if (Cancelling)
        {
            return (this, []);
        }
        var trials = Trials.ToBuilder();
        var commands = ImmutableArray.CreateBuilder<SearchCommand>();
        var running = Running;
        for (var i = 0; i < trials.Count && running < Parallel; i++)
        {
            var t = trials[i];
            if (t.Status == TrialStatus.Pending)
            {
                trials[i] = t with { Status = TrialStatus.Running, History = [], Reason = null };
                commands.Add(new SearchCommand.Start(t.Spec));
                running++;
            }
            else if (t.Status == TrialStatus.Promoted)
            {
                trials[i] = t with { Status = TrialStatus.Running };
                commands.Add(new SearchCommand.Resume(i));
                running++;
            }
        }
        return (this with { Trials = trials.ToImmutable() }, commands.ToImmutable());
    }

    /// <summary>A trial finished an epoch.</summary>
    public SearchState Epoch(int trial, EpochMetrics metrics) =>
        Update(trial, t => t with { History = [.. t.History.Where(h => h.Epoch < metrics.Epoch), metrics] });

    /// <summary>A trial paused after <paramref name="epoch"/>, a rung: its configuration may now be decided there.</summary>
    public (SearchState State, ImmutableArray<SearchCommand> Commands) Held(int trial, int epoch)
    {
        if (Trials[trial].Status != TrialStatus.Running)
        {
            return (this, []);
        }
        var commands = ImmutableArray.CreateBuilder<SearchCommand>();
        var state = Update(trial, t => t with { Status = TrialStatus.Held });
        var rung = Asha?.RungOf(epoch) ?? -1;
        state = rung < 0
            ? state.Release(trial, RungOutcome.Promoted, commands) // not a rung of this search: nothing to wait for
            : Asha!.DecisionFor(Trials[trial].Spec.Configuration, rung) is { } known
                // A trial run again (its node was lost) reaches a rung its configuration already passed: the decision stands.
                ? state.Release(trial, known.Outcome, commands)
                : state.SettleConfiguration(Trials[trial].Spec.Configuration, commands);
        var (scheduled, more) = state.Schedule();
        commands.AddRange(more);
        return (scheduled, commands.ToImmutable());
    }

    /// <summary>A trial trained to the end.</summary>
    public (SearchState State, ImmutableArray<SearchCommand> Commands) Completed(int trial, TimeSpan wall, TimeSpan inSession)
    {
        // Even after a cancel: a trial that trained to the end before the stop reached it is a full result worth keeping.
        var state = Update(trial, t => t with { Status = TrialStatus.Completed, Reason = null, Wall = wall, InSession = inSession });
        return state.AfterEnd(trial);
    }

    /// <summary>A trial failed: it is recorded with its reason and the search goes on; its configuration drops out.</summary>
    public (SearchState State, ImmutableArray<SearchCommand> Commands) Failed(int trial, string reason, TimeSpan wall, TimeSpan inSession)
    {
        var state = Update(trial, t => t with { Status = TrialStatus.Failed, Reason = reason, Wall = wall, InSession = inSession });
        return state.AfterEnd(trial);
    }

    /// <summary>A trial acknowledged a stop (pruned, cancelled, or a sibling failed): its status was set when the stop was asked.</summary>
    public (SearchState State, ImmutableArray<SearchCommand> Commands) Stopped(int trial, TimeSpan wall, TimeSpan inSession)
    {
        var state = Update(trial, t => t.Status is TrialStatus.Running or TrialStatus.Held or TrialStatus.Promoted
            ? t with { Status = Cancelling ? TrialStatus.Cancelled : TrialStatus.Pruned, Reason = t.Reason ?? "stopped", Wall = wall, InSession = inSession }
            : t with { Wall = wall, InSession = inSession });
        return state.AfterEnd(trial);
    }

    /// <summary>
    /// The trial's actor was lost with its node. A trial still training or paused goes back to pending, to run again from
    /// epoch 1 on another slot (its seed makes the re-run give the same result); one already told to stop ends as it was told.
    /// </summary>
    public (SearchState State, ImmutableArray<SearchCommand> Commands) Lost(int trial)
    {
        if (Trials[trial].Status is TrialStatus.Running or TrialStatus.Held or TrialStatus.Promoted)
        {
            var requeued = Update(trial, t => TrialRecord.Pending(t.Spec));
            return requeued.Schedule();
        }
        return AfterEnd(trial);
    }

    /// <summary>Stop everything: running and paused trials are told to stop, nothing new starts.</summary>
    public (SearchState State, ImmutableArray<SearchCommand> Commands) Cancel()
    {
        var trials = Trials.ToBuilder();
        var commands = ImmutableArray.CreateBuilder<SearchCommand>();
        for (var i = 0; i < trials.Count; i++)
        {
            if (trials[i].Status is TrialStatus.Running or TrialStatus.Held or TrialStatus.Promoted)
            {
                trials[i] = trials[i] with { Status = TrialStatus.Cancelled, Reason = "the search was cancelled" };
                commands.Add(new SearchCommand.Stop(i, "the search was cancelled"));
            }
        }
        return (this with { Trials = trials.ToImmutable(), Cancelling = true }, commands.ToImmutable());
    }

    private (SearchState State, ImmutableArray<SearchCommand> Commands) AfterEnd(int trial)
    {
        var commands = ImmutableArray.CreateBuilder<SearchCommand>();
        var state = SettleConfiguration(Trials[trial].Spec.Configuration, commands);
        var (scheduled, more) = state.Schedule();
        commands.AddRange(more);
        return (scheduled, commands.ToImmutable());
    }

    /// <summary>
    /// Tells the scheduler what configuration <paramref name="configuration"/> now amounts to: failed (it drops out and its
    /// paused trials stop), finished (all trials ended), or all trials at the same rung (its mean is reported there).
    /// Then carries out whatever the scheduler decided, for this and any later configuration that was waiting.
    /// </summary>
    private SearchState SettleConfiguration(int configuration, ImmutableArray<SearchCommand>.Builder commands)
    {
        var trials = TrialsOf(configuration).ToList();
        if (trials.Any(t => t.Status == TrialStatus.Failed))
        {
            var state = this;
            const string reason = "another seed of this configuration failed";
            foreach (var t in trials.Where(t => t.Status is TrialStatus.Held or TrialStatus.Promoted or TrialStatus.Running or TrialStatus.Pending))
            {
                // Trials not started yet are simply never started; the others are told to stop.
                state = state.Update(t.Spec.Index, r => r with { Status = TrialStatus.Pruned, Reason = reason });
                if (t.Status != TrialStatus.Pending)
                {
                    commands.Add(new SearchCommand.Stop(t.Spec.Index, reason));
                }
            }
            return state.Asha is null ? state : state.Apply(state.Asha.Exclude(configuration), commands);
        }
        if (Asha is null)
        {
            return this;
        }
        if (trials.All(t => t.Status == TrialStatus.Completed))
        {
            return Apply(Asha.Finish(configuration, trials.Average(t => t.Score(Criterion))), commands);
        }
        var held = trials.Where(t => t.Status == TrialStatus.Held).ToList();
        if (held.Count == 0 || !trials.All(t => t.Status is TrialStatus.Held or TrialStatus.Completed))
        {
            return this;
        }
        var epoch = held[0].History.IsEmpty ? 0 : held[0].History[^1].Epoch;
        var rung = Asha.RungOf(epoch);
        if (held.Any(t => t.History.IsEmpty || t.History[^1].Epoch != epoch) || rung < 0)
        {
            return this;
        }
        if (Asha.DecisionFor(configuration, rung) is { } known)
        {
            // Decided before a restart: the re-run reached the same rung with the same losses, so the decision stands.
            return ReleaseHeld(configuration, known.Outcome, commands);
        }
        var value = trials.Average(t => t.ScoreUpTo(Criterion, epoch));
        return Apply(Asha.Report(configuration, rung, value), commands);
    }

    private SearchState Apply((AshaState State, ImmutableArray<RungDecision> Decided) result, ImmutableArray<SearchCommand>.Builder commands)
    {
        var state = this with { Asha = result.State };
        foreach (var decision in result.Decided)
        {
            commands.Add(new SearchCommand.Record(decision));
            state = state.ReleaseHeld(decision.Configuration, decision.Outcome, commands);
        }
        return state;
    }

    /// <summary>The held trials of a decided configuration go on (waiting for a slot) or stop.</summary>
    private SearchState ReleaseHeld(int configuration, RungOutcome outcome, ImmutableArray<SearchCommand>.Builder commands)
    {
        var state = this;
        foreach (var t in TrialsOf(configuration).Where(t => t.Status == TrialStatus.Held))
        {
            state = state.Release(t.Spec.Index, outcome, commands);
        }
        return state;
    }

    private SearchState Release(int trial, RungOutcome outcome, ImmutableArray<SearchCommand>.Builder commands)
    {
        if (outcome != RungOutcome.Stopped)
        {
            return Update(trial, t => t with { Status = TrialStatus.Promoted });
        }
        var epoch = Trials[trial].History.IsEmpty ? 0 : Trials[trial].History[^1].Epoch;
        var reason = $"stopped by the scheduler at epoch {epoch}";
        commands.Add(new SearchCommand.Stop(trial, reason));
        return Update(trial, t => t with { Status = TrialStatus.Pruned, Reason = reason });
    }

    private SearchState Update(int trial, Func<TrialRecord, TrialRecord> change) =>
        this with { Trials = Trials.SetItem(trial, change(Trials[trial])) };
}
