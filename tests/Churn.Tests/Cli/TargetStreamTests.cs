using System.Collections.Immutable;
using System.Globalization;
using Churn.Host.Cli;
using Churn.Host.Scores;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;

namespace Churn.Tests.Cli;

/// <summary>
/// <c>churn target</c> over a streamed file, whose memory does not grow with the file (sorted runs merged from a
/// temporary file): the same contact list, summary and curve as the whole file planned in memory, for every policy,
/// on random files full of tied probabilities whose ties straddle chunks and runs.
/// </summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public class TargetStreamTests
{
    private static readonly string Fixture = TestPaths.ModelV1;
    private static readonly Lazy<ModelArtifact> Model = new(() => ModelArtifact.Load(Fixture).Unwrap());
    private static readonly CampaignEconomics Economics = new(2, 10);

    private static ScoringModel Scoring() =>
        new(new ModelReference.Resolved(Fixture, null, ""), Model.Value, InputScaling.ModelsOwn, null, DataLimits.Default);

    /// <summary>
    /// <paramref name="rows"/> customers drawn with replacement from the bundled ones under new IDs (so many share a
    /// probability), with or without the target column.
    /// </summary>
    internal static string RandomFile(int rows, ulong seed, bool withTargets)
    {
        var lines = File.ReadAllLines(TestPaths.BundledData);
        var drawn = SeededRandom.DrawWithReplacement(lines.Length, rows, seed);
        var path = Path.Combine(TestPaths.NewTempDirectory(), "customers.csv");
        File.WriteAllLines(path, drawn.Select((line, i) =>
        {
            var fields = lines[line].Split(',');
            return string.Join(',', [(1_000 + i).ToString(CultureInfo.InvariantCulture), .. fields.Skip(1).Take(withTargets ? fields.Length - 1 : fields.Length - 2)]);
        }));
        return path;
    }

    public static TheoryData<string, int, bool> Plans => new()
    {
        { "budget 777", 97, true },
        { "budget 5000", 1_000, false },
        { "top 12.5", 64, true },
        { "top 100", 250, false },
        { "expected value", 97, true },
        { "budget 0", 97, true },
    };

    /// <summary>The plan named, its count moved to the nearest cut at or past it that splits tied customers.</summary>
    internal static ContactPolicy Policy(string plan, ImmutableArray<double> p)
    {
        var ranked = p.OrderDescending().ToArray();
        int TiedCut(int k)
        {
            while (k > 0 && k < ranked.Length && ranked[k - 1] != ranked[k])
            {
                k++;
            }
            return k;
        }
        return plan.Split(' ') switch
        {
            ["budget", var n] => new ContactPolicy.Budget(TiedCut(int.Parse(n, CultureInfo.InvariantCulture))),
            ["top", var share] => new ContactPolicy.Top((double)TiedCut((int)(double.Parse(share, CultureInfo.InvariantCulture) / 100 * p.Length)) / p.Length),
            _ => ContactPolicy.ExpectedValue,
        };
    }

    [Theory]
    [MemberData(nameof(Plans))]
    public void Streamed_plan_equals_the_whole_file_plan_with_ties_across_chunks_and_runs(string plan, int chunkRows, bool withTargets)
    {
        var file = RandomFile(3_001, (ulong)plan.GetHashCode(StringComparison.Ordinal) ^ (ulong)chunkRows, withTargets);
        var whole = CustomerCsv.Load(file, TargetPolicy.Optional).Unwrap().Data;
        var p = Model.Value.Score(whole).Unwrap().Probabilities;
        var policy = Policy(plan, p);
        var expected = Campaign.Plan(whole.Ids, p, whole.HasTargets ? whole.Targets : [], policy, Economics);

        using var written = new MemoryStream();
        // Runs of 211 customers: fifteen runs merged, their boundaries nowhere near the chunks'.
        var streamed = TargetScores.Plan(Scoring(), file, policy, Economics, 0, TableFormat.Csv, written, chunkRows, runRows: 211).Unwrap();

        Assert.Equal(expected.Summary, streamed.Summary);
        Assert.Equal(expected.Curve, streamed.Curve);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(ScoreLists.ContactList(expected)), System.Text.Encoding.UTF8.GetString(written.ToArray()));
        // The file really has ties at the cut, so that the file-order tie break is what is tested.
        var cut = expected.Summary.Contacted;
        if (cut is > 0 and < 3_001 && policy is not ContactPolicy.ByExpectedValue)
        {
            var ranked = expected.Rows.OrderBy(r => r.Rank).ToArray();
            Assert.True(ranked.Count(r => r.Probability == ranked[cut - 1].Probability) > 1, "no tie at the cut");
        }
        Assert.Equal(withTargets, streamed.Summary.Realized is not null);
    }

    [Fact]
    public void Ranked_customers_merged_from_many_runs_come_highest_first_ties_in_file_order()
    {
        var random = new Random(3);
        var probabilities = Enumerable.Range(0, 5_000).Select(_ => random.Next(40) / 40.0).ToArray();
        using var ranked = new RankedCustomers(runRows: 333);
        for (var i = 0; i < probabilities.Length; i++)
        {
            ranked.Add(10_000 + i, probabilities[i], i % 2);
        }

        var order = ranked.InOrder().ToArray();

        var expected = Enumerable.Range(0, probabilities.Length).OrderByDescending(i => probabilities[i]).ThenBy(i => i).ToArray();
        Assert.Equal(expected.Select(i => (long)i), order.Select(c => c.Row));
        Assert.Equal(expected.Select(i => 10_000L + i), order.Select(c => c.Id));
        Assert.Equal(expected.Select(i => i % 2), order.Select(c => c.Target));
        Assert.Equal(order, ranked.InOrder().ToArray());
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(14_084)]
    public void A_parquet_row_group_larger_than_memory_holds_is_read_through_a_temporary_file_with_the_same_customers(int groupRows)
    {
        var whole = CustomerCsv.Load(TestPaths.BundledData, TargetPolicy.Optional).Unwrap().Data;
        var path = Path.Combine(TestPaths.NewTempDirectory(), "customers.parquet");
        ImmutableArray<ColumnSpec> columns =
        [
            new(Schema.IdColumn, ColumnKind.Whole), .. Schema.FeatureNames.Select(f => new ColumnSpec(f, ColumnKind.Number)), new(Schema.TargetColumn, ColumnKind.Flag),
        ];
        using (var stream = File.Create(path))
        {
            var table = ScoreTableWriter.Create(TableFormat.Parquet, stream, columns);
            for (var start = 0; start < whole.Rows; start += groupRows)
            {
                var n = Math.Min(groupRows, whole.Rows - start);
                var values = new List<Array> { whole.Ids.Skip(start).Take(n).ToArray() };
                values.AddRange(Enumerable.Range(0, Schema.FeatureCount).Select(c => Enumerable.Range(start, n).Select(r => whole.Inputs[r, c]).ToArray()));
                values.Add(whole.Targets.Skip(start).Take(n).ToArray());
                table.Write(new TableChunk(n, values));
            }
            table.Finish();
        }
        var chunks = new List<Dataset>();

        // Groups over 500 rows go through the temporary file; chunks of 700 rows cut across the groups of 1,000.
        var read = CustomerParquet.Stream(path, DataLimits.Default.ForScoring(), false, 700, chunks.Add, holdRows: 500, CancellationToken.None);

        Assert.True(read.IsOk, read.Match(_ => "", p => p.ToString()));
        Assert.Equal(whole.Ids, chunks.SelectMany(c => c.Ids));
        Assert.Equal(whole.Targets, chunks.SelectMany(c => c.Targets));
        for (var c = 0; c < Schema.FeatureCount; c++)
        {
            Assert.Equal(whole.Inputs.Column(c).ToArray(), chunks.SelectMany(chunk => chunk.Inputs.Column(c).ToArray()));
        }
        Assert.All(chunks.SkipLast(1), chunk => Assert.Equal(700, chunk.Rows));
    }
}
