using System.Collections.Immutable;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Churn.Actors.Messages;
using Churn.Numerics;

namespace Churn.Actors.Cluster;

/// <summary>
/// How a node takes part in the cluster. <paramref name="Bind"/> and <paramref name="Port"/> are where its cluster
/// port listens (port 0: any free one); <paramref name="Seed"/> is the coordinating host's <c>HOST:PORT</c> (none for
/// the host itself, which is the seed). <paramref name="Certificate"/> (a PKCS#12 file) turns on mutual TLS for the
/// cluster port, which is what binding beyond loopback requires.
/// </summary>
public sealed record ClusterNode(string Bind, int Port, string? Seed, ImmutableArray<string> Roles, string? Certificate = null)
{
    /// <summary>The certificate read from <see cref="Certificate"/> by <see cref="Check"/>; null without TLS.</summary>
    public X509Certificate2? Tls { get; private init; }

    /// <summary>
    /// Refuses a node that would listen on, or join, an address beyond loopback without TLS: the cluster port takes
    /// orders to train and carries the customers' data, so it must not be open to the network in the clear. Reads the
    /// certificate (password from <see cref="CertificatePasswordVariable"/>), which must hold its private key: with
    /// mutual TLS every node proves it holds the cluster's key, in both directions.
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
        if (Certificate is null)
        {
            return Result.Ok(this);
        }
        if (!File.Exists(Certificate))
        {
            return Result.Fail<ClusterNode>("no such certificate file", Certificate, column: "host.clusterCertificate");
        }
        X509Certificate2 tls;
        try
        {
            tls = X509CertificateLoader.LoadPkcs12FromFile(Certificate, Environment.GetEnvironmentVariable(CertificatePasswordVariable));
        }
        catch (CryptographicException e)
        {
            return Result.Fail<ClusterNode>(
                $"cannot read the cluster certificate (a PKCS#12 file; its password in {CertificatePasswordVariable}): {e.Message}", Certificate, column: "host.clusterCertificate");
        }
        if (!tls.HasPrivateKey)
        {
            tls.Dispose();
            return Result.Fail<ClusterNode>("the cluster certificate holds no private key: every node needs the key to prove it belongs", Certificate, column: "host.clusterCertificate");
        }
        return Result.Ok(this with { Tls = tls });
    }

    /// <summary>
    /// Whether a peer may take part: it must present the cluster's own certificate (the same SHA-256 digest as this
    /// node's). Pinning the one certificate rather than trusting a certificate authority keeps anyone else who holds a
    /// certificate from that authority out; a self-signed certificate is enough.
    /// </summary>
    public static bool SameCertificate(X509Certificate2 own, X509Certificate? peer) =>
        peer is not null && CryptographicOperations.FixedTimeEquals(own.GetCertHash(HashAlgorithmName.SHA256), peer.GetCertHash(HashAlgorithmName.SHA256));

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

/// <summary>Cluster membership and the wire serializer, for the one wiring of the actors: the host and the workers share them.</summary>
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
    internal static AkkaConfigurationBuilder WithClusterMembership(this AkkaConfigurationBuilder builder, ClusterNode node)
    {
        var remote = new RemoteOptions { HostName = node.Bind, Port = node.Port };
        if (node.Tls is { } own)
        {
            remote.EnableSsl = true;
            remote.Ssl = new SslOptions
            {
                X509Certificate = own,
                SuppressValidation = false,
                RequireMutualAuthentication = true,
                // Nodes are reached by IP address and share one certificate: the pin below is the check, not the name.
                ValidateCertificateHostname = false,
                CustomValidator = (peer, _, remotePeer, _, log) =>
                {
                    if (ClusterNode.SameCertificate(own, peer))
                    {
                        return true;
                    }
                    log.Warning("cluster: refused {0}: it did not present the cluster certificate ({1})", remotePeer, peer?.Subject ?? "no certificate");
                    return false;
                },
            };
        }
        var seed = node.Seed is null ? null : $"{Scheme(node)}://{SystemName}@{Normalize(node.Seed)}";
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
        return builder;
    }

    /// <summary>The wire serializer bound to every message that crosses nodes.</summary>
    public static AkkaConfigurationBuilder WithWireSerializer(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer(WireSerializer.Name, [typeof(IWireMessage)], system => new WireSerializer(system));

    /// <summary>The address scheme of a node's cluster port: Akka.Remote names TLS addresses <c>akka.ssl.tcp</c>.</summary>
    public static string Scheme(ClusterNode node) => node.Tls is null ? "akka.tcp" : "akka.ssl.tcp";

    /// <summary><c>localhost</c> is written as 127.0.0.1: a node's address must be spelled as the seed spells its own.</summary>
    private static string Normalize(string hostPort) =>
        ClusterNode.HostOf(hostPort) == "localhost" ? "127.0.0.1" + hostPort[hostPort.LastIndexOf(':')..] : hostPort;
}
