using System.Text;
using Churn.Numerics.Data;

namespace Churn.Tests.Data;

/// <summary>The loader's storage: exact pre-sizing when the estimate is right, chunked growth when it is not.</summary>
public class RowBufferTests
{
    [Theory]
    [InlineData(0, 70_000)]
    [InlineData(3, 70_000)]
    [InlineData(70_000, 70_000)]
    [InlineData(80_000, 70_000)]
    [InlineData(5, 5)]
    public void Row_buffer_keeps_rows_in_order_whatever_the_estimate(int expected, int rows)
    {
        var buffer = new RowBuffer(Schema.FeatureCount, hasTargets: true, expected);
        Span<double> features = stackalloc double[Schema.FeatureCount];
        for (var i = 0; i < rows; i++)
        {
            for (var c = 0; c < features.Length; c++)
            {
                features[c] = (i * 10.0) + c;
            }
            buffer.Add(5_000_000 + i, features, i % 2);
        }
        Assert.Equal(5_000_000 + rows - 1, buffer.Id(rows - 1));
        var data = buffer.Build();
        Assert.Equal(rows, data.Rows);
        Assert.Equal(Enumerable.Range(0, rows).Select(i => 5_000_000L + i), data.Ids);
        Assert.Equal(Enumerable.Range(0, rows).Select(i => i % 2), data.Targets);
        for (var i = 0; i < rows; i += 997)
        {
            Assert.Equal(Enumerable.Range(0, 10).Select(c => (i * 10.0) + c), data.Inputs.Row(i).ToArray());
        }
    }

    [Theory]
    [InlineData("R\nR\n", 2)]
    [InlineData("R\nR", 2)]
    [InlineData("R\r\nR\r\n\r\n  \r\n", 2)]
    [InlineData("id,x\nR\nR\n", 2)]
    [InlineData("\uFEFF\"id\",\"x\"\r\nR\r\n", 1)]
    [InlineData("R\rR\rR\r", 3)]
    [InlineData("", 0)]
    public void Row_estimate_counts_data_lines_without_header_and_trailing_blanks(string text, int rows)
    {
        // R stands for a row of realistic length, so the minimum-row-size cap does not apply.
        var expanded = text.Replace("R", "7,1620,1620,19.73,19.73,1,10,0.99,1603.8,5,92,1", StringComparison.Ordinal);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(expanded));
        Assert.Equal(rows, RowEstimate.Of(stream));
        Assert.Equal(0, stream.Position);
    }

    [Fact]
    public void Row_estimate_never_exceeds_what_the_file_size_allows()
    {
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("1\n", 240))));
        Assert.Equal(20, RowEstimate.Of(stream));
    }

    [Fact]
    public void Loader_reads_rows_past_a_short_estimate()
    {
        // Bare-CR line ends with one final LF: the pre-pass counts one line, Sylvan reads 70,000 rows.
        var rows = Enumerable.Range(1, 70_000).Select(i => i % 5 == 0 ? Rows.Buyer(i) : Rows.NonBuyer(i));
        var data = Rows.Load(string.Join("\r", rows) + "\n").Data;
        Assert.Equal(70_000, data.Rows);
        Assert.Equal(70_000L, data.Ids[^1]);
        Assert.Equal(14_000, data.Counts().Buyers);
    }
}
