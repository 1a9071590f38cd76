using System.Collections.Immutable;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Drift;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Explanation;

namespace Churn.Host.Cli;

/// <summary>
/// What <c>churn target</c> reads of a customer file streamed past it: each customer's ID, probability and (when the
/// file has them) outcome, about 20 bytes a customer, never the behaviours; the drift and SHA-256 of the whole file;
/// and, in a second pass over the file, the reasons of the customers the plan contacts.
/// </summary>
public static class TargetScores
{
    /// <summary>The customers of one file, in its order.</summary>
    public sealed record Scored(ImmutableArray<long> Ids, ImmutableArray<double> Probabilities, ImmutableArray<int> Targets, DriftReport? Drift, string Sha256);

    public static Result<Scored> Read(ScoringModel model, string input)
    {
        var ids = new List<long>();
        var probabilities = new List<double>();
        var targets = new List<int>();
        var tally = model.Artifact.Drift is { } profile && !model.Scaling.ScaledInputs ? new DriftTally(profile) : null;
        var read = ScoringStream.Run(input, model.Limits.ForScoring(), model.Scaling.ScaledInputs, model.Score, scores =>
        {
            ids.AddRange(scores.Customers.Ids);
            probabilities.AddRange(scores.Probabilities);
            if (scores.Customers.HasTargets)
            {
                targets.AddRange(scores.Customers.Targets);
            }
            tally?.Add(scores.Customers.Inputs, scores.Raw);
            return null;
        });
        return read.Map(file => new Scored(
            [.. ids], [.. probabilities], targets.Count == ids.Count && ids.Count > 0 ? [.. targets] : [], tally?.Report(), file.Sha256));
    }

    /// <summary>
    /// The <paramref name="count"/> strongest reasons of each contacted customer, by row: the file is read a second
    /// time and only the contacted rows of each chunk are explained.
    /// </summary>
    public static Result<ImmutableDictionary<int, ImmutableArray<Reason>>> ContactReasons(ScoringModel model, string input, CampaignPlan plan, int count)
    {
        var found = ImmutableDictionary.CreateBuilder<int, ImmutableArray<Reason>>();
        var start = 0;
        var read = ScoringStream.Run(
            input,
            model.Limits.ForScoring(),
            model.Scaling.ScaledInputs,
            chunk =>
            {
                var first = start;
                start += chunk.Rows;
                int[] contacted = [.. Enumerable.Range(0, chunk.Rows).Where(r => first + r < plan.Rows.Length && plan.Rows[first + r].Contact)];
                return Explained.TopReasons(model.Artifact, chunk.Inputs, contacted, count, model.BaseRate)
                    .Map(reasons => contacted.Select((r, i) => KeyValuePair.Create(first + r, reasons[i])).ToArray());
            },
            explained =>
            {
                if (explained is Result<KeyValuePair<int, ImmutableArray<Reason>>[]>.Error error)
                {
                    return error.Problem with { File = error.Problem.File ?? Path.Combine(model.Directory, ModelArtifact.ManifestFile) };
                }
                found.AddRange(explained.Unwrap());
                return null;
            });
        return read.Map(_ => found.ToImmutable());
    }

    /// <summary>The contact list as Parquet: the CSV's columns, most likely buyer first.</summary>
    public static byte[] Parquet(CampaignPlan plan, ImmutableDictionary<int, ImmutableArray<Reason>> reasons, int count)
    {
        ImmutableArray<ColumnSpec> columns =
        [
            new(Schema.IdColumn, ColumnKind.Whole), new("probability", ColumnKind.Number), new("expected_value", ColumnKind.Number),
            new("rank", ColumnKind.Whole), new("contact", ColumnKind.Flag),
            .. Enumerable.Range(1, count).Select(i => new ColumnSpec($"reason_{i}", ColumnKind.Text)),
        ];
        var order = Enumerable.Range(0, plan.Rows.Length).OrderBy(i => plan.Rows[i].Rank).ToArray();
        var values = new List<Array>
        {
            order.Select(i => plan.Rows[i].CustomerId).ToArray(),
            order.Select(i => plan.Rows[i].Probability).ToArray(),
            order.Select(i => plan.Rows[i].ExpectedValue).ToArray(),
            order.Select(i => (long)plan.Rows[i].Rank).ToArray(),
            order.Select(i => plan.Rows[i].Contact ? 1 : 0).ToArray(),
        };
        for (var j = 0; j < count; j++)
        {
            values.Add(order.Select(i => reasons.GetValueOrDefault(i, []) is var why && j < why.Length ? why[j].ToString() : "").ToArray());
        }
        using var stream = new MemoryStream();
        var table = ScoreTableWriter.Create(TableFormat.Parquet, stream, columns);
        table.Write(new TableChunk(order.Length, values));
        table.Finish();
        return stream.ToArray();
    }
}
