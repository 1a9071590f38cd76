using System.Collections.Immutable;
using System.Net;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Churn.Actors.Messages;
using Churn.Actors.Search;
using Churn.Actors.Training;
using Churn.Numerics;
using Churn.Numerics.Search;

namespace Churn.Actors.Cluster;

/// <summary>
/// How a node takes part in the cluster. <paramref name="Bind"/> and <paramref name="Port"/> are where its cluster
/// port listens (port 0: any free one); <paramref name="Seed"/> is the coordinating host's <c>HOST:PORT</c> (none for
/// the host itself, which is the seed). <paramref name="Certificate"/> (a PKCS#12 file) turns on TLS for the cluster
/// port, which is what binding beyond loopback requires.
/// </summary>
public sealed record ClusterNode(string Bind, int Port, string? Seed, ImmutableArray<string> Roles, string? Certificate = null, string? CertificatePassword = null)
{
    /// <summary>
    /// Refuses a node that would listen on, or join, an address beyond loopback without TLS: the cluster port takes
    /// orders to train and carries the customers' data, so it must not be open to the network in the clear.
    /// </summary>
    public Result<ClusterNode> Check()
    {
        if (Port is < 0 or > 65535)
        {
            return Result.Fail<ClusterNode>($"the cluster port must be from 0 to 65535, got {Port}");
        }
        if (!IPAddress.TryParse(Bind, out _))
        {
            return Result.Fail<ClusterNode>($"the cluster bind address must be an IP address, got '{Bind}'");
        }
        var beyond = !IsLoopback(Bind) ? Bind : Seed is { } seed && !IsLoopback(HostOf(seed)) ? HostOf(seed) : null;
        if (beyond is not null && Certificate is null)
        {
            return Result.Fail<ClusterNode>(
                $"the cluster port reaches beyond loopback ({beyond}) only with TLS: set host.clusterCertificate (a PKCS#12 file; password in {CertificatePasswordVariable}) on every node");
        }
        if (Certificate is not null && !File.Exists(Certificate))
        {
            return Result.Fail<ClusterNode>("no such certificate file", Certificate);
        }
        return Result.Ok(this);
    }

    /// <summary>Where a node reads the password of its cluster certificate.</summary>
    public const string CertificatePasswordVariable = "CHURN_CLUSTER_CERT_PASSWORD";

    public static bool IsLoopback(string host) =>
        host == "localhost" || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    /// <summary>The host part of <c>HOST:PORT</c> (an IPv6 address in brackets loses them).</summary>
    public static string HostOf(string hostPort)
    {
        var colon = hostPort.LastIndexOf(':');
        var host = colon < 0 ? hostPort : hostPort[..colon];
        return host.Trim('[', ']');
    }
}

/// <summary>Registers cluster membership and the cluster's actors with Akka.Hosting: the host and the workers share this wiring.</summary>
public static class ClusterSetup
{
    /// <summary>The actor system's name on every node: a cluster's members must share it.</summary>
    public const string SystemName = "churn";

    /// <summary>
    /// Failure detection and downing, tuned so a killed worker is noticed within seconds: heartbeats every second, a node
    /// unreachable after about 3 s of silence, and the split-brain resolver deciding once the membership has been
    /// stable for 5 s. The frame size carries a search's splits in one message.
    /// </summary>
    private const string Timings = """
        akka.cluster.failure-detector.heartbeat-interval = 1s
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 3s
        akka.cluster.split-brain-resolver.stable-after = 5s
        akka.cluster.down-removal-margin = 2s
        akka.cluster.run-coordinated-shutdown-when-down = on
        akka.cluster.log-info = off
        akka.remote.dot-netty.tcp.maximum-frame-size = 16MiB
        akka.remote.dot-netty.tcp.send-buffer-size = 16MiB
        akka.remote.dot-netty.tcp.receive-buffer-size = 16MiB
        akka.remote.log-remote-lifecycle-events = off
        akka.actor.serialize-messages = off
        """;

    /// <summary>
    /// Remoting and cluster membership for one node. The split-brain resolver keeps the side with the oldest coordinator
    /// (the host, the cluster's seed) and downs the rest: a worker that is unreachable for the stable period is downed
    /// and its slots disappear; the host, even alone, stays up (<c>down-if-alone = off</c>).
    /// </summary>
    public static AkkaConfigurationBuilder WithChurnCluster(this AkkaConfigurationBuilder builder, ClusterNode node)
    {
        var remote = new RemoteOptions { HostName = node.Bind, Port = node.Port };
        if (node.Certificate is not null)
        {
            remote.EnableSsl = true;
        }
        var seed = node.Seed is null ? null : $"akka.tcp://{SystemName}@{Normalize(node.Seed)}";
        builder
            .AddHocon(Timings, HoconAddMode.Prepend)
            .WithRemoting(remote)
            .WithClustering(new ClusterOptions
            {
                Roles = [.. node.Roles],
                SeedNodes = seed is null ? [] : [seed],
                SplitBrainResolver = new KeepOldestOption { DownIfAlone = false, Role = WorkerAgentActor.CoordinatorRole },
            });
        if (seed is null)
        {
            // The host is the cluster's seed: it joins itself (its port may be chosen at start, so no fixed seed address).
            builder.WithActors((system, _, _) =>
            {
                var cluster = Akka.Cluster.Cluster.Get(system);
                cluster.Join(cluster.SelfAddress);
            });
        }
        if (node.Certificate is not null)
        {
            var password = Environment.GetEnvironmentVariable(ClusterNode.CertificatePasswordVariable) ?? "";
            builder.AddHocon($$"""
                akka.remote.dot-netty.tcp.ssl {
                  suppress-validation = false
                  certificate { path = "{{node.Certificate.Replace("\\", "\\\\", StringComparison.Ordinal)}}", password = "{{password.Replace("\"", "\\\"", StringComparison.Ordinal)}}", flags = [ "default-flag-set" ] }
                }
                """, HoconAddMode.Prepend);
        }
        return builder;
    }

    /// <summary>The wire serializer bound to every message that crosses nodes.</summary>
    public static AkkaConfigurationBuilder WithWireSerializer(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer(WireSerializer.Name, [typeof(IWireMessage)], system => new WireSerializer(system));

    /// <summary>A worker: its trial node with <paramref name="slots"/> slots and the agent that offers them to the host.</summary>
    public static AkkaConfigurationBuilder WithChurnWorker(this AkkaConfigurationBuilder builder, int slots) =>
        builder.WithTrainingDispatcher().WithWireSerializer().WithActors((system, registry, _) =>
        {
            var name = ClusterNodesActor.NodeName(Akka.Cluster.Cluster.Get(system).SelfAddress);
            var node = system.ActorOf(TrialNodeActor.Props(name, ClusterTrial), "trial-node");
            registry.Register<TrialNodeActor>(node);
            system.ActorOf(WorkerAgentActor.Props(node, slots), "agent");
        });

    /// <summary>A trial on a node that may train several searches at once: its actor name carries the search.</summary>
    public static IActorRef ClusterTrial(IUntypedActorContext context, RunTrial run) =>
        context.ActorOf(TrialActor.Props(run, c => c.ActorOf(TrainerActor.Props(), "trainer")), $"{run.SearchId}-trial-{Numbering.Number(run.Trial.Index)}");

    /// <summary><c>localhost</c> is written as 127.0.0.1: a node's address must be spelled as the seed spells its own.</summary>
    private static string Normalize(string hostPort) =>
        ClusterNode.HostOf(hostPort) == "localhost" ? "127.0.0.1" + hostPort[hostPort.LastIndexOf(':')..] : hostPort;
}
