using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Churn.Numerics.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Model;

/// <summary>
/// Training customers in a seeded random order, in the network's input space (scaled as the model scales), saved
/// with the model so that its explanations can be reproduced without the training file. Any prefix of the order is
/// itself a random sample: explanations use the first <see cref="DefaultSize"/> rows unless asked for more.
/// </summary>
/// <param name="Seed">The seed the order was drawn with (the run's).</param>
/// <param name="Rows">The sampled rows, each as many values as the model has inputs.</param>
public sealed record BackgroundSample(
    ulong Seed,
    [property: JsonConverter(typeof(BackgroundSample.RowsConverter))] ImmutableArray<ImmutableArray<double>> Rows)
{
    /// <summary>Rows explanations use by default: see docs/explanations.md for how it was chosen.</summary>
    public const int DefaultSize = 100;

    /// <summary>Rows saved with a model: enough to double the default twice.</summary>
    public const int StoredSize = 4 * DefaultSize;

    /// <summary>
    /// The first <paramref name="size"/> rows (all of them when there are fewer) of a seeded random order of
    /// <paramref name="rows"/> (training customers, scaled).
    /// </summary>
    public static BackgroundSample Draw(Matrix<double> rows, ulong seed, int size = StoredSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var order = SeededRandom.PermutationArray(rows.RowCount, SeededRandom.Derive(seed, SeededRandom.BackgroundStream));
        var kept = order.Take(Math.Min(size, rows.RowCount));
        return new BackgroundSample(seed, [.. kept.Select(r => Enumerable.Range(0, rows.ColumnCount).Select(c => rows.At(r, c)).ToImmutableArray())]);
    }

    /// <summary>The first <paramref name="size"/> rows (all when there are fewer) as a new matrix.</summary>
    public Matrix<double> Take(int size)
    {
        var count = Math.Min(size, Rows.Length);
        var columns = Rows.IsEmpty ? 0 : Rows[0].Length;
        return Matrix<double>.Build.Dense(count, columns, (r, c) => Rows[r][c]);
    }

    /// <summary>Why the sample cannot serve a model of <paramref name="inputs"/> inputs, or null.</summary>
    internal Problem? Check(int inputs) =>
        Rows.IsDefaultOrEmpty ? new Problem("the background sample has no rows", Column: "background.rows")
        : Rows.Any(r => r.IsDefault || r.Length != inputs) ? new Problem($"every background row needs {inputs} values", Column: "background.rows")
        : Rows.Any(r => r.Any(v => !double.IsFinite(v))) ? new Problem("background values must be finite numbers", Column: "background.rows")
        : null;

    /// <summary>One row per line in the indented model.json, instead of one number per line.</summary>
    internal sealed class RowsConverter : JsonConverter<ImmutableArray<ImmutableArray<double>>>
    {
        public override ImmutableArray<ImmutableArray<double>> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            JsonSerializer.Deserialize<ImmutableArray<double>[]>(ref reader, options) is { } rows ? [.. rows] : default;

        public override void Write(Utf8JsonWriter writer, ImmutableArray<ImmutableArray<double>> value, JsonSerializerOptions options)
        {
            writer.WriteStartArray();
            // A raw value is written as given, so the line break and indentation an indented writer would add go first.
            var indent = options.WriteIndented ? "\n" + new string(' ', 2 * writer.CurrentDepth) : "";
            foreach (var row in value)
            {
                writer.WriteRawValue(indent + "[" + string.Join(",", row.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]", skipInputValidation: true);
            }
            writer.WriteEndArray();
        }
    }
}
