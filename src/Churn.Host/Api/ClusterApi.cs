using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Hosting;
using Churn.Actors.Cluster;
using Churn.Actors.Messages;
using Churn.Host.Logging;
using Churn.Numerics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Churn.Host.Api;

/// <summary>
/// <c>GET /cluster</c>: the members, their roles and status, and each trial node's slots and trials. <paramref name="nodes"/>
/// is null on a host started without a cluster port.
/// </summary>
internal sealed class ClusterApi(IRequiredActor<ClusterNodesActor>? nodes)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    public void Map(WebApplication app) => app.MapGet("/cluster", GetAsync);

    private async Task<IResult> GetAsync(CancellationToken cancel)
    {
        if (nodes is null)
        {
            return ApiProblem.Of(StatusCodes.Status404NotFound, "not a cluster node", "this host coordinates no cluster: start it with --cluster-port N");
        }
        try
        {
            var actor = await nodes.GetAsync(cancel);
            var view = await actor.Ask<ClusterProtocol.ClusterView>(sender => new ClusterProtocol.GetCluster(sender), AskTimeout, cancel);
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
