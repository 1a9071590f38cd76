using System.Text;
using Churn.Numerics;
using Churn.Numerics.Data;

namespace Churn.Tests.Data;

public class SyntheticCustomersTests
{
    [Fact]
    public void Synthetic_file_is_a_valid_customer_file_with_about_16_percent_buyers()
    {
        var path = Path.Combine(TestFiles.NewDirectory(), "synthetic.csv");
        Assert.Equal(path, AtomicFile.Write(path, stream => SyntheticCustomers.WriteCsv(stream, 5_000, 1)).Unwrap());
        var data = CustomerCsv.Load(path).Unwrap().Data;
        Assert.Equal(5_000, data.Rows);
        Assert.Equal(5_000, data.Ids.Distinct().Count());
        Assert.InRange(data.Counts().Buyers / 5_000.0, 0.14, 0.18);

        var text = File.ReadAllText(path, Encoding.UTF8);
        Assert.True(char.IsDigit(text[0]), "no header: the first line is data");
        Assert.Equal(5_000, text.Split("\r\n").Length - 1);
        Assert.DoesNotContain("\n", text.Replace("\r\n", "", StringComparison.Ordinal), StringComparison.Ordinal);

        // The bundled file's ranges.
        Assert.InRange(data.Inputs.Column(0).Minimum(), 216, 2160);
        Assert.InRange(data.Inputs.Column(0).Maximum(), 216, 2160);
        Assert.InRange(data.Inputs.Column(1).Maximum(), 216, 7020);
        Assert.InRange(data.Inputs.Column(2).Maximum(), 3.86, 130.94);
        Assert.InRange(data.Inputs.Column(5).Minimum(), 1, 10);
        Assert.InRange(data.Inputs.Column(8).Maximum(), 0, 30);
        Assert.InRange(data.Inputs.Column(9).Maximum(), 0, 464);
    }

    [Fact]
    public void Synthetic_file_depends_on_the_seed_only()
    {
        var directory = TestFiles.NewDirectory();
        string Make(string name, ulong seed)
        {
            var path = Path.Combine(directory, name);
            AtomicFile.Write(path, stream => SyntheticCustomers.WriteCsv(stream, 300, seed)).Unwrap();
            return File.ReadAllText(path);
        }
        Assert.Equal(Make("a.csv", 4), Make("b.csv", 4));
        Assert.NotEqual(Make("a.csv", 4), Make("c.csv", 5));
    }

    [Fact]
    public void Synthetic_generator_rejects_a_negative_row_count()
    {
        Assert.NotNull(SyntheticCustomers.WriteCsv(Stream.Null, -1, 0));
    }
}
