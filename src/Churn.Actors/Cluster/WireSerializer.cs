using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Churn.Actors.Messages;
using Churn.Numerics;
using Churn.Numerics.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Actors.Cluster;

/// <summary>
/// The serializer bound to <see cref="IWireMessage"/>: every message that crosses nodes has a fixed manifest with its
/// version (<c>start-trial.v1</c>), and the manifest alone picks what is built, from a closed list. Messages are written
/// as JSON in the product's one JSON style (actor references as their serialized paths); the splits as the compact
/// binary of <see cref="SplitsCodec"/>. An unknown manifest or a malformed payload is refused with a clear error.
/// </summary>
public sealed class WireSerializer : SerializerWithStringManifest
{
    /// <summary>This serializer's id in the actor system's serialization settings (ids below 100 are Akka's own).</summary>
    public const int Id = 1313;

    /// <summary>The name it is registered under.</summary>
    public const string Name = "churn-wire";

    private const string SupplySplits = "supply-splits.v1";
    private const string StartTrial = "start-trial.v2";
    private const string TrialCommand = "trial-command.v1";
    private const string EpochDone = "epoch-done.v2";
    private const string Held = "held.v1";
    private const string Completed = "completed.v1";
    private const string Failed = "failed.v1";
    private const string Stopped = "stopped.v1";
    private const string RegisterTrainer = "register-trainer.v1";
    private const string LogLines = "log-lines.v1";

    private readonly JsonSerializerOptions _json;

    public WireSerializer(ExtendedActorSystem system)
        : base(system)
    {
        _json = new JsonSerializerOptions(JsonFormat.Options) { WriteIndented = false };
        _json.Converters.Add(new ActorRefConverter(system));
    }

    public override int Identifier => Id;

    public override string Manifest(object o) => o switch
    {
        NodeProtocol.SupplySplits => SupplySplits,
        NodeProtocol.StartTrial => StartTrial,
        NodeProtocol.TrialCommand => TrialCommand,
        TrialProtocol.EpochDone => EpochDone,
        TrialProtocol.Held => Held,
        TrialProtocol.Completed => Completed,
        TrialProtocol.Failed => Failed,
        TrialProtocol.Stopped => Stopped,
        ClusterProtocol.RegisterTrainer => RegisterTrainer,
        ClusterProtocol.LogLines => LogLines,
        _ => throw new ArgumentException($"{o.GetType().Name} is not a wire message of this version", nameof(o)),
    };

    public override byte[] ToBinary(object obj) => obj switch
    {
        NodeProtocol.SupplySplits s => SplitsCodec.Frame(s.SearchId, s.Digest, SplitsCodec.Encode(s.Splits)),
        _ => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), _json),
    };

    public override object FromBinary(byte[] bytes, string manifest)
    {
        try
        {
            return manifest switch
            {
                SupplySplits => SplitsCodec.Unframe(bytes),
                StartTrial => Json<NodeProtocol.StartTrial>(bytes),
                TrialCommand => Json<NodeProtocol.TrialCommand>(bytes),
                EpochDone => Json<TrialProtocol.EpochDone>(bytes),
                Held => Json<TrialProtocol.Held>(bytes),
                Completed => Json<TrialProtocol.Completed>(bytes),
                Failed => Json<TrialProtocol.Failed>(bytes),
                Stopped => Json<TrialProtocol.Stopped>(bytes),
                RegisterTrainer => Json<ClusterProtocol.RegisterTrainer>(bytes),
                LogLines => Json<ClusterProtocol.LogLines>(bytes),
                _ => throw new System.Runtime.Serialization.SerializationException($"unknown wire message '{manifest}': this node speaks {string.Join(", ", Manifests)}"),
            };
        }
        catch (Exception ex) when (ex is JsonException or EndOfStreamException or InvalidDataException or ArgumentException)
        {
            throw new System.Runtime.Serialization.SerializationException($"malformed wire message '{manifest}': {ex.Message}", ex);
        }
    }

    /// <summary>Every manifest this version reads and writes.</summary>
    public static ImmutableArray<string> Manifests { get; } =
        [SupplySplits, StartTrial, TrialCommand, EpochDone, Held, Completed, Failed, Stopped, RegisterTrainer, LogLines];

    private T Json<T>(byte[] bytes) =>
        JsonSerializer.Deserialize<T>(bytes, _json) ?? throw new InvalidDataException("empty payload");

    /// <summary>An actor reference as its full serialized path, resolved against this node's actor system on the way in.</summary>
    private sealed class ActorRefConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
    {
        public override bool CanConvert(Type typeToConvert) => typeof(IActorRef).IsAssignableFrom(typeToConvert);

        public override IActorRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetString() is { Length: > 0 } path ? system.Provider.ResolveActorRef(path) : ActorRefs.Nobody;

        public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Akka.Serialization.Serialization.SerializedActorPath(value));
    }
}

