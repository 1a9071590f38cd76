namespace Churn.Numerics.Data;

/// <summary>
/// The rows of a customer file as its reader checks them (CSV or Parquet alike), collected into a
/// <see cref="Dataset"/>: the whole file when loading, or a chunk of a fixed number of rows handed on as soon as it is
/// full when streaming. Mutable, but it lives inside one read and only the immutable chunks escape.
/// </summary>
internal sealed class CustomerChunks(bool hasTargets, int capacity, Action<Dataset>? emit)
{
    private RowBuffer _rows = new(Schema.FeatureCount, hasTargets, capacity);

    /// <summary>Rows added so far, over every chunk.</summary>
    public long Total { get; private set; }

    /// <summary>The rows held (not yet handed on).</summary>
    public RowBuffer Held => _rows;

    /// <summary>Adds a checked row; a streamed chunk that fills up is handed on.</summary>
    public void Add(long id, ReadOnlySpan<double> features, int target)
    {
        _rows.Add(id, features, target);
        Total++;
        if (emit is not null && _rows.Count == capacity)
        {
            emit(_rows.Build());
            _rows = new RowBuffer(Schema.FeatureCount, hasTargets, capacity);
        }
    }

    /// <summary>
    /// The rows held: the whole file when loading; when streaming, the last (shorter) chunk is handed on and an empty
    /// dataset is the result.
    /// </summary>
    public Dataset Finish()
    {
        var rest = _rows.Build();
        if (emit is null)
        {
            return rest;
        }
        if (rest.Rows > 0)
        {
            emit(rest);
        }
        return rest with { Inputs = rest.Inputs.SubMatrix(0, 0, 0, rest.Inputs.ColumnCount) };
    }
}
