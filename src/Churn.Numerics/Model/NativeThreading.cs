using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Churn.Numerics.Model;

/// <summary>
/// libtorch's OpenMP threads spin-wait for work by default. With the product's small networks and another process
/// busy on the same cores, that spinning made a single epoch take seconds instead of milliseconds. Passive waiting
/// must be in the native environment before libgomp loads, which happens on the first tensor operation; .NET's
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach the native environment on Unix,
/// hence <c>setenv</c>. A value the user set is left alone.
/// </summary>
/// <remarks>
/// The same goes for MKL, which libtorch's CPU kernels call and which picks among its code paths at run time: on this
/// AVX-512 machine the same training, run twice, gave losses differing in their last bits in about half the runs,
/// enough to break a search leaderboard's exact ties between runs. Its conditional numerical reproducibility mode
/// (<c>MKL_CBWR=AUTO</c>) keeps one code path, so the same inputs give bit-identical results in every run, at no
/// measurable cost here.
/// </remarks>
internal static partial class NativeThreading
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "Must run before any code of this assembly can load libtorch.")]
    internal static void SetNativeEnvironment()
    {
        if (OperatingSystem.IsWindows())
        {
            Environment.SetEnvironmentVariable("MKL_CBWR", Environment.GetEnvironmentVariable("MKL_CBWR") ?? "AUTO");
        }
        else
        {
            _ = SetEnv("OMP_WAIT_POLICY", "PASSIVE", 0);
            _ = SetEnv("MKL_CBWR", "AUTO", 0);
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
