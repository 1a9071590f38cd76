using System.Collections.Immutable;
using System.Globalization;
using Churn.Actors.Messages;
using Churn.Numerics.Model;
using Churn.Numerics.Search;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Churn.Host.Cli;

/// <summary>
/// Where a run stands in training, for its progress bar: epochs done, the best so far, and how many epochs (and how
/// much time) can be left: at least until patience runs out without another improvement, at most until max epochs.
/// </summary>
public sealed record RunProgress(int MaxEpochs, int Patience, double MinDelta, int Epoch, int BestEpoch, double BestLoss, TimeSpan Elapsed, EpochMetrics? Last)
{
    public static RunProgress Start(ModelConfig model) => new(model.EpochLimit, model.StoppingPatience, model.MinDelta, 0, 0, double.PositiveInfinity, TimeSpan.Zero, null);

    public RunProgress After(EpochMetrics m, TimeSpan elapsed)
    {
        var improved = m.ValidationLoss < BestLoss - MinDelta;
        return this with
        {
            Epoch = m.Epoch,
            BestEpoch = improved ? m.Epoch : BestEpoch,
            BestLoss = improved ? m.ValidationLoss : BestLoss,
            Elapsed = elapsed,
            Last = m,
        };
    }

    /// <summary>Epochs that can be left: the fewest if validation loss never improves again, the most until max epochs.</summary>
    public (int Fewest, int Most) EpochsLeft
    {
        get
        {
            var most = Math.Max(0, MaxEpochs - Epoch);
            return (Math.Min(most, Math.Max(0, Patience - (Epoch - BestEpoch))), most);
        }
    }

    /// <summary>The time those epochs take at the mean epoch time so far.</summary>
    public (TimeSpan Fewest, TimeSpan Most) TimeLeft
    {
        get
        {
            var perEpoch = Epoch == 0 ? TimeSpan.Zero : Elapsed / Epoch;
            var (fewest, most) = EpochsLeft;
            return (perEpoch * fewest, perEpoch * most);
        }
    }

    public string Describe()
    {
        if (Last is not { } x)
        {
            return "training";
        }

        var (fewest, most) = TimeLeft;
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {Epoch}/{MaxEpochs}  train loss {x.TrainLoss:F4}  validation loss {x.ValidationLoss:F4} acc {x.ValidationAccuracy:F4}  best epoch {BestEpoch}  left {LiveProgress.Span(fewest)}–{LiveProgress.Span(most)}");
    }
}

/// <summary>One trial training now, as the live table shows it.</summary>
public sealed record RunningTrial(TrialSpec Spec, string Node, int Epoch, double ValidationLoss);

/// <summary>
/// Where a search stands, for its live table: the trials running now, how many ended how, the best result so far and
/// an estimate of the time left (trials to go at the mean trial time so far, P at a time).
/// </summary>
public sealed record SearchLiveView(
    int Total,
    int Parallel,
    ImmutableArray<TrialSpec> Plan,
    ImmutableSortedDictionary<int, RunningTrial> Running,
    int Completed,
    int Pruned,
    int Failed,
    int Cancelled,
    TimeSpan TrialTime,
    LeaderboardRow? Best,
    ImmutableArray<TrialRecord> Ended,
    string? Phase = null,
    SearchCriterion Criterion = SearchCriterion.ValidationLoss)
{
    public static SearchLiveView Start(SearchRequest request) =>
        new(request.Plan.Trials.Length, request.Parallel, request.Plan.Trials, ImmutableSortedDictionary<int, RunningTrial>.Empty, 0, 0, 0, 0, TimeSpan.Zero, null, [], Criterion: request.Plan.Criterion);

    /// <summary>A search followed from elsewhere (a host's event stream): its trials are known as they start.</summary>
    public static SearchLiveView Start(int total, int parallel, SearchCriterion criterion) =>
        new(total, parallel, [], ImmutableSortedDictionary<int, RunningTrial>.Empty, 0, 0, 0, 0, TimeSpan.Zero, null, [], Criterion: criterion);

    public int Done => Completed + Pruned + Failed + Cancelled;

    public SearchLiveView After(ISearchEvent e, int seeds) => e switch
    {
        SearchTrialStarted s => this with { Running = Running.SetItem(s.Trial.Index, new RunningTrial(s.Trial, "", 0, double.NaN)) },
        SearchTrialEpoch m when Running.TryGetValue(m.Trial, out var r) || m.Trial < Plan.Length => this with
        {
            Running = Running.SetItem(m.Trial, new RunningTrial(r?.Spec ?? Plan[m.Trial], m.Node, m.Metrics.Epoch, m.Metrics.ValidationLoss)),
        },
        SearchTrialEnded t => Ending(t.Record, seeds),
        SearchDataReady d => this with { Phase = $"data: {d.Detail}" },
        SearchWinnerTraining w => this with { Phase = string.Create(CultureInfo.InvariantCulture, $"training the winner, configuration {Numbering.Number(w.Configuration)}, for its model and its one test evaluation") },
        _ => this,
    };

    private SearchLiveView Ending(TrialRecord record, int seeds)
    {
        var ended = Ended.Add(record);
        return this with
        {
            Running = Running.Remove(record.Spec.Index),
            Completed = Completed + (record.Status == TrialStatus.Completed ? 1 : 0),
            Pruned = Pruned + (record.Status == TrialStatus.Pruned ? 1 : 0),
            Failed = Failed + (record.Status == TrialStatus.Failed ? 1 : 0),
            Cancelled = Cancelled + (record.Status == TrialStatus.Cancelled ? 1 : 0),
            TrialTime = TrialTime + record.Wall,
            Ended = ended,
            Best = Leaderboard.Best(Leaderboard.Rank(ended, seeds, Criterion)),
        };
    }

    /// <summary>Trials still to run at the mean wall time of those that trained, <see cref="Parallel"/> at a time.</summary>
    public TimeSpan? TimeLeft
    {
        get
        {
            var trained = Ended.Count(t => t.Wall > TimeSpan.Zero);
            if (trained == 0)
            {
                return null;
            }

            var left = Total - Done;
            return TrialTime / trained * Math.Ceiling(left / (double)Math.Max(1, Math.Min(Parallel, left)));
        }
    }
}

