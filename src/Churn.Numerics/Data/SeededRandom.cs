using System.Collections.Immutable;

namespace Churn.Numerics.Data;

/// <summary>
/// Deterministic randomness for the core: xoshiro256** seeded through SplitMix64. System.Random is avoided
/// because its seeded sequence is not a documented contract and may change between .NET versions; these
/// algorithms are published, so a seed means the same rows on every machine and every runtime.
/// </summary>
public static class SeededRandom
{
    /// <summary>Stream constants: each stage draws from its own stream so changing one stage never shifts another.</summary>
    public const ulong BalanceStream = 0xBA1A_4CE0_0000_0001;

    /// <inheritdoc cref="BalanceStream"/>
    public const ulong SplitStream = 0x5B11_7000_0000_0002;

    /// <inheritdoc cref="BalanceStream"/>
    public const ulong SyntheticStream = 0x5E7D_A7A0_0000_0003;

    /// <inheritdoc cref="BalanceStream"/>
    public const ulong BackgroundStream = 0xBAC6_0000_0000_0004;

    /// <inheritdoc cref="BalanceStream"/>
    public const ulong ExplainStream = 0xE8A1_A140_0000_0005;

    /// <inheritdoc cref="BalanceStream"/>
    public const ulong BootstrapStream = 0xB007_5700_0000_0006;

    /// <summary>
    /// How many times each of 0..n-1 is drawn in <paramref name="n"/> draws with replacement: one bootstrap resample
    /// as weights, so that a weighted metric of the original rows is the metric of the resample.
    /// </summary>
    public static double[] ResampleCounts(int n, ulong seed)
    {
        var counts = new double[n];
        var generator = new Xoshiro256(seed);
        for (var i = 0; i < n; i++)
        {
            counts[generator.NextBelow(n)]++;
        }
        return counts;
    }

    /// <summary><paramref name="count"/> indices drawn uniformly with replacement from 0..population-1, in draw order.</summary>
    public static int[] DrawWithReplacement(int population, int count, ulong seed)
    {
        var draws = new int[count];
        var generator = new Xoshiro256(seed);
        for (var i = 0; i < count; i++)
        {
            draws[i] = generator.NextBelow(population);
        }
        return draws;
    }

    /// <summary>A seed for a sub-stream of <paramref name="seed"/>, independent of the seed itself and of other streams.</summary>
    public static ulong Derive(ulong seed, ulong stream)
    {
        var state = seed ^ Mix(stream);
        return Mix(ref state);
    }

    /// <summary>A uniformly random permutation of 0..n-1 (Fisher–Yates).</summary>
    public static ImmutableArray<int> Permutation(int n, ulong seed) =>
        ImmutableArray.Create(PermutationArray(n, seed));

    /// <summary>
    /// <paramref name="count"/> distinct indices out of 0..population-1, in increasing order, so that selected rows
    /// keep their file order. All of them when <paramref name="count"/> is at least <paramref name="population"/>.
    /// </summary>
    public static ImmutableArray<int> SampleWithoutReplacement(int population, int count, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(population);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count >= population)
        {
            return [.. Enumerable.Range(0, population)];
        }
        // A partial Fisher–Yates over the whole index range costs O(population) memory but is exact and linear;
        // populations here are row counts, which are already held in memory many times over.
        var indices = new int[population];
        for (var i = 0; i < population; i++)
        {
            indices[i] = i;
        }
        var generator = new Xoshiro256(seed);
        for (var i = 0; i < count; i++)
        {
            var j = i + generator.NextBelow(population - i);
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }
        Array.Sort(indices, 0, count);
        return ImmutableArray.Create(indices, 0, count);
    }

    /// <summary>A permutation as a fresh array the caller owns (the core's internal use: no extra copy).</summary>
    internal static int[] PermutationArray(int n, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var generator = new Xoshiro256(seed);
        return FisherYates(n, ref generator);
    }

    /// <summary>
    /// A permutation of 0..<paramref name="count"/>-1 drawn from SplitMix64's own stream, for the orders that have
    /// always been drawn that way (training's per-epoch row order, permutation importance): the same seed keeps giving
    /// the same order, so seeded histories and metrics stay what they were.
    /// </summary>
    public static int[] SplitMixPermutation(int count, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var generator = new SplitMix64(seed);
        return FisherYates(count, ref generator);
    }

    /// <summary>One seed from several, e.g. (run seed, epoch) or (seed, feature, repeat), with no structure left between them.</summary>
    public static ulong Combine(ulong seed, params ReadOnlySpan<long> parts)
    {
        var state = seed;
        var mixed = Mix(ref state);
        foreach (var part in parts)
        {
            state = mixed ^ (ulong)part;
            mixed = Mix(ref state);
        }
        return mixed;
    }

    /// <summary>Fisher–Yates from the last position down, each swap partner drawn by <paramref name="generator"/>.</summary>
    private static int[] FisherYates<TGenerator>(int n, ref TGenerator generator)
        where TGenerator : struct, IBoundedDraws
    {
        var permutation = new int[n];
        for (var i = 0; i < n; i++)
        {
            permutation[i] = i;
        }
        for (var i = n - 1; i > 0; i--)
        {
            var j = generator.NextBelow(i + 1);
            (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
        }
        return permutation;
    }

    /// <summary>Shuffles a copy of <paramref name="items"/>.</summary>
    internal static int[] Shuffled(ReadOnlySpan<int> items, ulong seed)
    {
        var permutation = PermutationArray(items.Length, seed);
        var result = new int[items.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = items[permutation[i]];
        }
        return result;
    }

    private static ulong Mix(ulong value)
    {
        var state = value;
        return Mix(ref state);
    }

    /// <summary>SplitMix64 (Steele, Lea, Flood 2014): one step, advancing <paramref name="state"/>.</summary>
    internal static ulong Mix(ref ulong state)
    {
        state += 0x9E37_79B9_7F4A_7C15;
        var z = state;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB;
        return z ^ (z >> 31);
    }

    /// <summary>SplitMix64's own output as a stream: Lemire's multiply-shift (no rejection) maps it onto a range.</summary>
    private struct SplitMix64(ulong seed) : IBoundedDraws
    {
        private ulong _state = seed;

        public int NextBelow(int bound) => (int)(((UInt128)Mix(ref _state) * (ulong)bound) >> 64);
    }
}

/// <summary>A generator that draws uniformly from 0..bound-1 (what a shuffle needs of it).</summary>
internal interface IBoundedDraws
{
    int NextBelow(int bound);
}
