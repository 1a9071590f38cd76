using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Churn.Actors.Messages;

namespace Churn.Actors.Cluster;

/// <summary>
/// A worker's link to the coordinating hosts: once this node is up, it offers its trial node's slots to every member
/// with the <c>coordinator</c> role (and again to one that joins later), and sends them, in batches, the log lines of
/// the runs and searches it trains, so the host's logs show every node's trials.
/// </summary>
public sealed class WorkerAgentActor : ReceiveActor, IWithTimers
{
    /// <summary>The role of a node that coordinates searches.</summary>
    public const string CoordinatorRole = "coordinator";

    /// <summary>The role of a node that trains trials.</summary>
    public const string TrainerRole = "trainer";

    /// <summary>Where the coordinating host's <see cref="ClusterNodesActor"/> lives.</summary>
    public const string NodesActorName = "cluster-nodes";

    private const int MaxBuffered = 10_000;
    private static readonly TimeSpan FlushEvery = TimeSpan.FromMilliseconds(250);

    private sealed record SelfUp
    {
        public static readonly SelfUp Instance = new();
    }

    private sealed record Flush
    {
        public static readonly Flush Instance = new();
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly IActorRef _node;
    private readonly int _slots;
    private readonly string _name;
    private WorkerAgentState _state = WorkerAgentState.Start;

    public WorkerAgentActor(IActorRef node, int slots)
    {
        _node = node;
        _slots = slots;
        _name = ClusterNodesActor.NodeName(_cluster.SelfAddress);
        Receive<SelfUp>(_ =>
        {
            (_state, var offer) = _state.NodeUp();
            foreach (var coordinator in offer)
            {
                Register(coordinator);
            }
        });
        Receive<ClusterEvent.MemberUp>(m =>
        {
            (_state, var offer) = _state.MemberUp(m.Member.Address, m.Member.HasRole(CoordinatorRole));
            if (offer is { } coordinator)
            {
                Register(coordinator);
            }
        });
        Receive<ClusterEvent.MemberRemoved>(m => _state = _state.MemberRemoved(m.Member.Address));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<LogEvent>(OnLog);
        Receive<Flush>(_ => OnFlush());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef node, int slots) => Akka.Actor.Props.Create(() => new WorkerAgentActor(node, slots));

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent));
        var self = Self;
        _cluster.RegisterOnMemberUp(() => self.Tell(SelfUp.Instance));
        Context.System.EventStream.Subscribe(Self, typeof(LogEvent));
        Timers.StartPeriodicTimer(nameof(Flush), Flush.Instance, FlushEvery);
    }

    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        Context.System.EventStream.Unsubscribe(Self);
    }

    private void Register(Address coordinator)
    {
        _log.Info($"cluster: offering {_slots} trial slot(s) to {ClusterNodesActor.NodeName(coordinator)}");
        Context.ActorSelection(new RootActorPath(coordinator) / "user" / NodesActorName).Tell(new ClusterProtocol.RegisterTrainer(_name, _slots, _node));
    }

    /// <summary>Only lines that belong to a run or search (they carry its run id as a property, see <see cref="RunLog"/>) go to the host.</summary>
    private void OnLog(LogEvent e)
    {
        if (e.LogLevel() < Akka.Event.LogLevel.InfoLevel || !e.TryGetProperties(out var properties) || properties is null
            || !properties.TryGetValue(RunLog.RunIdProperty, out var runId) || runId is null)
        {
            return;
        }
        string? Property(string name) => properties.TryGetValue(name, out var value) ? value?.ToString() : null;
        var message = Property(RunLog.MessageProperty) ?? "";
        int? trial = int.TryParse(Property(RunLog.TrialProperty), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;
        var level = e.LogLevel() switch
        {
            Akka.Event.LogLevel.WarningLevel => "Warning",
            Akka.Event.LogLevel.ErrorLevel => "Error",
            _ => "Information",
        };
        var line = new ClusterProtocol.WireLogLine(new DateTimeOffset(DateTime.SpecifyKind(e.Timestamp, DateTimeKind.Utc)), level, e.LogSource, message, runId.ToString(), Property(RunLog.StageProperty), trial);
        _state = _state.Logged(line, MaxBuffered);
    }

    private void OnFlush()
    {
        (_state, var waiting, var to) = _state.Flush();
        if (waiting.IsEmpty)
        {
            return;
        }
        var lines = new ClusterProtocol.LogLines(_name, waiting);
        foreach (var coordinator in to)
        {
            Context.ActorSelection(new RootActorPath(coordinator) / "user" / NodesActorName).Tell(lines);
        }
    }
}
