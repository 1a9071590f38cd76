using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Hosting;
using Churn.Actors;
using Churn.Actors.Messages;
using Churn.Actors.Search;
using Churn.Host.Configuration;
using Churn.Host.Search;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Search;
using Microsoft.Extensions.DependencyInjection;

namespace Churn.Host.Cli;

/// <summary>
/// <c>churn search</c>: a hyperparameter search whose trials are actors, run in this process (recorded in the run
/// store so <c>--resume ID</c> continues it after a crash) or, with <c>--host URL</c>, on a running <c>churn host</c>.
/// </summary>
public static partial class SearchCommand
{
    /// <summary>The flags that shape what a search computes; a resumed search keeps what it was started with.</summary>
    private static readonly Option[] PlanOptions =
    [
        ChurnCommandLine.Data, ChurnCommandLine.SearchOut, ChurnCommandLine.Space, ChurnCommandLine.Trials, ChurnCommandLine.Seeds,
        ChurnCommandLine.Scheduler, ChurnCommandLine.Seed, ChurnCommandLine.Config,
    ];

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(ParseResult parse)
    {
        var json = parse.GetValue(ChurnCommandLine.Json);
        var verbose = parse.GetValue(ChurnCommandLine.Verbose);
        var configured = ChurnConfig.Load(parse.GetValue(ChurnCommandLine.Config));
        if (configured is Result<ChurnConfig>.Error configError)
        {
            return ChurnCli.Fail(configError.Problem);
        }
        var config = configured.Unwrap();
        var recording = parse.Given(ChurnCommandLine.Store) || parse.Given(ChurnCommandLine.NoStore);
        if (parse.Given(ChurnCommandLine.Store) && parse.GetValue(ChurnCommandLine.NoStore))
        {
            return ChurnCommandLine.Usage(ChurnCli.StoreConflict, "search");
        }
        if (recording && parse.GetValue(ChurnCommandLine.HostUrl) is not null)
        {
            return ChurnCommandLine.Usage("--store and --no-store do not go with --host: the host records the search in its own store", "search");
        }

        if (parse.GetValue(ChurnCommandLine.Resume) is { } resumeId)
        {
            if (parse.GetValue(ChurnCommandLine.NoStore))
            {
                return ChurnCommandLine.Usage("--resume reads the search from the run store; --no-store cannot go with it", "search");
            }
            if (parse.GetValue(ChurnCommandLine.HostUrl) is not null)
            {
                return ChurnCommandLine.Usage("--resume is for searches run by this command; a host resumes its own searches when it starts", "search");
            }
            if (PlanOptions.FirstOrDefault(parse.Given) is { } conflicting)
            {
                return ChurnCommandLine.Usage($"--resume continues a stored search exactly as it was planned; {conflicting.Name} cannot change it (only --parallel, --threads, --json and --verbose apply)", "search");
            }
            return await ResumeAsync(parse, config, resumeId, json, verbose);
        }

        if (SpaceProblems(parse) is [_, ..] spaceProblems)
        {
            // Every field of the file at once, as the dashboard's form marks them.
            return ChurnCli.ReportAll(spaceProblems, parse, []);
        }
        var submitted = Submission(parse);
        if (submitted is Result<SearchSubmission>.Error spaceError)
        {
            return ChurnCli.Fail(spaceError.Problem);
        }
        var submission = submitted.Unwrap();
        // Checked here by the code the host runs too, so a bad flag is the same usage error with or without --host.
        var (planned, planProblems) = submission.ResolveAll(config, _ => Path.Combine(config.Run.Out, "search"), "command line");
        if (planned is null)
        {
            return ChurnCli.ReportAll(planProblems, parse, ChurnCommandLine.SearchFields);
        }
        if (parse.GetValue(ChurnCommandLine.HostUrl) is { } host)
        {
            return await SearchClient.RunAsync(host, parse.GetValue(ChurnCommandLine.Token), submission, json);
        }
        if (parse.Given(ChurnCommandLine.Token))
        {
            return ChurnCommandLine.Usage("--token goes with --host", "search");
        }

        return await WithStoresAsync(parse, config, (store, runs) => ExecuteAsync(config, store, runs, planned, null, json, verbose));
    }

