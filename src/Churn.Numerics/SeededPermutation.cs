namespace Churn.Numerics;

/// <summary>
/// Deterministic shuffles from a seed, independent of .NET's and torch's random generators, so the same seed gives the
/// same order on every platform and no other code's use of a shared generator can change it.
/// </summary>
internal static class SeededPermutation
{
    /// <summary>A permutation of 0..<paramref name="count"/>-1 (Fisher–Yates driven by SplitMix64).</summary>
    public static int[] Of(int count, ulong seed)
    {
        var order = new int[count];
        for (var i = 0; i < count; i++)
        {
            order[i] = i;
        }
        var state = seed;
        for (var i = count - 1; i > 0; i--)
        {
            // Lemire's multiply-shift maps 64 random bits onto 0..i with negligible bias for these sizes.
            var j = (int)(((UInt128)Next(ref state) * (ulong)(i + 1)) >> 64);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>One seed from several, e.g. (run seed, epoch) or (seed, feature, repeat), with no structure left between them.</summary>
    public static ulong Mix(ulong seed, params ReadOnlySpan<long> parts)
    {
        var state = seed;
        var mixed = Next(ref state);
        foreach (var part in parts)
        {
            state = mixed ^ (ulong)part;
            mixed = Next(ref state);
        }
        return mixed;
    }

    private static ulong Next(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
