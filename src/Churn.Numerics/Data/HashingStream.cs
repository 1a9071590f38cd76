using System.Security.Cryptography;

namespace Churn.Numerics.Data;

/// <summary>
/// A read-only pass-through that feeds every byte read into SHA-256, so a file is hashed in the same pass that
/// parses it instead of being read twice. Every read also checks <paramref name="cancel"/> and counts against
/// <paramref name="limits"/> (its byte limit), so no loop over it can outlive a cancelled run or read an endless file to the end.
/// </summary>
internal sealed class HashingStream(Stream inner, DataLimits? limits = null, CancellationToken cancel = default) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _read;

    /// <summary>Reads whatever the consumer left unread, then returns the lowercase hex digest of the whole stream.</summary>
    public string FinishSha256()
    {
        Span<byte> rest = stackalloc byte[8192];
        while (Read(rest) > 0)
        {
        }
        return Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    public override int Read(Span<byte> buffer)
    {
        cancel.ThrowIfCancellationRequested();
        var read = inner.Read(buffer);
        Count(read);
        _hash.AppendData(buffer[..read]);
        return read;
    }

    private void Count(int read)
    {
        _read += read;
        if (limits is not null && _read > limits.MaxBytes)
        {
            throw new DataLimitException(limits.TooManyBytes());
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancel.ThrowIfCancellationRequested();
        var read = await inner.ReadAsync(buffer, cancellationToken);
        Count(read);
        _hash.AppendData(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