    /// <summary>
    /// Runs <paramref name="work"/> with the search's store and the run store its winner's run is recorded in (the same
    /// file: <c>--store</c>, else <c>host.store</c>). A search is recorded as it goes (that is what <c>--resume</c>
    /// continues); with <c>--no-store</c> it goes to a scratch file deleted at the end, and its winner's run nowhere.
    /// </summary>
    private static async Task<int> WithStoresAsync(ParseResult parse, ChurnConfig config, Func<SearchStore, SqliteRunStore?, Task<int>> work)
    {
        var scratch = parse.GetValue(ChurnCommandLine.NoStore) ? Path.Combine(Path.GetTempPath(), $"churn-search-{Guid.NewGuid():N}.db") : null;
        var path = scratch ?? ChurnCli.StorePath(parse, config);
        try
        {
            var opened = SearchStore.Open(path);
            if (opened is Result<SearchStore>.Error storeError)
            {
                return ChurnCli.Fail(storeError.Problem);
            }
            SqliteRunStore? runs = null;
            if (scratch is null)
            {
                var runStore = SqliteRunStore.Open(path, DateTimeOffset.UtcNow);
                if (runStore is Result<SqliteRunStore>.Error runStoreError)
                {
                    return ChurnCli.Fail(runStoreError.Problem);
                }
                runs = runStore.Unwrap();
            }
            using (runs)
            {
                return await work(opened.Unwrap(), runs);
            }
        }
        finally
        {
            if (scratch is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                foreach (var file in new[] { scratch, scratch + "-wal", scratch + "-shm" })
                {
                    File.Delete(file);
                }
            }
        }
    }

    /// <summary>Every problem of the <c>--space</c> file, each naming the file (the shipped defaults' own, that file) and the field.</summary>
    private static ImmutableArray<Problem> SpaceProblems(ParseResult parse) =>
        parse.GetValue(ChurnCommandLine.Space) is { } spaceFile ? SpaceFile.LoadAll(SearchPlanner.DefaultSpacePath, spaceFile).Problems : [];

    /// <summary>
    /// The search the command line asks for: the <c>--space</c> file's fields (checked first, so a mistake names the
    /// file), then the flags given (see <see cref="ChurnCommandLine.SearchFields"/>), as a <c>POST /searches</c> body would.
    /// </summary>
    public static Result<SearchSubmission> Submission(ParseResult parse)
    {
        var submission = SearchSubmission.Of([]);
        if (parse.GetValue(ChurnCommandLine.Space) is { } spaceFile)
        {
            var checkedFile = SpaceFile.Load(SearchPlanner.DefaultSpacePath, spaceFile);
            if (checkedFile is Result<SearchDefinition>.Error error)
            {
                return error.Problem;
            }
            var read = SearchSubmission.FromJson(File.ReadAllText(spaceFile), spaceFile);
            if (read is Result<SearchSubmission>.Error readError)
            {
                return readError.Problem;
            }
            submission = read.Unwrap();
        }
        foreach (var (option, field) in ChurnCommandLine.SearchFields)
        {
            if (parse.Given(option))
            {
                submission = submission.With(field, ChurnCommandLine.ValueOf(parse, option));
            }
        }
        return Result.Ok(submission);
    }

    private static async Task<int> ResumeAsync(ParseResult parse, ChurnConfig config, string resumeId, bool json, bool verbose)
    {
        var submission = Submission(parse).Unwrap();
        return await WithStoresAsync(parse, config, (store, runs) => ResumeStoredAsync(parse, config, store, runs, submission, resumeId, json, verbose));
    }

    private static async Task<int> ResumeStoredAsync(
        ParseResult parse, ChurnConfig config, SearchStore store, SqliteRunStore? runs, SearchSubmission submission, string resumeId, bool json, bool verbose)
    {
        var stored = store.Load(resumeId);
        if (stored is Result<StoredSearch>.Error loadError)
        {
            return ChurnCli.Fail(loadError.Problem);
        }
        var search = stored.Unwrap();
        if (search.Status is "completed")
        {
            return ChurnCli.Fail(new Problem($"search {resumeId} already completed; its report is in {search.Request.OutDir}", store.Path));
        }
        if (search.Status is "running" && StoreOwner.ProcessAlive(search.Owner))
        {
            return ChurnCli.Fail(new Problem($"search {resumeId} is still being run by another process (pid {OwnerPart(search.Owner, 1)} on {OwnerPart(search.Owner, 0)})", store.Path));
        }
        // Only how it runs may change: the same checks as a new search's.
        var fields = submission.Fields;
        var overrides = SearchSubmission.Of(new JsonObject { ["parallel"] = fields["parallel"]?.DeepClone(), ["threads"] = fields["threads"]?.DeepClone() });
        if (overrides.Resolve(config, _ => search.Request.OutDir, "command line") is Result<SearchRequest>.Error overrideError)
        {
            return ChurnCli.Report(overrideError.Problem, parse, ChurnCommandLine.SearchFields);
        }
        if (!store.TryClaim(resumeId, search.Owner))
        {
            return ChurnCli.Fail(new Problem($"search {resumeId} was resumed by another process just now", store.Path));
        }
        var request = search.Request with
        {
            Parallel = parse.Given(ChurnCommandLine.Parallel) ? parse.GetValue(ChurnCommandLine.Parallel) : search.Request.Parallel,
            Threads = parse.Given(ChurnCommandLine.Threads) ? parse.GetValue(ChurnCommandLine.Threads) : search.Request.Threads,
        };
        return await ExecuteAsync(config, store, runs, request, search.Progress, json, verbose);
    }

