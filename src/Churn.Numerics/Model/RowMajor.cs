using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Model;

/// <summary>Copies of MathNet matrices in the row-major float32 layout torch tensors use.</summary>
internal static class RowMajor
{
    /// <summary>The whole matrix as row-major floats, read column by column from its storage.</summary>
    public static float[] Floats(Matrix<double> matrix)
    {
        var rows = matrix.RowCount;
        var columns = matrix.ColumnCount;
        var values = new float[rows * columns];
        // A dense matrix hands out its column-major storage without copying; it is only read.
        var storage = matrix.AsColumnMajorArray();
        for (var c = 0; c < columns; c++)
        {
            for (var r = 0; r < rows; r++)
            {
                values[(r * columns) + c] = (float)(storage is null ? matrix.At(r, c) : storage[(c * rows) + r]);
            }
        }
        return values;
    }
}
