using System.Collections.Immutable;
using System.Globalization;
using Churn.Host.Cli;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Drift;

namespace Churn.Tests.Cli;

/// <summary>
/// Customer files scored a chunk at a time, CSV or Parquet: the same probabilities as the whole file scored at once
/// and as the file scored in pieces, bad rows named in both formats, and nothing left as the output when a row fails.
/// </summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public class ScoringStreamTests
{
    private static readonly string Fixture = TestPaths.ModelV1;
    private static readonly Lazy<ModelArtifact> Model = new(() => ModelArtifact.Load(Fixture).Unwrap());

    private static DataLimits Limits => DataLimits.Default.ForScoring();

    private static (long[] Ids, double[] Probabilities) Stream(string file, int chunkRows)
    {
        var ids = new List<long>();
        var probabilities = new List<double>();
        var read = ScoringStream.Run(file, Limits, standardized: false, chunk => Model.Value.Score(chunk).Unwrap(), scores =>
        {
            ids.AddRange(scores.Customers.Ids);
            probabilities.AddRange(scores.Probabilities);
            return null;
        }, chunkRows);
        Assert.True(read.IsOk, read.Match(_ => "", p => p.ToString()));
        return ([.. ids], [.. probabilities]);
    }

    /// <summary>The bundled customers as Parquet, in row groups of <paramref name="groupRows"/>, with <paramref name="change"/> applied to the values.</summary>
    private static string WriteParquet(string path, Dataset data, int groupRows, Func<int, int, double, double>? change = null)
    {
        ImmutableArray<ColumnSpec> columns =
        [
            new(Schema.IdColumn, ColumnKind.Whole), .. Schema.FeatureNames.Select(f => new ColumnSpec(f, ColumnKind.Number)), new(Schema.TargetColumn, ColumnKind.Flag),
        ];
        using var stream = File.Create(path);
        var table = ScoreTableWriter.Create(TableFormat.Parquet, stream, columns);
        for (var start = 0; start < data.Rows; start += groupRows)
        {
            var n = Math.Min(groupRows, data.Rows - start);
            var values = new List<Array> { data.Ids.Skip(start).Take(n).ToArray() };
            for (var c = 0; c < Schema.FeatureCount; c++)
            {
                values.Add(Enumerable.Range(start, n).Select(r => change is null ? data.Inputs[r, c] : change(r, c, data.Inputs[r, c])).ToArray());
            }
            values.Add(data.Targets.Skip(start).Take(n).ToArray());
            table.Write(new TableChunk(n, values));
        }
        table.Finish();
        return path;
    }

    [Fact]
    public void Streaming_gives_the_probabilities_of_whole_file_scoring_whatever_the_chunk_and_of_the_file_scored_in_pieces()
    {
        var whole = CustomerCsv.Load(TestPaths.BundledData, TargetPolicy.Optional).Unwrap().Data;
        var expected = Model.Value.Score(whole).Unwrap().Probabilities.ToArray();

        var (ids, small) = Stream(TestPaths.BundledData, 1_000);
        var (_, large) = Stream(TestPaths.BundledData, ScoringStream.ChunkRows);

        Assert.Equal(whole.Ids.ToArray(), ids);
        Assert.Equal(expected, small);
        Assert.Equal(expected, large);

        // The file cut in three pieces (the last of 84 rows) and each streamed on its own.
        var dir = TestPaths.NewTempDirectory();
        var lines = File.ReadAllLines(TestPaths.BundledData);
        var pieces = lines.Chunk(5_000).Select((piece, i) =>
        {
            var path = Path.Combine(dir, $"piece-{i}.csv");
            File.WriteAllLines(path, piece);
            return Stream(path, 4_096).Probabilities;
        }).SelectMany(p => p).ToArray();
        Assert.Equal(expected, pieces);
    }

    [Fact]
    public void Csv_and_parquet_inputs_give_identical_probabilities_and_the_same_drift()
    {
        var dir = TestPaths.NewTempDirectory();
        var whole = CustomerCsv.Load(TestPaths.BundledData, TargetPolicy.Optional).Unwrap().Data;
        var parquet = WriteParquet(Path.Combine(dir, "customers.parquet"), whole, groupRows: 3_000);

        var (csvIds, csvProbabilities) = Stream(TestPaths.BundledData, 2_048);
        var (parquetIds, parquetProbabilities) = Stream(parquet, 2_048);

        Assert.Equal(csvIds, parquetIds);
        Assert.Equal(csvProbabilities, parquetProbabilities);
        Assert.True(ScoringStream.IsParquet(parquet));
        Assert.False(ScoringStream.IsParquet(TestPaths.BundledData));
    }

    [Fact]
    public void Drift_counted_chunk_by_chunk_is_that_of_the_whole_file()
    {
        var whole = CustomerCsv.Load(TestPaths.BundledData, TargetPolicy.Optional).Unwrap().Data;
        var scores = Model.Value.Score(whole).Unwrap();
        var profile = DriftProfile.Of(Model.Value.FeatureNames, whole.Inputs, scores.Raw);
        var expected = DriftCheck.Compare(profile, whole.Inputs, scores.Raw);

        var tally = new DriftTally(profile);
        for (var start = 0; start < whole.Rows; start += 1_000)
        {
            var n = Math.Min(1_000, whole.Rows - start);
            tally.Add(whole.Inputs.SubMatrix(start, n, 0, whole.Inputs.ColumnCount), scores.Raw.Skip(start).Take(n).ToArray());
        }
        var streamed = tally.Report();

        Assert.Equal(expected.Rows, streamed.Rows);
        Assert.Equal(expected.Behaviours.Select(l => l.Psi), streamed.Behaviours.Select(l => l.Psi));
        Assert.Equal(expected.Behaviours.Select(l => l.Median), streamed.Behaviours.Select(l => l.Median));
        Assert.Equal(expected.Score.Psi, streamed.Score.Psi);
    }

    [Fact]
    public void A_bad_row_is_named_by_file_row_and_column_in_csv_and_parquet()
    {
        var dir = TestPaths.NewTempDirectory();
        var lines = File.ReadAllLines(TestPaths.BundledData);
        var review = Schema.FeatureNames.IndexOf("review");
        var fields = lines[9_000].Split(',');
        fields[1 + review] = "2";
        lines[9_000] = string.Join(',', fields);
        var csv = Path.Combine(dir, "bad.csv");
        File.WriteAllLines(csv, lines);
        var whole = CustomerCsv.Load(TestPaths.BundledData, TargetPolicy.Optional).Unwrap().Data;
        var parquet = WriteParquet(Path.Combine(dir, "bad.parquet"), whole, 4_000, (r, c, v) => r == 9_000 && c == 2 ? double.NaN : v);

        Problem Fails(string file)
        {
            var chunks = 0;
            var read = ScoringStream.Run(file, Limits, false, chunk => chunk.Rows, _ =>
            {
                chunks++;
                return null;
            }, 1_000);
            Assert.True(chunks >= 9, $"{chunks} chunks were handed on before the bad row");
            return Assert.IsType<Result<LoadedData>.Error>(read).Problem;
        }
        var csvProblem = Fails(csv);
        var parquetProblem = Fails(parquet);

        Assert.Equal((csv, 9_001L, "review"), (csvProblem.File, csvProblem.Line, csvProblem.Column));
        Assert.Contains("the review flag must be 0 or 1, got '2'", csvProblem.Reason, StringComparison.Ordinal);
        Assert.Equal((parquet, 9_001L, Schema.FeatureNames[2]), (parquetProblem.File, parquetProblem.Line, parquetProblem.Column));
        Assert.Contains("NaN", parquetProblem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_parquet_file_without_a_behaviour_column_is_refused_naming_it()
    {
        var dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, "short.parquet");
        using (var stream = File.Create(path))
        {
            var table = ScoreTableWriter.Create(TableFormat.Parquet, stream, [new(Schema.IdColumn, ColumnKind.Whole), new(Schema.FeatureNames[0], ColumnKind.Number)]);
            table.Write(new TableChunk(1, [new long[] { 1 }, new double[] { 2 }]));
            table.Finish();
        }

        var read = ScoringStream.Run(path, Limits, false, chunk => chunk.Rows, _ => null);

        var problem = Assert.IsType<Result<LoadedData>.Error>(read).Problem;
        Assert.Equal(Schema.FeatureNames[1], problem.Column);
        Assert.Contains("has no column", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_with_a_bad_row_past_the_first_chunks_leaves_the_previous_output_untouched_and_no_temporary()
    {
        var dir = TestPaths.NewTempDirectory();
        // More rows than one chunk of the command, the bad one last.
        var lines = File.ReadAllLines(TestPaths.BundledData);
        var many = Enumerable.Range(0, 6).SelectMany(copy => lines.Select((line, i) =>
            string.Join(',', [(((copy * lines.Length) + i + 1)).ToString(CultureInfo.InvariantCulture), .. line.Split(',').Skip(1)]))).ToList();
        many.Add("999999,1,1,1,1,1,1,1.5,1,1,1,0");
        File.WriteAllLines(Path.Combine(dir, "many.csv"), many);
        File.WriteAllText(Path.Combine(dir, "scores.csv"), "the previous scores\n");

        var failed = await ChurnProcess.RunAsync(dir, "predict", "--model", Fixture, "--input", "many.csv", "--output", "scores.csv");
        var toStdout = await ChurnProcess.RunAsync(dir, "predict", "--model", Fixture, "--input", "many.csv");

        Assert.Equal(1, failed.ExitCode);
        Assert.Contains($"many.csv:{many.Count}: column 'completion': completion must be between 0 and 1, got '1.5'", failed.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", failed.Stderr, StringComparison.Ordinal);
        Assert.Equal("the previous scores\n", File.ReadAllText(Path.Combine(dir, "scores.csv")));
        Assert.Equal(["many.csv", "scores.csv"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        Assert.Equal(1, toStdout.ExitCode);
        Assert.Equal("", toStdout.Stdout);
    }

    [Fact]
    public async Task Predict_writes_the_same_scores_as_csv_and_parquet_from_either_input()
    {
        var dir = TestPaths.NewTempDirectory();
        var whole = CustomerCsv.Load(TestPaths.BundledData, TargetPolicy.Optional).Unwrap().Data;
        WriteParquet(Path.Combine(dir, "customers.parquet"), whole, 5_000);

        var csvToCsv = await ChurnProcess.RunAsync(dir, "predict", "--model", Fixture, "--input", TestPaths.BundledData, "--output", "a.csv");
        var parquetToCsv = await ChurnProcess.RunAsync(dir, "predict", "--model", Fixture, "--input", "customers.parquet", "--output", "b.csv");
        var parquetToParquet = await ChurnProcess.RunAsync(dir, "predict", "--model", Fixture, "--input", "customers.parquet", "--output", "c.parquet");
        var csvToStdoutParquet = await ChurnProcess.RunAsync(dir, "predict", "--model", Fixture, "--input", TestPaths.BundledData, "--output", "d.out", "--format", "parquet");

        Assert.True(csvToCsv.ExitCode == 0, csvToCsv.Stderr);
        Assert.True(parquetToCsv.ExitCode == 0, parquetToCsv.Stderr);
        Assert.True(parquetToParquet.ExitCode == 0, parquetToParquet.Stderr);
        Assert.True(csvToStdoutParquet.ExitCode == 0, csvToStdoutParquet.Stderr);
        var csv = File.ReadAllLines(Path.Combine(dir, "a.csv"));
        Assert.Equal("customer_id,probability,uncalibrated,predicted", csv[0]);
        Assert.Equal(whole.Rows + 1, csv.Length);
        Assert.Equal(csv, File.ReadAllLines(Path.Combine(dir, "b.csv")));
        foreach (var parquet in new[] { "c.parquet", "d.out" })
        {
            var rows = await ParquetRows(Path.Combine(dir, parquet));
            Assert.Equal(csv.Skip(1), rows);
        }
    }

    /// <summary>The rows of predict's Parquet output as its CSV lines would be.</summary>
    private static async Task<string[]> ParquetRows(string path)
    {
        await using var reader = await Parquet.ParquetReader.CreateAsync(path);
        var fields = reader.Schema.GetDataFields();
        Assert.Equal(["customer_id", "probability", "uncalibrated", "predicted"], fields.Select(f => f.Name));
        var lines = new List<string>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var n = (int)group.RowCount;
            var ids = new long[n];
            var p = new double[n];
            var raw = new double[n];
            var predicted = new int[n];
            await group.ReadAsync(fields[0], ids.AsMemory());
            await group.ReadAsync(fields[1], p.AsMemory());
            await group.ReadAsync(fields[2], raw.AsMemory());
            await group.ReadAsync(fields[3], predicted.AsMemory());
            lines.AddRange(Enumerable.Range(0, n).Select(i => string.Create(CultureInfo.InvariantCulture, $"{ids[i]},{p[i]:F6},{raw[i]:F6},{predicted[i]}")));
        }
        return [.. lines];
    }

    [Fact]
    public async Task Target_over_a_streamed_file_contacts_exactly_the_budget_most_likely_ties_in_file_order()
    {
        var dir = TestPaths.NewTempDirectory();
        // Every customer twice under new IDs: each probability is tied with another row further down the file.
        var lines = File.ReadAllLines(TestPaths.BundledData);
        var twice = lines.Concat(lines).Select((line, i) => string.Join(',', [(i + 1).ToString(CultureInfo.InvariantCulture), .. line.Split(',').Skip(1)])).ToArray();
        File.WriteAllLines(Path.Combine(dir, "twice.csv"), twice);
        var budget = 1_001;

        var scored = await ChurnProcess.RunAsync(dir, "predict", "--model", Fixture, "--input", "twice.csv", "--output", "scores.csv");
        var planned = await ChurnProcess.RunAsync(dir, "target", "--model", Fixture, "--input", "twice.csv", "--budget", budget.ToString(CultureInfo.InvariantCulture), "--output", "plan/contacts.csv");
        var asParquet = await ChurnProcess.RunAsync(dir, "target", "--model", Fixture, "--input", "twice.csv", "--budget", budget.ToString(CultureInfo.InvariantCulture), "--output", "pq/contacts.parquet");

        Assert.True(scored.ExitCode == 0, scored.Stderr);
        Assert.True(planned.ExitCode == 0, planned.Stderr);
        Assert.True(asParquet.ExitCode == 0, asParquet.Stderr);
        // The expected choice from the whole file scored at once: highest probability first, ties in file order.
        var whole = CustomerCsv.Load(Path.Combine(dir, "twice.csv"), TargetPolicy.Optional).Unwrap().Data;
        var p = Model.Value.Score(whole).Unwrap().Probabilities;
        var expected = Enumerable.Range(0, whole.Rows).OrderByDescending(i => p[i]).ThenBy(i => i).Take(budget).Select(i => whole.Ids[i]).Order().ToArray();
        var contacted = File.ReadLines(Path.Combine(dir, "plan", "contacts.csv")).Skip(1).Select(l => l.Split(',')).Where(f => f[4] == "1").Select(f => long.Parse(f[0], CultureInfo.InvariantCulture)).Order().ToArray();
        Assert.Equal(expected, contacted);
        // The cut falls inside a group of tied customers, and both rows of a tied pair are not always on the same side.
        var cut = p[Enumerable.Range(0, whole.Rows).OrderByDescending(i => p[i]).ThenBy(i => i).ElementAt(budget - 1)];
        Assert.True(p.Count(x => x == cut) > 1, "no tie at the cut");
        Assert.True(File.Exists(Path.Combine(dir, "pq", "contacts.parquet")));
        Assert.True(ScoringStream.IsParquet(Path.Combine(dir, "pq", "contacts.parquet")));
    }
}
