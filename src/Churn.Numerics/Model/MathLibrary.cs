using System.Runtime.InteropServices;

namespace Churn.Numerics.Model;

/// <summary>
/// libtorch's CPU kernels call Intel MKL, which chooses among its code paths at run time. On an AVX-512 machine the
/// same training, run twice, gave losses differing in their last bits in about half the runs: enough to break a
/// leaderboard's exact ties and make a search's results depend on the run. MKL's conditional numerical
/// reproducibility mode (<c>MKL_CBWR=AUTO</c>) keeps one code path, so the same inputs give bit-identical results
/// in every run, at no measurable cost here. MKL reads the variable when it first initializes, so
/// <see cref="PinReproducibleCodePath"/> must run before the first tensor operation.
/// </summary>
public static class MathLibrary
{
    public const string Variable = "MKL_CBWR";

    /// <summary>Sets <c>MKL_CBWR=AUTO</c> for this process unless the user has set it already.</summary>
    public static void PinReproducibleCodePath()
    {
        if (Environment.GetEnvironmentVariable(Variable) is not null)
        {
            return;
        }
        if (OperatingSystem.IsWindows())
        {
            Environment.SetEnvironmentVariable(Variable, "AUTO");
        }
        else
        {
            // .NET keeps its own copy of the environment on Unix; native code reads libc's.
            _ = SetEnv(Variable, "AUTO", 0);
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
