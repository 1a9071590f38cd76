using System.Globalization;

namespace Churn.Numerics.Data;

/// <summary>Generates customer files of the bundled file's schema, for benchmarks and tests that need many rows.</summary>
public static class SyntheticCustomers
{
    private const double BuyerShare = 0.16;

    /// <summary>
    /// Writes <paramref name="rows"/> plausible customers (the bundled file's ranges, about 16 % buyers, unique IDs,
    /// CRLF, no header) to <paramref name="stream"/>, which the caller opened (<see cref="AtomicFile.Write(string, Func{Stream, Problem?})"/>
    /// for a file). The same seed gives the same bytes.
    /// </summary>
    public static Problem? WriteCsv(Stream stream, int rows, ulong seed)
    {
        if (rows < 0)
        {
            return new Problem($"cannot generate {rows} rows");
        }
        Generate(stream, rows, seed);
        return null;
    }

    private static void Generate(Stream stream, int rows, ulong seed)
    {
        var random = new Xoshiro256(SeededRandom.Derive(seed, SeededRandom.SyntheticStream));
        var buffer = new byte[1 << 16];
        var used = 0;
        Span<double> fields = stackalloc double[CustomerCsv.FieldsWithTarget];
        for (var row = 0; row < rows; row++)
        {
            Customer(ref random, row, fields);
            if (buffer.Length - used < 512)
            {
                stream.Write(buffer, 0, used);
                used = 0;
            }
            for (var f = 0; f < fields.Length; f++)
            {
                fields[f].TryFormat(buffer.AsSpan(used), out var written, default, CultureInfo.InvariantCulture);
                used += written;
                buffer[used++] = f == fields.Length - 1 ? (byte)'\r' : (byte)',';
            }
            buffer[used++] = (byte)'\n';
        }
        stream.Write(buffer, 0, used);
    }

    /// <summary>One customer in file order: ID, the ten features, target. Buyers listen more and come back later.</summary>
    private static void Customer(ref Xoshiro256 random, int row, Span<double> fields)
    {
        var buyer = random.NextDouble() < BuyerShare;
        var averageLength = 216.0 * (1 + random.NextBelow(10));
        var purchases = random.NextDouble() switch { < 0.85 => 1, < 0.95 => 2, _ => 3 };
        var averagePrice = Math.Round(3.86 + Math.Min(127.08, -8 * Math.Log(1 - random.NextDouble())), 2);
        var totalPrice = Math.Round(Math.Min(130.94, averagePrice * (1 + ((purchases - 1) * random.NextDouble()))), 2);
        var review = random.NextDouble() < 0.16 ? 1 : 0;
        var score = review == 1 || random.NextDouble() < 0.02 ? 1 + random.NextBelow(10) : 8.91;
        var completion = Math.Round(Math.Pow(random.NextDouble(), buyer ? 0.6 : 1.6), 2);
        var lastVisit = random.NextDouble() < (buyer ? 0.3 : 0.6) ? 0 : random.NextBelow(465);

        fields[0] = row + 1;
        fields[1] = averageLength;
        fields[2] = averageLength * purchases;
        fields[3] = averagePrice;
        fields[4] = totalPrice;
        fields[5] = review;
        fields[6] = score;
        fields[7] = completion;
        fields[8] = Math.Round(completion * averageLength, 1);
        fields[9] = random.NextDouble() < 0.92 ? 0 : 1 + random.NextBelow(30);
        fields[10] = lastVisit;
        fields[11] = buyer ? 1 : 0;
    }
}
