using System.Globalization;
using Churn.Numerics.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Model;

/// <summary>
/// The bundled customer file prepared the way the original notebook did, independently of the product's own data
/// stages: all buyers plus the first equal number of non-buyers, standardized with the population standard deviation,
/// shuffled with a seed and split 80/10/10.
/// </summary>
internal static class BundledData
{
    private static readonly Lazy<(long[] Ids, double[][] Features, int[] Targets)> Rows = new(Read);

    public static string CsvPath
    {
        get
        {
            foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            {
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    if (File.Exists(Path.Combine(dir.FullName, "ChurnActors.sln")))
                    {
                        return Path.Combine(dir.FullName, "data", "Audiobooks_data.csv");
                    }
                }
            }
            throw new FileNotFoundException("ChurnActors.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The splits after shuffling the balanced rows with <see cref="Random"/> seeded with <paramref name="seed"/>.</summary>
    public static Splits Split(int seed)
    {
        var order = Enumerable.Range(0, BalancedRows).ToArray();
        new Random(seed).Shuffle(order);
        return Split(order);
    }

    public static int BalancedRows => 2 * Rows.Value.Targets.Count(t => t == 1);

    /// <summary>The splits after putting the balanced rows (in file order) in <paramref name="permutation"/>'s order.</summary>
    public static Splits Split(IReadOnlyList<int> permutation)
    {
        var (ids, features, targets) = Rows.Value;
        var buyers = targets.Count(t => t == 1);
        var keep = new List<int>();
        var nonBuyers = 0;
        for (var i = 0; i < targets.Length; i++)
        {
            if (targets[i] == 1 || nonBuyers++ < buyers)
            {
                keep.Add(i);
            }
        }
        var columns = features[0].Length;
        var means = new double[columns];
        var stds = new double[columns];
        for (var c = 0; c < columns; c++)
        {
            means[c] = keep.Average(i => features[i][c]);
            stds[c] = Math.Sqrt(keep.Average(i => Math.Pow(features[i][c] - means[c], 2)));
            stds[c] = stds[c] == 0 ? 1 : stds[c];
        }
        var order = permutation.Select(i => keep[i]).ToArray();
        var trainRows = (int)(0.8 * order.Length);
        var validationRows = (int)(0.1 * order.Length);
        Dataset Take(int from, int count)
        {
            var rows = order.Skip(from).Take(count).ToArray();
            return new Dataset(
                [.. rows.Select(i => ids[i])],
                Matrix<double>.Build.Dense(rows.Length, columns, (r, c) => (features[rows[r]][c] - means[c]) / stds[c]),
                [.. rows.Select(i => targets[i])]);
        }
        return new Splits(
            Take(0, trainRows),
            Take(trainRows, validationRows),
            Take(trainRows + validationRows, order.Length - trainRows - validationRows));
    }

    private static (long[] Ids, double[][] Features, int[] Targets) Read()
    {
        var lines = File.ReadAllLines(CsvPath).Where(l => l.Length > 0).ToArray();
        var ids = new long[lines.Length];
        var features = new double[lines.Length][];
        var targets = new int[lines.Length];
        for (var i = 0; i < lines.Length; i++)
        {
            var fields = lines[i].Split(',');
            ids[i] = long.Parse(fields[0], CultureInfo.InvariantCulture);
            features[i] = [.. fields[1..^1].Select(f => double.Parse(f, CultureInfo.InvariantCulture))];
            targets[i] = (int)double.Parse(fields[^1], CultureInfo.InvariantCulture);
        }
        return (ids, features, targets);
    }
}
