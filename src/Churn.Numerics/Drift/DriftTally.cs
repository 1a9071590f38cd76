using System.Collections.Immutable;
using Churn.Numerics.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Drift;

/// <summary>
/// The drift of customers that stream past a chunk at a time: for each behaviour and the score, exact counts per bin
/// of the profile (so the PSI is that of the whole file) and a uniform sample of at most <see cref="SampleRows"/>
/// rows for the medians and 90th percentiles the report shows (exact up to that many rows; a seeded reservoir beyond,
/// so the same file always gives the same report). Mutable, but it lives inside one scoring and only the immutable
/// <see cref="DriftReport"/> it builds escapes.
/// </summary>
public sealed class DriftTally
{
    /// <summary>Rows whose values are kept for the quantiles.</summary>
    public const int SampleRows = 1 << 16;

    private const ulong SampleStream = 0xD21F_7000_0000_0007;

    private readonly DriftProfile _profile;
    private readonly double[][] _edges;
    private readonly long[][] _counts;
    private readonly double[][] _sample;
    private Xoshiro256 _random = new(SampleStream);
    private long _rows;

    public DriftTally(DriftProfile profile)
    {
        _profile = profile;
        var quantities = profile.Behaviours.Append(profile.Score).ToArray();
        _edges = [.. quantities.Select(q => q.Edges().ToArray())];
        _counts = [.. _edges.Select(e => new long[e.Length + 1])];
        _sample = [.. quantities.Select(_ => new double[SampleRows])];
    }

    /// <summary>Counts the raw behaviours <paramref name="inputs"/> (columns in the profile's order) and the uncalibrated <paramref name="scores"/> of the same rows.</summary>
    /// <exception cref="ArgumentException">The columns do not match the profile's behaviours (a bug: the model's own features are scored).</exception>
    public void Add(Matrix<double> inputs, IReadOnlyList<double> scores)
    {
        var behaviours = _profile.Behaviours.Length;
        if (inputs.ColumnCount != behaviours || scores.Count != inputs.RowCount)
        {
            throw new ArgumentException($"{inputs.ColumnCount} columns and {scores.Count} scores for a profile of {behaviours} behaviours and {inputs.RowCount} rows");
        }
        var storage = inputs.AsColumnMajorArray() ?? inputs.ToColumnMajorArray();
        var rows = inputs.RowCount;
        for (var r = 0; r < rows; r++)
        {
            // Algorithm R: row t replaces a random kept row with probability SampleRows / (t + 1).
            var slot = _rows < SampleRows ? (int)_rows : (long)(_random.NextDouble() * (_rows + 1)) is var j && j < SampleRows ? (int)j : -1;
            for (var q = 0; q <= behaviours; q++)
            {
                var value = q < behaviours ? storage[(q * rows) + r] : scores[r];
                _counts[q][DriftProfile.Bin(_edges[q], value)]++;
                if (slot >= 0)
                {
                    _sample[q][slot] = value;
                }
            }
            _rows++;
        }
    }

    /// <summary>The report of every row counted so far.</summary>
    public DriftReport Report()
    {
        var kept = (int)Math.Min(_rows, SampleRows);
        var quantities = _profile.Behaviours.Append(_profile.Score).ToArray();
        var lines = quantities.Select((q, i) =>
        {
            var shares = _counts[i].Select(c => _rows == 0 ? 0 : (double)c / _rows).ToArray();
            var psi = DriftCheck.Psi(q.Shares.AsSpan(), shares);
            var values = _sample[i][..kept];
            Array.Sort(values);
            return new DriftLine(q.Name, psi, DriftCheck.LevelOf(psi), q.Median, DriftProfile.Quantile(values, 0.5), q.Deciles[^1], DriftProfile.Quantile(values, 0.9));
        }).ToArray();
        var behaviours = ImmutableArray.Create(lines, 0, lines.Length - 1);
        return new DriftReport((int)Math.Min(_rows, int.MaxValue), _profile.Rows, lines.Max(l => l.Level), behaviours, lines[^1]);
    }
}
