using MathNet.Numerics.LinearAlgebra;

namespace Churn.Numerics.Data;

/// <summary>Standardization to mean 0 and population standard deviation 1 per feature.</summary>
public static class Scaler
{
    public static ScalerParameters Fit(Matrix<double> inputs) => throw new NotImplementedException();

    /// <summary>A new matrix; <paramref name="inputs"/> is left as it was.</summary>
    public static Matrix<double> Apply(ScalerParameters parameters, Matrix<double> inputs) => throw new NotImplementedException();

    /// <summary>Fits on <paramref name="data"/> and returns the standardized copy with the parameters.</summary>
    public static (Dataset Scaled, ScalerParameters Parameters) FitApply(Dataset data) => throw new NotImplementedException();
}
