using System.Collections.Immutable;
using System.Text;
using Churn.Host.Cli;
using Churn.Numerics;
using Churn.Numerics.Data;

namespace Churn.Host.Bench;

/// <summary>
/// <c>churn bench customers --rows N --csv FILE --parquet FILE [--seed S]</c>: a customer base of N rows drawn with
/// replacement from the bundled customers (new IDs 1..N, no target), as CSV (each row's fields as the bundled file
/// writes them) and as Parquet (row groups of 1,048,576, pandas' and Spark's usual size), for the streaming benchmark.
/// </summary>
public static class CustomerFiles
{
    private const int GroupRows = 1 << 20;

    public static int Run(IReadOnlyList<string> args)
    {
        var parsed = Arguments.Parse("bench customers", args, ["rows", "csv", "parquet", "seed", "data"], []);
        if (parsed is not Result<Arguments>.Ok { Value: var a } || a.Get("csv") is not { } csvPath || a.Get("parquet") is not { } parquetPath
            || a.Int32("rows", 1, int.MaxValue) is not Result<int?>.Ok { Value: { } rows })
        {
            Console.Error.WriteLine("usage: churn bench customers --rows N --csv FILE --parquet FILE [--seed S] [--data BUNDLED.csv]");
            return 2;
        }
        var seed = a.UInt64("seed").Unwrap() ?? 42;
        var bundled = a.Get("data") ?? Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "data", "Audiobooks_data.csv");
        var data = CustomerCsv.Load(bundled, TargetPolicy.Optional).Unwrap().Data;
        // The bundled rows' behaviour fields as text, so the CSV holds the numbers as exports write them.
        var texts = File.ReadLines(bundled).Select(l => string.Join(',', l.Split(',')[1..(1 + Schema.FeatureCount)])).ToArray();
        ImmutableArray<ColumnSpec> columns = [new(Schema.IdColumn, ColumnKind.Whole), .. Schema.FeatureNames.Select(f => new ColumnSpec(f, ColumnKind.Number))];
        using var csv = new StreamWriter(csvPath, false, new UTF8Encoding(false), 1 << 20);
        using var parquetFile = File.Create(parquetPath);
        var parquet = ScoreTableWriter.Create(TableFormat.Parquet, parquetFile, columns);
        csv.Write(string.Join(',', columns.Select(c => c.Name)) + "\n");
        for (var start = 0; start < rows; start += GroupRows)
        {
            var n = Math.Min(GroupRows, rows - start);
            var picked = SeededRandom.DrawWithReplacement(data.Rows, n, SeededRandom.Derive(seed, (ulong)start));
            var ids = Enumerable.Range(start + 1, n).Select(i => (long)i).ToArray();
            var values = new List<Array> { ids };
            for (var c = 0; c < Schema.FeatureCount; c++)
            {
                values.Add(picked.Select(r => data.Inputs[r, c]).ToArray());
            }
            parquet.Write(new TableChunk(n, values));
            for (var i = 0; i < n; i++)
            {
                csv.Write(ids[i]);
                csv.Write(',');
                csv.Write(texts[picked[i]]);
                csv.Write('\n');
            }
        }
        parquet.Finish();
        Console.Error.WriteLine($"churn bench customers: {rows:N0} customers -> {csvPath}, {parquetPath}");
        return 0;
    }
}
