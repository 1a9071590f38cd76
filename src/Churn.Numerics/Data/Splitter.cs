using System.Globalization;
using System.Runtime.InteropServices;

namespace Churn.Numerics.Data;

/// <summary>Seeded shuffle, then train/validation/test.</summary>
public static class Splitter
{
    /// <summary>The <see cref="Problem.Column"/> that ratio problems name: the option the user typed.</summary>
    public const string RatiosColumn = "split";

    /// <summary>
    /// Parses "0.8,0.1,0.1" (invariant culture): exactly three numbers, none negative, train above 0, summing to 1
    /// within 1e-6.
    /// </summary>
    public static Result<SplitRatios> ParseRatios(string text)
    {
        var parts = (text ?? "").Split(',');
        if (parts.Length != 3)
        {
            return Bad($"expected three ratios train,validation,test such as 0.8,0.1,0.1, got '{text}'");
        }
        var values = new double[3];
        for (var i = 0; i < 3; i++)
        {
            if (!double.TryParse(parts[i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                return Bad($"'{parts[i].Trim()}' is not a number; expected three ratios such as 0.8,0.1,0.1");
            }
        }
        return Validate(new SplitRatios(values[0], values[1], values[2]));
    }

    /// <summary>
    /// Shuffles with <paramref name="seed"/> (the run seed; the splitter draws from its own stream
    /// <see cref="SeededRandom.SplitStream"/>), then takes train = floor(train·n), validation = floor(validation·n)
    /// and test = the rest. With <paramref name="stratify"/> each class is shuffled and cut the same way and
    /// each split is shuffled again after merging, so every split carries the classes in the data's shares.
    /// Fails when training would be empty or a split with a positive ratio would be.
    /// </summary>
    public static Result<Splits> Split(Dataset data, SplitRatios ratios, ulong seed, bool stratify)
    {
        var valid = Validate(ratios);
        if (valid is Result<SplitRatios>.Error error)
        {
            return error.Problem;
        }
        if (stratify && !data.HasTargets)
        {
            return new Problem("a stratified split needs the target column, and this data has none", Column: Schema.TargetColumn);
        }

        var stream = SeededRandom.Derive(seed, SeededRandom.SplitStream);
        var (train, validation, test) = stratify
            ? Stratified(data, ratios, stream)
            : Cut(SeededRandom.PermutationArray(data.Rows, stream), ratios);

        if (train.Length == 0 || (ratios.Validation > 0 && validation.Length == 0) || (ratios.Test > 0 && test.Length == 0))
        {
            var empty = train.Length == 0 ? "training" : validation.Length == 0 ? "validation" : "test";
            return Bad(
                $"the {empty} split would be empty: {data.Rows} rows split {Format(ratios)} give " +
                $"{train.Length}/{validation.Length}/{test.Length} rows; use more rows or other ratios");
        }
        return Result.Ok(new Splits(DatasetRows.Select(data, train), DatasetRows.Select(data, validation), DatasetRows.Select(data, test)));
    }

    /// <summary>Rows per split for <paramref name="n"/> rows: the floors of train and validation, test takes the rest.</summary>
    public static SplitSizes Sizes(int n, SplitRatios ratios)
    {
        // Through decimal so that 0.29 · 100 is 29, not the 28.999… that binary floating point gives.
        var train = (int)Math.Min(decimal.Floor((decimal)ratios.Train * n), n);
        // Ratios may sum to a hair over 1 (the tolerance); the test split then shrinks, it never goes negative.
        var validation = (int)Math.Min(decimal.Floor((decimal)ratios.Validation * n), n - train);
        return new SplitSizes(train, validation, n - train - validation);
    }

    private static (int[] Train, int[] Validation, int[] Test) Stratified(Dataset data, SplitRatios ratios, ulong stream)
    {
        var train = new List<int>();
        var validation = new List<int>();
        var test = new List<int>();
        foreach (var label in new[] { 0, 1 })
        {
            var rows = new List<int>();
            for (var row = 0; row < data.Targets.Length; row++)
            {
                if (data.Targets[row] == label)
                {
                    rows.Add(row);
                }
            }
            var shuffled = SeededRandom.Shuffled(
                CollectionsMarshal.AsSpan(rows), SeededRandom.Derive(stream, (ulong)label + 1));
            var (tr, va, te) = Cut(shuffled, ratios);
            train.AddRange(tr);
            validation.AddRange(va);
            test.AddRange(te);
        }
        // Without this second shuffle each split would hold all non-buyers first, then all buyers.
        return (
            SeededRandom.Shuffled(train.ToArray(), SeededRandom.Derive(stream, 11)),
            SeededRandom.Shuffled(validation.ToArray(), SeededRandom.Derive(stream, 12)),
            SeededRandom.Shuffled(test.ToArray(), SeededRandom.Derive(stream, 13)));
    }

    private static (int[] Train, int[] Validation, int[] Test) Cut(int[] order, SplitRatios ratios)
    {
        var sizes = Sizes(order.Length, ratios);
        return (
            order[..sizes.Train],
            order[sizes.Train..(sizes.Train + sizes.Validation)],
            order[(sizes.Train + sizes.Validation)..]);
    }

    private static Result<SplitRatios> Validate(SplitRatios ratios)
    {
        double[] values = [ratios.Train, ratios.Validation, ratios.Test];
        if (values.Any(v => !double.IsFinite(v)))
        {
            return Bad($"ratios must be finite numbers, got {Format(ratios)}");
        }
        if (values.Any(v => v < 0))
        {
            return Bad($"ratios must not be negative, got {Format(ratios)}");
        }
        if (ratios.Train <= 0)
        {
            return Bad($"the training ratio must be above 0, got {Format(ratios)}");
        }
        var sum = values.Sum();
        if (Math.Abs(sum - 1) > 1e-6)
        {
            return Bad($"ratios must sum to 1, got {Format(ratios)} (sum {sum.ToString("G", CultureInfo.InvariantCulture)})");
        }
        return Result.Ok(ratios);
    }

    private static string Format(SplitRatios r) =>
        string.Create(CultureInfo.InvariantCulture, $"{r.Train},{r.Validation},{r.Test}");

    private static Problem Bad(string reason) => new(reason, Column: RatiosColumn);
}
