namespace Churn.Numerics.Data;

/// <summary>
/// xoshiro256** (Blackman, Vigna 2018). A mutable struct on purpose: it lives in one local variable of one
/// pure function and never escapes, so the functions that use it stay pure.
/// </summary>
internal struct Xoshiro256 : IBoundedDraws
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    public Xoshiro256(ulong seed)
    {
        var state = seed;
        _s0 = SeededRandom.Mix(ref state);
        _s1 = SeededRandom.Mix(ref state);
        _s2 = SeededRandom.Mix(ref state);
        _s3 = SeededRandom.Mix(ref state);
    }

    public ulong Next()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, bound) without modulo bias (Lemire 2019, multiply and reject).</summary>
    public int NextBelow(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        var range = (ulong)bound;
        var product = Math.BigMul(Next(), range, out var low);
        if (low < range)
        {
            var threshold = (0 - range) % range;
            while (low < threshold)
            {
                product = Math.BigMul(Next(), range, out low);
            }
        }
        return (int)product;
    }
}