    private static string OwnerPart(string owner, int index) => owner.Split('|') is var parts && parts.Length > index ? parts[index] : "unknown";

    private static async Task<int> ExecuteAsync(
        ChurnConfig config, SearchStore store, SqliteRunStore? runs, SearchRequest request, SearchProgress? resume, bool json, bool verbose)
    {
        var plan = request.Plan;
        Console.Error.WriteLine(string.Create(Invariant,
            $"churn search: {request.SearchId} {(resume is null ? "started" : "resumed")}: {plan.Configurations} configurations x {plan.Seeds} seeds = {plan.Trials.Length} trials, "
            + $"{request.Parallel} at a time with {request.ThreadsPerTrial} thread(s) each, scheduler {request.Scheduler.ToString().ToLowerInvariant()}, store {store.Path}"));
        if (resume is not null)
        {
            var kept = resume.Trials.Count(t => t.Ended);
            Console.Error.WriteLine($"  resume    {kept} trial(s) kept as they ended; {plan.Trials.Length - kept} to run; {resume.Decisions.Length} scheduler decision(s) kept");
        }

        using var host = ChurnHostBuilder.Embedded(config, verbose, new ChurnParts
        {
            Pipeline = new PipelinePart(Journal: runs, MaxQueuedRuns: config.Host.Limits.MaxQueuedRuns),
            Search = new SearchPart(store),
        });
        await host.StartAsync(CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        using var signals = new CancelSignals("churn: cancelling the search (stops every trial within a second, keeps the best so far)…", cancel.Cancel);
        try
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var searches = await host.Services.GetRequiredService<IRequiredActor<SearchesActor>>().GetAsync(CancellationToken.None);
            var (relay, events) = EventRelay.Open<ISearchEvent>(system, "cli-search-relay");
            searches.Tell(new StartSearch(request, relay, resume));
            await using var registration = cancel.Token.Register(() => searches.Tell(new CancelSearch(request.SearchId)));
            int Outcome(ISearchEvent? e)
            {
                switch (e)
                {
                    case SearchCompleted c:
                        Report(c.Summary, json);
                        return 0;
                    case SearchCancelled c:
                        Report(c.Summary, json);
                        Console.Error.WriteLine($"churn: search cancelled; continue it with: churn search --resume {request.SearchId}");
                        return 130;
                    case SearchFailed f:
                        Console.Error.WriteLine($"churn: error: search {f.SearchId}: {f.Reason}");
                        return 1;
                    default:
                        Console.Error.WriteLine($"churn: error: the actor system stopped before search {request.SearchId} ended; continue it with: churn search --resume {request.SearchId}");
                        return 1;
                }
            }

            var endedBefore = resume?.Trials.Count(r => r.Ended) ?? 0;
            return Outcome(await FollowAsync(events.ReadAllAsync(CancellationToken.None), request.SearchId, plan.Seeds, plan.Trials.Length, endedBefore,
                LiveProgress.Wanted(json) && !verbose ? SearchLiveView.Start(request) : null, plan.Criterion));
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Shows a search's events until one ends it, and returns that one (null when the events stop first): as a live
    /// table when <paramref name="live"/> is given, otherwise as plain lines, one per trial ended and per rung decision.
    /// The same for a search run here and one followed on a host.
    /// </summary>
    public static async Task<ISearchEvent?> FollowAsync(
        IAsyncEnumerable<ISearchEvent> events, string searchId, int seeds, int total, int endedBefore, SearchLiveView? live, SearchCriterion criterion)
    {
        if (live is not null)
        {
            return await LiveProgress.SearchAsync(LiveProgress.Stderr(), searchId, seeds, events, live);
        }
        var ended = endedBefore;
        await foreach (var e in events)
        {
            switch (e)
            {
                case SearchDataReady d:
                    Console.Error.WriteLine($"  data      {Logging.ConsoleText.Printable(d.Detail)}");
                    break;
                case SearchTrialEnded t:
                    Console.Error.WriteLine(Logging.ConsoleText.Printable(TrialLine(t.Record, ++ended, total)));
                    break;
                case SearchRungDecided r:
                    var d2 = r.Decision;
                    Console.Error.WriteLine(string.Create(Invariant,
                        $"  rung {Numbering.Number(d2.Rung)}    epoch {d2.Epoch}: configuration {Numbering.Number(d2.Configuration)} {d2.Outcome.ToString().ToLowerInvariant()} (mean {criterion.LossName()} {d2.Value:F4}, rank {Numbering.Number(d2.Rank)} of {d2.Compared}, best {d2.Kept} go on)"));
                    break;
                case SearchWinnerTraining w:
                    Console.Error.WriteLine($"  winner    configuration {Numbering.Number(w.Configuration)}: training it through the run pipeline for its model and its one test evaluation");
                    break;
                case SearchCompleted or SearchCancelled or SearchFailed:
                    return e;
            }
        }
        return null;
    }
}