/// <summary>
/// The live displays on a terminal (Spectre.Console): a progress bar for a run's epochs, a table of a search's
/// trials. When stderr is not a terminal, or with <c>--json</c>, the commands print plain lines instead.
/// </summary>
public static class LiveProgress
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Whether to draw live: stderr is a terminal that can take it and the output is for a person.</summary>
    public static bool Wanted(bool json) =>
        !json && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is not ("dumb" or "")
        && Environment.GetEnvironmentVariable("TERM") is not null;

    /// <summary>A console on stderr: stdout stays for the command's result.</summary>
    public static IAnsiConsole Stderr() => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Error),
        Ansi = AnsiSupport.Yes,
        Interactive = InteractionSupport.Yes,
    });

    public static string Span(TimeSpan t) => t.TotalMinutes >= 1
        ? string.Create(Invariant, $"{(int)t.TotalMinutes}m{t.Seconds:00}s")
        : string.Create(Invariant, $"{t.TotalSeconds:F0}s");

    /// <summary>
    /// Runs <paramref name="run"/> under a progress display on <paramref name="console"/>: a finished row per stage,
    /// then a bar per epoch with losses, best epoch and time left.
    /// </summary>
    public static async Task<T> RunAsync<T>(IAnsiConsole console, ModelConfig model, Func<Action<IRunEvent>, Task<T>> run)
    {
        T outcome = default!;
        await console.Progress()
            .AutoClear(false)
            .AutoRefresh(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var progress = RunProgress.Start(model);
                ProgressTask? training = null;
                outcome = await run(e =>
                {
                    switch (e)
                    {
                        case StageCompleted s:
                            var row = ctx.AddTask(Markup.Escape(Logging.ConsoleText.Printable(ConsoleOutput.StageLine(s).Trim())), maxValue: 1);
                            row.Value = 1;
                            row.StopTask();
                            break;
                        case DeviceFellBack d:
                            ctx.AddTask("[yellow]" + Markup.Escape(Logging.ConsoleText.Printable(ConsoleOutput.FallbackLine(d))) + "[/]", autoStart: false, maxValue: 1).StopTask();
                            break;
                        case EpochCompleted m:
                            progress = progress.After(m.Metrics, m.Elapsed);
                            training ??= ctx.AddTask("training", maxValue: model.EpochLimit);
                            training.Value = progress.Epoch;
                            training.Description = Markup.Escape(progress.Describe());
                            break;
                    }
                });
                training?.StopTask();
            });
        return outcome;
    }

    /// <summary>Shows <paramref name="events"/> as a live trial table on <paramref name="console"/> until one ends the search; returns that one.</summary>
    public static async Task<ISearchEvent?> SearchAsync(IAnsiConsole console, string searchId, int seeds, IAsyncEnumerable<ISearchEvent> events, SearchLiveView start)
    {
        ISearchEvent? outcome = null;
        var progress = start;
        await console.Live(Table(progress, searchId)).AutoClear(false).StartAsync(async ctx =>
        {
            await foreach (var e in events)
            {
                if (e is SearchCompleted or SearchCancelled or SearchFailed)
                {
                    outcome = e;
                    break;
                }

                progress = progress.After(e, seeds);
                ctx.UpdateTarget(Table(progress, searchId));
            }
        });
        return outcome;
    }

    /// <summary>The search's live table: a row per running trial, then counts, best so far and time left.</summary>
    public static IRenderable Table(SearchLiveView p, string searchId)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("trial", "configuration", "seed", "node", "epoch", "validation loss", "network");
        foreach (var (index, r) in p.Running)
        {
            table.AddRow(
                Numbering.Number(index).ToString(Invariant),
                Numbering.Number(r.Spec.Configuration).ToString(Invariant),
                Numbering.Number(r.Spec.Replicate).ToString(Invariant),
                Markup.Escape(r.Node.Length == 0 ? "-" : r.Node),
                r.Epoch.ToString(Invariant),
                double.IsNaN(r.ValidationLoss) ? "-" : r.ValidationLoss.ToString("F4", Invariant),
                Markup.Escape(Leaderboard.Describe(r.Spec)));
        }

        var best = p.Best is { } b
            ? string.Create(Invariant, $"configuration {Numbering.Number(b.Configuration)}, {Leaderboard.ScoreText(b)}")
            : "-";
        var left = p.TimeLeft is { } t ? Span(t) : "-";
        table.Caption(Markup.Escape(string.Create(Invariant,
            $"{p.Done}/{p.Total} trials ended: {p.Completed} done, {p.Pruned} pruned, {p.Failed} failed, {p.Cancelled} cancelled · {p.Running.Count} running · best {best} · about {left} left")));
        table.Title(Markup.Escape(p.Phase is null ? $"search {searchId}" : $"search {searchId}: {p.Phase}"));
        return table;
    }
}
