using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Hosting;
using Churn.Actors.Cluster;
using Churn.Actors.Messages;
using Churn.Host.Logging;
using Churn.Numerics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Churn.Host.Api;

/// <summary><c>GET /cluster</c>: the members, their roles and status, and each trial node's slots and trials.</summary>
internal sealed class ClusterApi(IServiceProvider services)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    public void Map(WebApplication app) => app.MapGet("/cluster", GetAsync);

    private async Task<IResult> GetAsync(CancellationToken cancel)
    {
        var registry = services.GetRequiredService<ActorRegistry>();
        if (!registry.TryGet<ClusterNodesActor>(out var nodes))
        {
            return ApiProblem.Of(StatusCodes.Status404NotFound, "not a cluster node", "this host coordinates no cluster: start it with --cluster-port N");
        }
        try
        {
            var view = await nodes.Ask<ClusterProtocol.ClusterView>(sender => new ClusterProtocol.GetCluster(sender), AskTimeout, cancel);
            return Results.Json(view, JsonFormat.Options);
        }
        catch (AskTimeoutException)
        {
            return ApiProblem.Of(StatusCodes.Status503ServiceUnavailable, "cluster busy", "the cluster view did not answer in time");
        }
    }
}

/// <summary>Log lines that came from workers, written to the host's own JSON-lines files with the worker's address in their source.</summary>
internal sealed partial class NodeLogSink(JsonLinesLoggerProvider files, string scheme) : IClusterLogSink
{
    public void Write(string node, ClusterProtocol.WireLogLine line)
    {
        var source = LocalRoot().Replace(line.Source, $"{scheme}://{node}", 1);
        files.Write(new LogEntry(line.Timestamp.ToUniversalTime(), line.Level, source, line.RunId, line.Stage, line.Message, null, LogEntry.NodeOf(source), line.Trial));
    }

    [GeneratedRegex(@"^akka://[^/]+")]
    private static partial Regex LocalRoot();
}