/// <summary>
/// The prepared splits as bytes: for train, validation and test, the row and column counts, the customer IDs, the
/// inputs row by row (float64) and the targets. Their SHA-256 names them on the wire, so a node can check what arrived.
/// </summary>
public static class SplitsCodec
{
    /// <summary>The largest splits the cluster carries (the frame size the cluster is configured with leaves room for them).</summary>
    public const int MaxBytes = 12 * 1024 * 1024;

    private const int Magic = 0x43485350; // "CHSP"
    private const int Version = 1;

    public static byte[] Encode(Splits splits)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(Version);
            foreach (var d in new[] { splits.Train, splits.Validation, splits.Test })
            {
                writer.Write(d.Rows);
                writer.Write(d.Inputs.ColumnCount);
                writer.Write(d.Ids.IsDefault ? 0 : d.Ids.Length);
                foreach (var id in d.Ids.IsDefault ? [] : d.Ids)
                {
                    writer.Write(id);
                }
                for (var r = 0; r < d.Rows; r++)
                {
                    for (var c = 0; c < d.Inputs.ColumnCount; c++)
                    {
                        writer.Write(d.Inputs[r, c]);
                    }
                }
                writer.Write(d.Targets.IsDefault ? 0 : d.Targets.Length);
                foreach (var t in d.Targets.IsDefault ? [] : d.Targets)
                {
                    writer.Write(t);
                }
            }
        }
        return stream.ToArray();
    }

    public static Splits Decode(byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
        if (reader.ReadInt32() != Magic || reader.ReadInt32() != Version)
        {
            throw new InvalidDataException("not splits of version 1");
        }
        var sets = new Dataset[3];
        for (var i = 0; i < 3; i++)
        {
            var rows = reader.ReadInt32();
            var columns = reader.ReadInt32();
            var idCount = reader.ReadInt32();
            if (rows < 0 || columns is < 0 or > 1024 || idCount < 0 || (long)rows * columns * 8 > bytes.Length)
            {
                throw new InvalidDataException($"impossible split shape {rows} x {columns}");
            }
            var ids = ImmutableArray.CreateBuilder<long>(idCount);
            for (var k = 0; k < idCount; k++)
            {
                ids.Add(reader.ReadInt64());
            }
            var values = new double[rows * columns];
            for (var k = 0; k < values.Length; k++)
            {
                values[k] = reader.ReadDouble();
            }
            var targetCount = reader.ReadInt32();
            if (targetCount < 0 || targetCount > rows)
            {
                throw new InvalidDataException($"impossible target count {targetCount} for {rows} rows");
            }
            var targets = ImmutableArray.CreateBuilder<int>(targetCount);
            for (var k = 0; k < targetCount; k++)
            {
                targets.Add(reader.ReadInt32());
            }
            // DenseOfRowMajor copies the values into the matrix's own storage.
            sets[i] = new Dataset(ids.MoveToImmutable(), Matrix<double>.Build.DenseOfRowMajor(rows, columns, values), targets.MoveToImmutable());
        }
        return new Splits(sets[0], sets[1], sets[2]);
    }

    /// <summary>The SHA-256 of the splits' encoding, lower-case hex: the name they travel under.</summary>
    public static string Digest(byte[] encoded) => Convert.ToHexStringLower(SHA256.HashData(encoded));

    public static string Digest(Splits splits) => Digest(Encode(splits));

    internal static byte[] Frame(string searchId, string digest, byte[] encoded)
    {
        if (encoded.Length > MaxBytes)
        {
            throw new ArgumentException($"the splits take {encoded.Length} bytes; the cluster carries at most {MaxBytes}");
        }
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(searchId);
            writer.Write(digest);
            writer.Write(encoded.Length);
            writer.Write(encoded);
        }
        return stream.ToArray();
    }

    /// <summary>The message as sent: its digest is the one claimed, checked by the node that receives it (it may not match).</summary>
    internal static NodeProtocol.SupplySplits Unframe(byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
        var searchId = reader.ReadString();
        var digest = reader.ReadString();
        var length = reader.ReadInt32();
        if (length < 0 || length > MaxBytes)
        {
            throw new InvalidDataException($"splits of {length} bytes");
        }
        return new NodeProtocol.SupplySplits(searchId, digest, Decode(reader.ReadBytes(length)));
    }
}
