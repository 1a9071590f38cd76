namespace Churn.Numerics.Data;

/// <summary>
/// How much a loader may take from one file: rows and bytes, checked against headers and entry sizes before anything
/// is allocated, and counted while reading, so a huge, endless or deceptive file (a compressed <c>.npz</c> whose
/// header promises millions of rows) fails with a clear reason instead of exhausting memory.
/// </summary>
/// <param name="MaxRows">Rows one customer file may hold.</param>
/// <param name="MaxBytes">Bytes one file may hold.</param>
/// <param name="MaxBackgroundRows">Rows an explanation's background may hold: each costs every explained customer
/// about 140 more network evaluations, so a larger one is refused rather than attempted.</param>
/// <param name="ScoringMaxBytes">Bytes one file scored (predict, target, drift, explain) may hold. Scoring streams its
/// input a chunk at a time, so its memory does not grow with the file: it has no row limit, and this byte limit of its
/// own, apart from training's, for a file that is endless or far larger than any customer base.</param>
public sealed record DataLimits(long MaxRows = 1_000_000, long MaxBytes = 256L << 20, int MaxBackgroundRows = 1_000, long ScoringMaxBytes = 64L << 30)
{
    public static readonly DataLimits Default = new();

    /// <summary>The setting <see cref="MaxBytes"/> is read from, which the refusal names.</summary>
    public string BytesSetting { get; init; } = "limits.maxBytes";

    /// <summary>The limits a streamed scoring reads under: no row limit, <see cref="ScoringMaxBytes"/> as the byte limit.</summary>
    public DataLimits ForScoring() => this with { MaxRows = long.MaxValue, MaxBytes = ScoringMaxBytes, BytesSetting = "limits.scoringMaxBytes" };

    /// <summary>The refusal for a file with more than <see cref="MaxRows"/> rows.</summary>
    public string TooManyRows(long? rows = null) =>
        $"holds {(rows is { } n ? $"{n} rows," : "")} more than the limit of {MaxRows} rows (limits.maxRows)";

    /// <summary>What a loader can hold at most: the limit, and never more than one array can index.</summary>
    public long RowCap => Math.Min(MaxRows, int.MaxValue / Schema.FeatureCount);

    /// <summary>The refusal for a background of more than <see cref="MaxBackgroundRows"/> rows.</summary>
    public string TooManyBackgroundRows(long rows) =>
        $"a background of {rows} rows is more than the limit of {MaxBackgroundRows} rows (limits.maxBackgroundRows): each background row costs every customer explained about 140 network evaluations";

    /// <summary>The refusal for a file larger than <see cref="MaxBytes"/>.</summary>
    public string TooManyBytes(long? bytes = null) =>
        $"is larger than the limit of {MaxBytes} bytes{(bytes is { } b ? $" ({b} bytes)" : "")} ({BytesSetting})";
}

/// <summary>A read went past <see cref="DataLimits.MaxBytes"/>; the loader turns it into a problem naming the file.</summary>
internal sealed class DataLimitException(string message) : IOException(message);
