using Churn.Numerics;
using Churn.Numerics.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Data;

/// <summary>Small customer files and datasets for the tests.</summary>
public static class Rows
{
    /// <summary>A valid buyer row (target 1) with the given ID.</summary>
    public static string Buyer(long id) => $"{id},1620,1620,19.73,19.73,1,10,0.99,1603.8,5,92,1";

    /// <summary>A valid non-buyer row (target 0) with the given ID.</summary>
    public static string NonBuyer(long id) => $"{id},2160,2160,5.33,5.33,0,8.91,0,0,0,0,0";

    /// <summary>Buyer 1, non-buyers 2 and 3, buyer 4, LF-terminated.</summary>
    public static string FourRows => string.Join("\n", Buyer(1), NonBuyer(2), NonBuyer(3), Buyer(4)) + "\n";

    public static LoadedData Load(string csvText) => CustomerCsv.Load(TestFiles.Csv(csvText)).Unwrap();

    /// <summary>The problem of a result that must have failed.</summary>
    public static Problem ProblemOf<T>(Result<T> result) =>
        result.Match(ok => throw new Xunit.Sdk.XunitException($"expected a problem, got {ok}"), problem => problem);

    public static Problem Rejection(string path, TargetPolicy policy = TargetPolicy.Required) =>
        CustomerCsv.Load(path, policy).Match(
            ok => throw new Xunit.Sdk.XunitException($"expected a rejection, got {ok.Data.Rows} rows"),
            problem => problem);

    /// <summary>
    /// A dataset of <paramref name="targets"/>.Length rows whose feature j of row i is i * 100 + j, so every value
    /// says where it came from; IDs are 1000 + i.
    /// </summary>
    public static Dataset Numbered(params int[] targets)
    {
        var n = targets.Length;
        var inputs = Matrix<double>.Build.Dense(n, Schema.FeatureCount, (i, j) => (i * 100) + j);
        return new Dataset([.. Enumerable.Range(0, n).Select(i => 1000L + i)], inputs, [.. targets]);
    }

    /// <summary><paramref name="buyers"/> buyers and <paramref name="nonBuyers"/> non-buyers, interleaved deterministically.</summary>
    public static Dataset Mixed(int buyers, int nonBuyers)
    {
        var targets = new List<int>();
        var (b, nb) = (buyers, nonBuyers);
        while (b + nb > 0)
        {
            // Spread buyers evenly through the file, like the real data.
            if (b > 0 && (nb == 0 || (long)b * (buyers + nonBuyers) >= (long)(b + nb) * buyers))
            {
                targets.Add(1);
                b--;
            }
            else
            {
                targets.Add(0);
                nb--;
            }
        }
        return Numbered([.. targets]);
    }
}

/// <summary>A deep copy of a dataset's contents, to prove that a stage left its input as it was.</summary>
public sealed record Snapshot(long[] Ids, double[] Inputs, int Rows, int Columns, int[] Targets)
{
    public static Snapshot Of(Dataset data) => new(
        [.. data.Ids.IsDefault ? [] : data.Ids],
        data.Inputs.ToColumnMajorArray(),
        data.Inputs.RowCount,
        data.Inputs.ColumnCount,
        [.. data.Targets.IsDefault ? [] : data.Targets]);

    public void AssertSameAs(Dataset data)
    {
        var now = Of(data);
        Assert.Equal(Ids, now.Ids);
        Assert.Equal(Rows, now.Rows);
        Assert.Equal(Columns, now.Columns);
        Assert.Equal(Inputs, now.Inputs);
        Assert.Equal(Targets, now.Targets);
    }
}
