using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Churn.Actors.Cluster;
using Churn.Actors.Messages;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using Churn.Numerics.Search;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Actors;

/// <summary>Every message that crosses nodes, through the serializer the actor system binds to it and back.</summary>
public class WireTests(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(output: output)
{
    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) => builder.WithWireSerializer();

    private static readonly TrialSpec Spec = new(7, 3, 1, -42L, new ModelConfig(Depth: 2, Width: 64, Activation: Activation.Tanh, LearningRate: 0.00123, Dropout: 0.1, ShuffleEachEpoch: true));

    private static Splits SampleSplits()
    {
        Dataset Set(int rows, int offset) => new(
            [.. Enumerable.Range(offset, rows).Select(i => (long)i * 1_000_003)],
            Matrix<double>.Build.Dense(rows, Schema.FeatureCount, (r, c) => Math.Sqrt(r + 1) * (c - 4.5) / 3.0 + (r * 1e-17)),
            [.. Enumerable.Range(0, rows).Select(i => i % 2)]);
        return new Splits(Set(9, 0), Set(3, 100), Set(2, 200));
    }

    /// <summary>One of each wire message, with awkward values (negative seeds, NaN losses, non-ASCII text).</summary>
    private IEnumerable<IWireMessage> Samples()
    {
        var splits = SampleSplits();
        yield return new NodeProtocol.SupplySplits("search-1", SplitsCodec.Digest(splits), splits);
        yield return new NodeProtocol.StartTrial("search-1", Spec, "ab12", DeviceChoice.Cpu, [6, 18, 54], 1, TestActor, [0.6, 3.1], 0.1588);
        yield return new NodeProtocol.TrialCommand("search-1", 7, NodeProtocol.TrialOrder.Kill);
        yield return new TrialProtocol.EpochDone(7, new EpochMetrics(3, 0.1 + 0.2, 0.8125, double.NaN, 1.0 / 3, 0.2345678901234567));
        yield return new TrialProtocol.Held(7, 6);
        yield return new TrialProtocol.Completed(7, TimeSpan.FromTicks(123_456_789), TimeSpan.FromTicks(98_765));
        yield return new TrialProtocol.Failed(7, "loss became NaN — «diverged»", TimeSpan.FromMilliseconds(1.5), TimeSpan.Zero);
        yield return new TrialProtocol.Stopped(7, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1));
        yield return new ClusterProtocol.RegisterTrainer("churn@127.0.0.1:4055", 3, TestActor);
        yield return new ClusterProtocol.LogLines("churn@127.0.0.1:4055",
            [new ClusterProtocol.WireLogLine(new DateTimeOffset(2026, 12, 1, 7, 0, 0, 123, TimeSpan.Zero), "Warning", "akka://churn/user/trial-node/x", "run=s/trial-1 stage=train ü")]);
    }

    /// <summary>Compared as their JSON (records holding arrays compare those by reference) plus the splits' values.</summary>
    private static string Shape(object message) => message switch
    {
        NodeProtocol.SupplySplits s => $"{s.SearchId} {s.Digest} {Convert.ToHexString(SplitsCodec.Encode(s.Splits))}",
        _ => JsonSerializer.Serialize(message, message.GetType(), ShapeJson),
    };

    private static readonly JsonSerializerOptions ShapeJson = new(JsonFormat.Options) { Converters = { new PathConverter() } };

    [Fact]
    public void Every_wire_message_goes_through_the_bound_serializer_and_comes_back_the_same()
    {
        var serialization = Sys.Serialization;
        foreach (var message in Samples())
        {
            var serializer = serialization.FindSerializerFor(message);
            Assert.IsType<WireSerializer>(serializer);
            var manifest = ((Akka.Serialization.SerializerWithStringManifest)serializer).Manifest(message);
            Assert.Matches(@"^[a-z-]+\.v[0-9]+$", manifest);
            Assert.Contains(manifest, WireSerializer.Manifests);
            var back = serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
            Assert.IsType(message.GetType(), back);
            Assert.Equal(Shape(message), Shape(back));
        }
    }

    [Fact]
    public void Every_wire_message_type_has_a_sample_here()
    {
        var types = typeof(IWireMessage).Assembly.GetTypes().Where(t => typeof(IWireMessage).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false });
        Assert.Equal(types.Select(t => t.FullName).Order(), Samples().Select(m => m.GetType().FullName).Order());
        Assert.Equal(WireSerializer.Manifests.Length, Samples().Count());
    }

    [Fact]
    public void Actor_references_resolve_to_the_same_actor()
    {
        var message = new NodeProtocol.StartTrial("s", Spec, "d", DeviceChoice.Cpu, [], 1, TestActor, [], null);
        var serializer = Sys.Serialization.FindSerializerFor(message);
        var back = (NodeProtocol.StartTrial)Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, "start-trial.v2");
        back.Coordinator.Tell("ping");
        ExpectMsg("ping");
    }

    [Fact]
    public void An_unknown_manifest_or_a_malformed_payload_is_refused_by_name()
    {
        var serializer = Sys.Serialization.FindSerializerFor(new TrialProtocol.Held(1, 2));
        var unknown = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => Sys.Serialization.Deserialize([1, 2], serializer.Identifier, "System.Diagnostics.Process, System"));
        Assert.Contains("unknown wire message", unknown.Message);
        var malformed = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => Sys.Serialization.Deserialize("{\"trial\": \"x\"}"u8.ToArray(), serializer.Identifier, "held.v1"));
        Assert.Contains("held.v1", malformed.Message);
        Assert.ThrowsAny<Exception>(() => Sys.Serialization.Deserialize([0, 0, 0], serializer.Identifier, "supply-splits.v1"));
    }

    [Theory]
    // Version 1 had no population rate in a trial's start and no calibrated loss in an epoch: a node of that version
    // would rank trials differently, so its messages are refused by name rather than read with the figure missing.
    [InlineData("start-trial.v1")]
    [InlineData("epoch-done.v1")]
    public void Messages_of_an_older_version_are_refused_naming_the_versions_this_node_speaks(string manifest)
    {
        var serializer = Sys.Serialization.FindSerializerFor(new TrialProtocol.Held(1, 2));
        var old = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => Sys.Serialization.Deserialize("{}"u8.ToArray(), serializer.Identifier, manifest));
        Assert.Contains(manifest, old.Message);
        Assert.Contains(manifest.Replace(".v1", ".v2", StringComparison.Ordinal), old.Message);
    }

    [Fact]
    public void Splits_are_named_by_the_sha256_of_their_encoding_and_change_name_with_any_value()
    {
        var splits = SampleSplits();
        var digest = SplitsCodec.Digest(splits);
        Assert.Matches("^[0-9a-f]{64}$", digest);
        Assert.Equal(digest, SplitsCodec.Digest(SplitsCodec.Decode(SplitsCodec.Encode(splits))));
        var changed = splits with { Test = splits.Test with { Targets = [1, 1] } };
        Assert.NotEqual(digest, SplitsCodec.Digest(changed));
    }

    [Fact]
    public void A_node_refuses_splits_whose_digest_does_not_match_and_fails_the_trials_that_need_them()
    {
        var node = Sys.ActorOf(TrialNodeActor.Props("test-node", (_, _) => throw new InvalidOperationException("no trial may start")));
        var splits = SampleSplits();
        var claimed = new string('0', 64);
        node.Tell(new NodeProtocol.SupplySplits("s", claimed, splits));
        node.Tell(new NodeProtocol.StartTrial("s", Spec, claimed, DeviceChoice.Cpu, [], 1, TestActor, [], null));

        var failed = ExpectMsg<TrialProtocol.Failed>(TimeSpan.FromSeconds(5));
        Assert.Equal(Spec.Index, failed.Trial);
        Assert.Contains("holds no splits", failed.Reason);
    }

    [Fact]
    public void A_node_keeps_each_preparations_splits_by_digest_and_starts_each_trial_on_the_splits_it_names()
    {
        var node = Sys.ActorOf(TrialNodeActor.Props("test-node", (context, run) =>
        {
            TestActor.Tell(run);
            return context.ActorOf(Props.Create<Akka.TestKit.TestActors.BlackHoleActor>());
        }));
        var balanced = SampleSplits();
        var natural = balanced with { Train = balanced.Validation, Validation = balanced.Train };
        var (first, second) = (SplitsCodec.Digest(balanced), SplitsCodec.Digest(natural));
        Assert.NotEqual(first, second);
        node.Tell(new NodeProtocol.SupplySplits("s", first, balanced));
        node.Tell(new NodeProtocol.SupplySplits("s", second, natural));

        // Threads 0: leave torch's thread count alone (no native library to load in a test of routing).
        node.Tell(new NodeProtocol.StartTrial("s", Spec with { Index = 1, Data = new DataChoice(BalanceStrategy.None, []) }, second, DeviceChoice.Cpu, [], 0, TestActor, [], 0.16));
        node.Tell(new NodeProtocol.StartTrial("s", Spec with { Index = 2 }, first, DeviceChoice.Cpu, [], 0, TestActor, [0.6, 3.1], 0.16));

        var one = ExpectMsg<RunTrial>(TimeSpan.FromSeconds(5));
        var two = ExpectMsg<RunTrial>(TimeSpan.FromSeconds(5));
        Assert.Equal((1, second), (one.Trial.Index, SplitsCodec.Digest(one.Splits)));
        Assert.Equal((2, first), (two.Trial.Index, SplitsCodec.Digest(two.Splits)));
        Assert.Equal(0.16, one.PopulationRate);
        Assert.Equal(BalanceStrategy.None, one.Trial.Data!.Balance);
        Assert.Equal([0.6, 3.1], two.ClassWeights);
    }

    /// <summary>Writes an actor reference as its path so two references to one actor compare equal.</summary>
    private sealed class PathConverter : System.Text.Json.Serialization.JsonConverter<IActorRef>
    {
        public override bool CanConvert(Type typeToConvert) => typeof(IActorRef).IsAssignableFrom(typeToConvert);

        public override IActorRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => throw new NotSupportedException();

        public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) => writer.WriteStringValue(value.Path.ToStringWithoutAddress());
    }
}
