namespace Churn.Numerics.Data;

/// <summary>numpy's <c>.npz</c> format: arrays <c>inputs</c> (float64, n x 10) and <c>targets</c> (int64, n).</summary>
public static class Npz
{
    /// <summary>Writes atomically: a reader never sees a half-written file and an existing file survives a failure.</summary>
    public static Result<string> Write(string path, Dataset data) => throw new NotImplementedException();

    /// <summary>Reads files written by <see cref="Write"/>, <c>np.savez</c> and <c>np.savez_compressed</c>.</summary>
    public static Result<Dataset> Read(string path) => throw new NotImplementedException();
}
