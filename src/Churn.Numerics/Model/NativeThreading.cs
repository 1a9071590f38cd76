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
internal static partial class NativeThreading
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "Must run before any code of this assembly can load libtorch.")]
    internal static void PreferPassiveWaiting()
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = SetEnv("OMP_WAIT_POLICY", "PASSIVE", 0);
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
