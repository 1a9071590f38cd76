using Churn.Actors;
using Churn.Actors.Cluster;
using Churn.Actors.Search;

namespace Churn.Tests.Actors;

/// <summary>The one wiring refuses part combinations that cannot work, at start-up, instead of a silent null later.</summary>
public class ChurnPartsTests
{
    private static readonly ClusterNode Node = new("127.0.0.1", 0, null, []);
    private static readonly ClusterHostPart Host = new(1, new NoLogs());
    private static readonly SearchPart Search = new(NoSearchJournal.Instance);

    public static TheoryData<string, ChurnParts> Wrong => new()
    {
        { "no part", new ChurnParts() },
        { "cluster host needs a cluster node", new ChurnParts { Pipeline = new PipelinePart(), Search = Search, ClusterHost = Host } },
        { "cluster host needs searches", new ChurnParts { Pipeline = new PipelinePart(), Node = Node, ClusterHost = Host } },
        { "worker needs a cluster node", new ChurnParts { Worker = new WorkerPart(1) } },
        { "host or a worker, not both", new ChurnParts { Search = Search, Node = Node, ClusterHost = Host, Worker = new WorkerPart(1) } },
        { "must be a cluster host or a worker", new ChurnParts { Pipeline = new PipelinePart(), Node = Node } },
    };

    [Theory]
    [MemberData(nameof(Wrong))]
    public void Wiring_refuses_parts_that_need_a_missing_part(string expected, ChurnParts parts)
    {
        var error = Assert.Throws<InvalidOperationException>(() => parts.Checked());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wiring_accepts_what_each_command_runs()
    {
        ChurnParts[] commands =
        [
            new() { Pipeline = new PipelinePart() },
            new() { Pipeline = new PipelinePart(), Search = Search },
            new() { Search = Search },
            new() { Pipeline = new PipelinePart(), Search = Search, Node = Node, ClusterHost = Host },
            new() { Node = Node, Worker = new WorkerPart(2) },
        ];
        foreach (var parts in commands)
        {
            Assert.Same(parts, parts.Checked());
        }
    }

    private sealed class NoLogs : IClusterLogSink
    {
        public void Write(string node, Churn.Actors.Messages.ClusterProtocol.WireLogLine line)
        {
        }
    }
}
