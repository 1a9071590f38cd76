using System.Diagnostics;
using Churn.Host.Cli;
using Churn.Numerics;
using Churn.Numerics.Data;

namespace Churn.Host.Bench;

/// <summary>
/// <c>churn bench read --input FILE</c>: a customer file (CSV or Parquet) read, checked and cut into chunks as scoring
/// reads it, through the same pipeline, but neither scored nor written: what reading alone costs, beside the forward
/// pass alone (<c>churn bench predict</c>) and the whole <c>churn predict</c>.
/// </summary>
public static class ReadBenchmark
{
    public static int Run(IReadOnlyList<string> args)
    {
        var parsed = Arguments.Parse("bench read", args, ["input"], []);
        if (parsed is not Result<Arguments>.Ok { Value: var a } || a.Get("input") is not { } input)
        {
            Console.Error.WriteLine("usage: churn bench read --input FILE");
            return 2;
        }
        var clock = Stopwatch.StartNew();
        long rows = 0;
        var read = ScoringStream.Run(input, DataLimits.Default.ForScoring(), false, chunk => chunk.Rows, n =>
        {
            rows += n;
            return null;
        });
        if (read is Result<LoadedData>.Error error)
        {
            Console.Error.WriteLine(error.Problem);
            return 1;
        }
        Console.WriteLine($"read only: {rows} rows in {clock.ElapsedMilliseconds} ms");
        return 0;
    }
}
