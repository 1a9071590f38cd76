using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Churn.Actors;
using Churn.Actors.Cluster;
using Churn.Actors.Messages;
using Churn.Actors.Search;
using Churn.Host.Configuration;
using Churn.Host.Search;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using Churn.Numerics.Search;

namespace Churn.Host.Bench;

/// <summary>
/// <c>churn bench coordinator</c>: how many trials a second one search coordinator carries through when trials do no
/// work. N trial nodes (as a cluster host sees its workers) offer S slots each; every trial reports one epoch and its end
/// as soon as it starts, so what is measured is the coordinator: its decisions, placing, the node actors, the journal.
/// </summary>
internal static class CoordinatorBenchmark
{
    /// <summary>A trial that reports one epoch and its end at once.</summary>
    private sealed class InstantTrial : ReceiveActor
    {
        public InstantTrial(RunTrial run)
        {
            ReceiveAny(_ => { });
            run.ReplyTo.Tell(new TrialProtocol.EpochDone(run.Trial.Index, new EpochMetrics(1, 0.5, 0.8, 0.4 + (run.Trial.Seed % 1000 * 1e-6), 0.8)));
            run.ReplyTo.Tell(new TrialProtocol.Completed(run.Trial.Index, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1)));
            Context.Stop(Self);
        }
    }

    /// <summary>Stands for the cluster host's node registry: offers the nodes to the coordinator that subscribes.</summary>
    private sealed class Nodes : ReceiveActor
    {
        public Nodes(IReadOnlyList<(string Name, IActorRef Node)> nodes, int slots)
        {
            Receive<ClusterProtocol.SubscribeNodes>(m =>
            {
                foreach (var (name, node) in nodes)
                {
                    m.Subscriber.Tell(new ClusterProtocol.NodeAvailable(name, slots, node));
                }
            });
            ReceiveAny(_ => { });
        }
    }

    public static int Run(string[] args)
    {
        int Arg(string name, int fallback) =>
            Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        var trials = Arg("--trials", 5000);
        var nodeCount = Arg("--nodes", 16);
        var slots = Arg("--slots", 4);
        var store = Array.IndexOf(args, "--store") is var s and >= 0 && s + 1 < args.Length ? args[s + 1] : null;

        var config = ChurnConfig.Load(null).Unwrap();
        var definition = SpaceFile.Load(SearchPlanner.DefaultSpacePath, (string?)null).Unwrap() with { Trials = trials, Seeds = 1, Scheduler = SchedulerKind.None };
        var run = config.Run with
        {
            Data = ChurnConfig.ResolveData(config.Run.Data),
            Out = Path.Combine(Path.GetTempPath(), $"churn-bench-{Guid.NewGuid():N}"),
            Seed = 0,
            Balance = BalanceStrategy.Random,
            Split = SplitRatios.Default,
            Stratify = false,
            Device = DeviceChoice.Cpu,
            LogFeatureNames = [],
        };
        var request = new SearchRequest($"bench-{Guid.NewGuid():N}"[..20], run, 1, SchedulerKind.None, Sampler.Plan(definition, 0));
        ISearchJournal journal = store is null ? NoSearchJournal.Instance : SearchStore.Open(store).Unwrap();

        using var system = ActorSystem.Create("bench", ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING"));
        var nodes = Enumerable.Range(0, nodeCount)
            .Select(i => ($"node-{i}", system.ActorOf(TrialNodeActor.Props($"node-{i}", (c, run) => c.ActorOf(Props.Create(() => new InstantTrial(run)))), $"node-{i}")))
            .ToList();
        var registry = system.ActorOf(Props.Create(() => new Nodes(nodes, slots)));
        var listener = new TaskCompletionSource<ISearchEvent>();
        var ready = new TaskCompletionSource<TimeSpan>();
        var clock = Stopwatch.StartNew();
        var inbox = system.ActorOf(Props.Create(() => new Listener(listener, ready, clock)));
        journal.SearchStarted(request, DateTimeOffset.UtcNow);
        system.ActorOf(SearchCoordinatorActor.Props(new StartSearch(request, inbox), journal, ChurnActorsSetup.DefaultTrial, null, registry));
        var outcome = listener.Task.WaitAsync(TimeSpan.FromMinutes(30)).GetAwaiter().GetResult();
        var total = clock.Elapsed;
        var start = ready.Task.GetAwaiter().GetResult();
        var trialsRun = outcome is SearchCompleted c ? c.Summary.Trials : 0;
        var seconds = (total - start).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"coordinator: {trialsRun} no-work trials over {nodeCount} nodes x {slots} slots, journal {(store is null ? "none" : "SQLite")}: {seconds:F2} s after the data was ready (report included), {trialsRun / seconds:F0} trials/s"));
        return outcome is SearchCompleted ? 0 : 1;
    }

    private sealed class Listener : ReceiveActor
    {
        public Listener(TaskCompletionSource<ISearchEvent> done, TaskCompletionSource<TimeSpan> ready, Stopwatch clock)
        {
            Receive<SearchDataReady>(_ => ready.TrySetResult(clock.Elapsed));
            Receive<SearchCompleted>(m => done.TrySetResult(m));
            Receive<SearchFailed>(m => done.TrySetResult(m));
            Receive<SearchCancelled>(m => done.TrySetResult(m));
            ReceiveAny(_ => { });
        }
    }
}
