using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Model;

/// <summary>Copies of MathNet matrices in the row-major float32 layout torch tensors use.</summary>
internal static class RowMajor
{
    /// <summary>Rows <paramref name="firstRow"/>.. of <paramref name="matrix"/> as row-major floats into <paramref name="destination"/>.</summary>
    public static void CopyRows(Matrix<double> matrix, int firstRow, int rowCount, Span<float> destination)
    {
        var rows = matrix.RowCount;
        var columns = matrix.ColumnCount;
        // A dense matrix hands out its column-major storage without copying; read it, never write it.
        var storage = matrix.AsColumnMajorArray();
        if (storage is null)
        {
            for (var r = 0; r < rowCount; r++)
            {
                for (var c = 0; c < columns; c++)
                {
                    destination[(r * columns) + c] = (float)matrix.At(firstRow + r, c);
                }
            }
            return;
        }
        for (var c = 0; c < columns; c++)
        {
            var column = storage.AsSpan((c * rows) + firstRow, rowCount);
            for (var r = 0; r < column.Length; r++)
            {
                destination[(r * columns) + c] = (float)column[r];
            }
        }
    }

    /// <summary>The whole matrix as row-major floats.</summary>
    public static float[] Floats(Matrix<double> matrix)
    {
        var values = new float[matrix.RowCount * matrix.ColumnCount];
        CopyRows(matrix, 0, matrix.RowCount, values);
        return values;
    }
}
