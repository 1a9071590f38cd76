using System.Runtime.CompilerServices;
using Churn.Numerics.Model;

namespace Churn.Tests;

internal static class Reproducibility
{
    /// <summary>The test process trains networks too: it needs the math library in its reproducible mode, like <c>churn</c>.</summary>
    [ModuleInitializer]
    internal static void PinMathLibrary() => MathLibrary.PinReproducibleCodePath();
}
