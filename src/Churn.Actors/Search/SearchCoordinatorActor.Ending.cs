using System.Collections.Immutable;
using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Files;
using Churn.Numerics.Model;
using Churn.Numerics.Search;

namespace Churn.Actors.Search;

/// <summary>How a search ends: its winner trained again (and its seeds averaged), its report written, its journal closed.</summary>
public sealed partial class SearchCoordinatorActor
{
    /// <summary>
    /// The winner is trained again through the run pipeline with the search's seed: the same data preparation, so the
    /// same splits, and this is the only time anything is evaluated on the test split.
    /// </summary>
    private void TrainWinner(LeaderboardRow best)
    {
        _log.Info(Line($"best configuration {Numbering.Number(best.Configuration)}: {Leaderboard.Describe(best)}, {Leaderboard.ScoreText(best)}; training it for the test evaluation"));
        Publish(new SearchWinnerTraining(Id, best.Configuration, best.Config));
        _runs!.Tell(new RunPipeline(WinnerRunId, Request.WinnerRun(best.Config, best.Data, Preparation.DefaultPrefix), Self));
    }

    private string WinnerRunId => $"{Id}-winner";

    /// <summary>
    /// The winner's seeds are trained again here, each as its trial was (same splits, configuration and seed, so the
    /// same network), and kept: their averaged model is the search's model for scoring with the seeds' noise averaged out.
    /// </summary>
    private void AverageWinner(LeaderboardRow best, ImmutableArray<TrialSpec> members)
    {
        _averaging = WinnerAveraging<IActorRef, TrainedModel>.Of(best);
        var data = _prepared[_averaging.DataKey];
        _log.Info(Line($"training the winner's {members.Length} seeds again for the averaged model"));
        foreach (var spec in members)
        {
            var member = _trialFactory(Context, new RunTrial(
                Id, spec, data.Prepared.Splits, Request.Run.Device, [], Self,
                Balancer.LossWeights(data.Prepared.Options.Balance, data.Prepared.Splits.Train), data.Prepared.Balanced.Mix.Population, KeepModel: true));
            Context.Watch(member);
            _averaging = _averaging.Joined(member, spec.Index);
        }
    }

    private void OnModelKept(TrialProtocol.ModelKept m)
    {
        if (!_averaging.IsMember(Sender) || _state.Phase != SearchPhase.AveragingWinner)
        {
            return;
        }
        _averaging = _averaging.ModelKept(Sender, m.Trial, m.Model);
        if (!_averaging.Complete)
        {
            return;
        }
        var data = _prepared[_averaging.DataKey];
        var prepared = data.Prepared;
        var averaged = ModelArtifact.Averaged(
            _averaging.Models, prepared.Scaler, [.. Schema.FeatureNames], prepared.Loaded.Sha256, (long)Request.Run.Seed, RunFiles.Versions(),
            prepared.Splits.Validation, prepared.Balanced.Mix);
        var artifact = averaged with { Background = BackgroundSample.Draw(prepared.Splits.Train.Inputs, Request.Run.Seed) };
        var directory = Path.Combine(Request.OutDir, AveragedModelFolder);
        var customers = prepared.Loaded.Data;
        Task.Run(() => ModelArtifact.Save(directory, artifact with { Drift = artifact.DriftOf(customers) })).PipeTo(
            Self,
            success: saved => new AveragedSaved(saved),
            failure: e => new AveragedSaved(Result.Fail<string>(e.Message, directory)));
    }

    private void AveragingFailed(string note)
    {
        _log.Warning(Line(note));
        Apply(_state.WinnerAveraged(null, note));
    }

    private void WriteReport()
    {
        var report = Report();
        var outDir = Request.OutDir;
        Task.Run(() => SearchFiles.Write(outDir, report)).PipeTo(
            Self,
            success: files => new FilesWritten(files),
            failure: e => new FilesWritten(Result.Fail<ImmutableArray<string>>($"cannot write the search report: {e.Message}", outDir)));
    }

