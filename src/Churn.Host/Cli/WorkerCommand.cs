using System.CommandLine;
using System.Globalization;
using Akka.Actor;
using Churn.Actors;
using Churn.Actors.Cluster;
using Churn.Host.Configuration;
using Churn.Numerics;
using Microsoft.Extensions.DependencyInjection;

namespace Churn.Host.Cli;

/// <summary>
/// <c>churn worker --join HOST:PORT</c>: a cluster node with the <c>trainer</c> role that offers its trial slots to the
/// coordinating host and trains the trials the host's searches place on it. It runs until Ctrl-C or SIGTERM (then it
/// leaves the cluster and exits 0). If it is downed or the host goes away, it joins again as soon as the host is back.
/// </summary>
public static class WorkerCommand
{
    private static readonly TimeSpan RejoinDelay = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(ParseResult parse)
    {
        var join = parse.GetRequiredValue(ChurnCommandLine.Join);
        var colon = join.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(join[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var seedPort) || seedPort is < 1 or > 65535)
        {
            return ChurnCommandLine.Usage($"--join takes HOST:PORT, such as 127.0.0.1:4053, not '{join}'", "worker");
        }

        var configured = ChurnConfig.Load(parse.GetValue(ChurnCommandLine.Config));
        if (configured is Result<ChurnConfig>.Error configError)
        {
            return ChurnCli.Fail(configError.Problem);
        }

        var config = configured.Unwrap();
        var bind = parse.Given(ChurnCommandLine.ClusterBind) ? parse.GetRequiredValue(ChurnCommandLine.ClusterBind) : config.Host.ClusterBind;
        var node = new ClusterNode(bind, parse.GetValue(ChurnCommandLine.WorkerPort), join, [WorkerAgentActor.TrainerRole], config.Host.ClusterCertificate).Check();
        if (node is Result<ClusterNode>.Error nodeError)
        {
            return ChurnCli.Fail(nodeError.Problem);
        }

        var offered = parse.GetValue(ChurnCommandLine.Slots);
        var verbose = parse.GetValue(ChurnCommandLine.Verbose);
        using var cancel = new CancellationTokenSource();
        using var signals = new CancelSignals("churn worker: leaving the cluster…", cancel.Cancel);
        while (true)
        {
            // The lines of runs and searches go to the host (which writes them to its logs); this node's files keep the rest.
            using var host = ChurnHostBuilder.Embedded(config, verbose, new ChurnParts { Node = node.Unwrap(), Worker = new WorkerPart(offered) }, entry => entry.RunId is null);
            try
            {
                await host.StartAsync(CancellationToken.None);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or Akka.Remote.RemoteTransportException)
            {
                return ChurnCli.Fail(new Problem($"cannot listen on the cluster port: {ex.Message}"));
            }

            var system = host.Services.GetRequiredService<ActorSystem>();
            var cluster = Akka.Cluster.Cluster.Get(system);
            var self = ClusterNodesActor.NodeName(cluster.SelfAddress);
            StandardOutput.Writer.WriteLine($"churn worker: node {self} joining {join} with {offered} trial slot(s)");
            cluster.RegisterOnMemberUp(() => StandardOutput.Writer.WriteLine($"churn worker: node {self} is up"));
            var ended = await Task.WhenAny(system.WhenTerminated, Task.Delay(Timeout.Infinite, cancel.Token).ContinueWith(_ => { }, TaskScheduler.Default));
            if (cancel.IsCancellationRequested)
            {
                using var leaving = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await cluster.LeaveAsync(leaving.Token);
                }
                catch (OperationCanceledException)
                {
                    // The host is gone or slow: stop anyway, the split-brain resolver downs this node.
                }
                await host.StopAsync(CancellationToken.None);
                StandardOutput.Writer.WriteLine("churn worker: stopped");
                return 0;
            }

            StandardOutput.Writer.WriteLine($"churn worker: node {self} left the cluster (downed, or the host is gone); joining again");
            await host.StopAsync(CancellationToken.None);
            try
            {
                await Task.Delay(RejoinDelay, cancel.Token);
            }
            catch (OperationCanceledException)
            {
                return 0;
            }
        }
    }
}
