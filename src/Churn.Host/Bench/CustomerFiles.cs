using System.Collections.Immutable;
using System.Text;
using Churn.Host.Cli;
using Churn.Numerics;
using Churn.Numerics.Data;

namespace Churn.Host.Bench;

/// <summary>
/// <c>churn bench customers --rows N --csv FILE --parquet FILE [--seed S] [--group-rows G]</c>: a customer base of N rows
/// drawn with replacement from the bundled customers (new IDs 1..N, no target), as CSV (each row's fields as the
/// bundled file writes them) and as Parquet (row groups of G rows, by default 1,048,576, pyarrow's, pandas' and Spark's
/// usual size; one group of every row as some writers make), for the streaming benchmark.
/// </summary>
public static class CustomerFiles
{
    private const int DefaultGroupRows = 1 << 20;

    public static int Run(IReadOnlyList<string> args)
    {
        var parsed = Arguments.Parse("bench customers", args, ["rows", "csv", "parquet", "seed", "data", "group-rows"], []);
        if (parsed is not Result<Arguments>.Ok { Value: var a } || a.Get("csv") is not { } csvPath || a.Get("parquet") is not { } parquetPath
            || a.Int32("rows", 1, int.MaxValue) is not Result<int?>.Ok { Value: { } rows }
            || a.Int32("group-rows", 1, int.MaxValue) is not Result<int?>.Ok { Value: var groupRows })
        {
            Console.Error.WriteLine("usage: churn bench customers --rows N --csv FILE --parquet FILE [--seed S] [--data BUNDLED.csv] [--group-rows G]");
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
        var group = groupRows ?? DefaultGroupRows;
        for (var start = 0; start < rows; start += group)
        {
            var n = Math.Min(group, rows - start);
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