    private void OnFilesWritten(FilesWritten m)
    {
        var files = m.Files.Match(f => f, _ => []);
        string? problem = null;
        if (m.Files is Result<ImmutableArray<string>>.Error error)
        {
            problem = error.Problem.ToString();
            _log.Warning(Line(problem));
        }
        _state = _state.ReportWritten(problem);
        if (_state.ModelDirectory is { } model)
        {
            files = files.Add(model);
        }
        if (_state.AveragedModelDirectory is { } averaged)
        {
            files = files.Add(averaged);
        }
        var summary = Summary(files);
        var status = summary.Status;
        _log.Info(Line($"{status} in {_clock.ElapsedMilliseconds} ms: {summary.EpochsSpent} epochs over {summary.Trials} trials"));
        Journal((j, at) => j.SearchEnded(Id, status, summary, null, at));
        ISearchEvent outcome = _state.Cancelled ? new SearchCancelled(Id, summary) : new SearchCompleted(Id, summary);
        AfterJournal(outcome);
    }

    private void Fail(string reason)
    {
        _state = _state.Failed();
        _log.Warning(Line($"failed: {reason}"));
        Journal((j, at) => j.SearchEnded(Id, "failed", null, reason, at));
        AfterJournal(new SearchFailed(Id, reason));
    }

    /// <summary>Tells this actor <paramref name="outcome"/> once the journal holds everything recorded so far, its end included.</summary>
    private void AfterJournal(ISearchEvent outcome) =>
        _writes.Drained().PipeTo(Self, success: () => new JournalComplete(outcome), failure: _ => new JournalComplete(outcome));

    /// <summary>The journal holds everything, its end included: now the search's listeners hear how it ended.</summary>
    private void Ended(ISearchEvent outcome)
    {
        Publish(outcome);
        Context.Parent.Tell(outcome);
        Context.Stop(Self);
    }

    private SearchReport Report()
    {
        var trials = _state.Search.Trials;
        var wall = TimeSpan.FromTicks(trials.Sum(t => t.Wall.Ticks));
        var inSession = TimeSpan.FromTicks(trials.Sum(t => t.InSession.Ticks));
        var leaderboard = Leaderboard.Rank(trials, _state.Search.Seeds, _state.Search.Criterion);
        // best.json prepares the data as the winner was trained.
        return new SearchReport(
            Id, _state.Cancelled ? "cancelled" : "completed", Request.Run.Data, Request.PrepareOptionsFor(Leaderboard.Best(leaderboard)?.Data), Request.Scheduler,
            leaderboard, trials, _state.Search.Asha?.Decisions ?? [], _state.Search.EpochsSpent,
            _clock.Elapsed, wall, inSession, _state.WinnerTest, _state.ReportNote, _state.WinnerLeftOut, _state.WinnerPopulation, _state.AveragedModelDirectory);
    }

    private SearchSummary Summary(ImmutableArray<string> files)
    {
        var r = Report();
        return new SearchSummary(r.Status, r.Leaderboard, r.Trials.Length, r.EpochsSpent, r.Elapsed, r.TrialWall, r.TrialInSession, _state.WinnerTest, _state.ModelDirectory, files, r.Note, _state.WinnerLeftOut, _state.WinnerPopulation, _state.AveragedModelDirectory);
    }

    /// <summary>Tells the search's listener and everyone following it (an event stream of the API) what happened.</summary>
    private void Publish(ISearchEvent e)
    {
        _start.ReplyTo.Tell(e);
        foreach (var follower in _contacts.Followers)
        {
            follower.Tell(e);
        }
    }

    private SearchSnapshot Snapshot() =>
        new(Id, _state.Phase, Leaderboard.Rank(_state.Search.Trials, _state.Search.Seeds, _state.Search.Criterion), _state.Search.Trials, _state.Search.Asha?.Decisions ?? [], _state.Search.EpochsSpent, _clock.Elapsed);

    /// <summary>Tells the journal writer one record, stamped with the time it happened here (not when it is written).</summary>
    private void Journal(Action<ISearchJournal, DateTimeOffset> write)
    {
        var at = DateTimeOffset.UtcNow;
        _writes.Write(journal => write(journal, at));
    }
}
