using System.Buffers.Text;
using System.Collections.Immutable;
using System.Text;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Explanation;

namespace Churn.Host.Scores;

/// <summary>The CSV lists scoring writes: one line per scored customer, or the campaign's contact list, with reasons if asked.</summary>
public static class ScoreLists
{
    public const string ScoresHeader = "customer_id,probability,uncalibrated,predicted\n";

    /// <summary>No reasons asked for.</summary>
    public static readonly ImmutableDictionary<int, ImmutableArray<Reason>> NoReasons = ImmutableDictionary<int, ImmutableArray<Reason>>.Empty;

    /// <summary>The contact list, most likely buyer first.</summary>
    public static byte[] ContactList(CampaignPlan plan) => ContactList(plan, NoReasons, 0);

    /// <summary>
    /// The contact list with columns <c>reason_1</c> .. <c>reason_K</c> (none when <paramref name="count"/> is 0), filled
    /// for the customers <paramref name="reasons"/> holds (by their row in the customer file): the contacted ones.
    /// Written as <c>churn target</c> writes a streamed file's.
    /// </summary>
    public static byte[] ContactList(CampaignPlan plan, ImmutableDictionary<int, ImmutableArray<Reason>> reasons, int count)
    {
        using var stream = new MemoryStream();
        var table = ScoreTableWriter.Create(TableFormat.Csv, stream, ContactColumns(count));
        table.Write(ContactChunk([.. plan.Rows.Select((r, i) => (r, i)).OrderBy(r => r.r.Rank).Select(r => (r.r, reasons.GetValueOrDefault(r.i, [])))], count));
        table.Finish();
        return stream.ToArray();
    }

    /// <summary>The contact list's columns: ID, probability, expected value, rank, contact flag, and <paramref name="count"/> reasons.</summary>
    public static ImmutableArray<ColumnSpec> ContactColumns(int count) =>
    [
        new(Schema.IdColumn, ColumnKind.Whole), new("probability", ColumnKind.Number), new("expected_value", ColumnKind.Number),
        new("rank", ColumnKind.Whole), new("contact", ColumnKind.Flag),
        .. Enumerable.Range(1, count).Select(i => new ColumnSpec($"reason_{i}", ColumnKind.Text)),
    ];

    /// <summary>Rows of the contact list, in the order given, as a chunk of <see cref="ContactColumns"/>.</summary>
    public static TableChunk ContactChunk(IReadOnlyList<(ContactRow Row, ImmutableArray<Reason> Why)> rows, int count)
    {
        var columns = new List<Array>
        {
            rows.Select(r => r.Row.CustomerId).ToArray(),
            rows.Select(r => r.Row.Probability).ToArray(),
            rows.Select(r => r.Row.ExpectedValue).ToArray(),
            rows.Select(r => (long)r.Row.Rank).ToArray(),
            rows.Select(r => r.Row.Contact ? 1 : 0).ToArray(),
        };
        for (var j = 0; j < count; j++)
        {
            columns.Add(rows.Select(r => j < r.Why.Length ? r.Why[j].ToString() : "").ToArray());
        }
        return new TableChunk(rows.Count, columns);
    }

    /// <summary>A CSV with columns <c>reason_1</c> .. <c>reason_K</c> added: line i + 1 gets <paramref name="reasons"/>[i] (empty when there are fewer lines of reasons).</summary>
    public static byte[] WithReasons(byte[] csv, IReadOnlyList<ImmutableArray<Reason>> reasons, int count)
    {
        var lines = Encoding.ASCII.GetString(csv).Split('\n');
        var text = new StringBuilder(csv.Length + (reasons.Count * count * 48));
        text.Append(lines[0]).Append(string.Concat(Enumerable.Range(1, count).Select(i => $",reason_{i}"))).Append('\n');
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }
            text.Append(lines[i]);
            var why = i - 1 < reasons.Count ? reasons[i - 1] : [];
            for (var j = 0; j < count; j++)
            {
                text.Append(',').Append(j < why.Length ? why[j].ToString() : "");
            }
            text.Append('\n');
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>
    /// One line per customer: id, calibrated probability, the network's uncalibrated score (the original notebook's
    /// output, for comparison), both with 6 decimals, and the class at probability 0.5.
    /// </summary>
    public static byte[] Scores(CustomerScores scores)
    {
        var ids = scores.Customers.Ids;
        var probabilities = scores.Probabilities;
        var buffer = new byte[ScoresHeader.Length + (probabilities.Length * 56)];
        var n = Encoding.ASCII.GetBytes(ScoresHeader, buffer);
        var format = new System.Buffers.StandardFormat('F', 6);
        for (var i = 0; i < probabilities.Length; i++)
        {
            Utf8Formatter.TryFormat(ids[i], buffer.AsSpan(n), out var w);
            n += w;
            buffer[n++] = (byte)',';
            Utf8Formatter.TryFormat(probabilities[i], buffer.AsSpan(n), out w, format);
            n += w;
            buffer[n++] = (byte)',';
            Utf8Formatter.TryFormat(scores.Raw[i], buffer.AsSpan(n), out w, format);
            n += w;
            buffer[n++] = (byte)',';
            buffer[n++] = probabilities[i] >= 0.5 ? (byte)'1' : (byte)'0';
            buffer[n++] = (byte)'\n';
        }

        return buffer[..n];
    }
}
