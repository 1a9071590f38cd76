using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Churn.Numerics;
using Churn.Numerics.Data;

namespace Churn.Tests.Data;

public class CustomerCsvAcceptanceTests
{
    private const string Header = "customer_id,avg_len,total_len,avg_price,total_price,review,score,completion,minutes,requests,last_visit,target";

    [Theory]
    [InlineData("no header, LF", "", "\n", "")]
    [InlineData("no header, CRLF", "", "\r\n", "")]
    [InlineData("no header, CR only", "", "\r", "")]
    [InlineData("header, LF", Header + "\n", "\n", "")]
    [InlineData("header, CRLF", Header + "\r\n", "\r\n", "")]
    [InlineData("quoted header", "\"ID\",\"A\",\"B\",\"C\",\"D\",\"E\",\"F\",\"G\",\"H\",\"I\",\"J\",\"Target\"\n", "\n", "")]
    [InlineData("trailing blank lines", "", "\n", "\n\n  \n")]
    [InlineData("trailing blank lines, CRLF, header", Header + "\r\n", "\r\n", "\r\n\r\n")]
    public void Loader_accepts_header_or_none_any_line_ending_and_trailing_blank_lines(string name, string header, string newline, string tail)
    {
        Assert.NotEmpty(name);
        var text = header + string.Join(newline, Rows.Buyer(7), Rows.NonBuyer(9)) + newline + tail;
        var loaded = Rows.Load(text);
        Assert.Equal(2, loaded.Data.Rows);
        Assert.Equal([7L, 9L], loaded.Data.Ids);
        Assert.Equal([1, 0], loaded.Data.Targets);
        Assert.Equal([1620, 1620, 19.73, 19.73, 1, 10, 0.99, 1603.8, 5, 92], loaded.Data.Inputs.Row(0).ToArray());
        Assert.Equal([2160, 2160, 5.33, 5.33, 0, 8.91, 0, 0, 0, 0], loaded.Data.Inputs.Row(1).ToArray());
    }

    [Fact]
    public void Loader_accepts_a_utf8_bom_and_a_last_line_without_newline()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(Rows.Buyer(1) + "\r\n" + Rows.NonBuyer(2))).ToArray();
        var path = TestFiles.Bytes(bytes);
        var loaded = CustomerCsv.Load(path).Unwrap();
        Assert.Equal([1L, 2L], loaded.Data.Ids);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), loaded.Sha256);
    }

    [Fact]
    public void Loader_accepts_utf16_with_a_byte_order_mark()
    {
        var text = Rows.Buyer(1) + "\r\n" + Rows.NonBuyer(2) + "\r\n";
        var path = TestFiles.Bytes([.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(text)]);
        Assert.Equal([1L, 2L], CustomerCsv.Load(path).Unwrap().Data.Ids);
    }

    [Fact]
    public void Loader_accepts_quoted_numbers_and_whole_ids_written_as_decimals()
    {
        var loaded = Rows.Load("\"994.0\",\"1620\",1620,19.73,19.73,1,10,0.99,1603.8,5,92,\"1\"\n" + Rows.NonBuyer(2) + "\n");
        Assert.Equal([994L, 2L], loaded.Data.Ids);
        Assert.Equal(1620, loaded.Data.Inputs[0, 0]);
    }

    [Theory]
    [InlineData("19.73")]
    [InlineData("0.1")]
    [InlineData("0.30000000000000004")]
    [InlineData("123456789012345.6")]
    [InlineData("1e3")]
    [InlineData("2.5E-3")]
    [InlineData(" 5 ")]
    [InlineData("+3.5")]
    [InlineData("5.")]
    [InlineData(".5")]
    [InlineData("-0")]
    [InlineData("0.000000000000000000000001")]
    [InlineData("9007199254740993")]
    [InlineData("130.94")]
    public void Loader_parses_numbers_exactly_like_double_Parse_with_invariant_culture(string text)
    {
        var loaded = Rows.Load($"1,1620,1620,{text},19.73,1,10,0.99,1603.8,5,92,1\n{Rows.NonBuyer(2)}\n");
        var expected = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(loaded.Data.Inputs[0, 2]));
    }

    [Theory]
    [InlineData(TargetPolicy.Optional, false)]
    [InlineData(TargetPolicy.Required, true)]
    public void Loader_with_optional_target_reads_files_without_the_target_column(TargetPolicy policy, bool rejected)
    {
        var path = TestFiles.Csv("1,1620,1620,19.73,19.73,1,10,0.99,1603.8,5,92\r\n2,2160,2160,5.33,5.33,0,8.91,0,0,0,0\r\n");
        var result = CustomerCsv.Load(path, policy);
        Assert.Equal(rejected, !result.IsOk);
        if (!rejected)
        {
            var data = result.Unwrap().Data;
            Assert.Equal(2, data.Rows);
            Assert.False(data.HasTargets);
            Assert.Empty(data.Targets);
            Assert.Equal(8.91, data.Inputs[1, 5]);
        }
    }

    [Fact]
    public void Loader_with_optional_target_keeps_a_present_target_column()
    {
        var data = CustomerCsv.Load(TestFiles.Csv(Rows.FourRows), TargetPolicy.Optional).Unwrap().Data;
        Assert.Equal([1, 0, 0, 1], data.Targets);
    }

    [Fact]
    public void Loader_reads_the_bundled_file_14084_rows_2237_buyers()
    {
        var loaded = CustomerCsv.Load(TestFiles.BundledCsv).Unwrap();
        Assert.Equal(TestFiles.BundledCsv, loaded.Source);
        Assert.Equal(14_084, loaded.Data.Rows);
        Assert.Equal(Schema.FeatureCount, loaded.Data.Inputs.ColumnCount);
        Assert.Equal(new ClassCounts(2_237, 11_847), loaded.Data.Counts());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(TestFiles.BundledCsv))), loaded.Sha256);
        Assert.Equal(994, loaded.Data.Ids[0]);
        Assert.Equal([1620, 1620, 19.73, 19.73, 1, 10, 0.99, 1603.8, 5, 92], loaded.Data.Inputs.Row(0).ToArray());
        Assert.Equal(14_084, loaded.Data.Ids.Distinct().Count());
    }

    [Fact]
    public void Loader_reads_more_rows_than_one_internal_chunk_in_file_order()
    {
        const int rows = 70_000;
        var path = Path.Combine(TestFiles.NewDirectory(), "many.csv");
        AtomicFile.Write(path, stream => SyntheticCustomers.WriteCsv(stream, rows, 5)).Unwrap();
        var data = CustomerCsv.Load(path).Unwrap().Data;
        Assert.Equal(rows, data.Rows);
        Assert.Equal(Enumerable.Range(1, rows).Select(i => (long)i), data.Ids);
        var lastLine = File.ReadLines(path).Last().Split(',');
        Assert.Equal(
            lastLine[1..11].Select(f => double.Parse(f, CultureInfo.InvariantCulture)),
            data.Inputs.Row(rows - 1).ToArray());
    }
}
