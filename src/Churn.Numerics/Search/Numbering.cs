using System.Text.Json;
using System.Text.Json.Serialization;

namespace Churn.Numerics.Search;

/// <summary>
/// Trials, configurations, seeds, rungs and ranks are numbered from 1 wherever people see them: the console, the logs,
/// <c>leaderboard.csv</c>, <c>search.json</c>, <c>--json</c>, the API and the dashboard (trial 1 is the first trial,
/// rank 1 the best). The code keeps them as positions from 0, the indices of the arrays they live in; this is the one
/// place the two meet.
/// </summary>
public static class Numbering
{
    /// <summary>The number people see for the position <paramref name="position"/> (0 → 1).</summary>
    public static int Number(int position) => position + 1;

    /// <summary>The position a number people use stands for (1 → 0).</summary>
    public static int Position(int number) => number - 1;

    /// <summary>
    /// Writes a position as its number and reads a number back as its position, so a record that holds positions
    /// serializes as people count and a JSON document read back gives the same record.
    /// </summary>
    public sealed class FromOne : JsonConverter<int>
    {
        public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Position(reader.GetInt32());

        public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options) =>
            writer.WriteNumberValue(Number(value));
    }
}
