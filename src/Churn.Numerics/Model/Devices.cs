using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Churn.Numerics.Model;

/// <summary>Which torch devices this machine can really use.</summary>
public static class Devices
{
    public const string Cpu = "cpu";
    public const string Cuda = "cuda";
    public const string Mps = "mps";

    /// <summary>
    /// Proves <paramref name="device"/> (<c>cpu</c>, <c>cuda</c> or <c>mps</c>, any case) by running a small matrix
    /// product on it and checking the answer; returns the device's canonical name, or a <see cref="Problem"/> (column
    /// <c>device</c>) saying why it cannot be used. Availability flags alone are not trusted: <c>mps_is_available</c>
    /// only says the OS is macOS on ARM64, and a CUDA driver can be present with an unusable GPU.
    /// </summary>
    public static Result<string> Probe(string device)
    {
        var name = device.Trim().ToLowerInvariant();
        switch (name)
        {
            case Cpu:
                break;
            case Cuda when !cuda.is_available():
                return Unusable("CUDA is not available");
            case Cuda:
                break;
            case Mps when !OperatingSystem.IsMacOS() || RuntimeInformation.ProcessArchitecture != Architecture.Arm64:
                return Unusable($"MPS needs macOS on Apple silicon; this is {RuntimeInformation.OSDescription} on {RuntimeInformation.ProcessArchitecture}");
            case Mps when !mps_is_available():
                return Unusable("MPS is not available in this build of libtorch");
            case Mps:
                break;
            default:
                return Unusable($"unknown device '{device}'; expected cpu, cuda or mps");
        }
        try
        {
            using var scope = NewDisposeScope();
            // [[1,2],[3,4]] squared is [[7,10],[15,22]], which sums to 54: a device that computes garbage fails too.
            var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2], device: ToTorchDevice(name));
            var sum = a.matmul(a).sum().cpu().item<float>();
            return sum == 54f ? Result.Ok(name) : Unusable($"{name} computed a wrong test product ({sum} instead of 54)");
        }
        catch (Exception e)
        {
            return Unusable($"{name} failed a test tensor operation: {e.Message}");
        }
    }

    /// <summary>The torch device for a canonical name returned by <see cref="Probe"/>.</summary>
    internal static Device ToTorchDevice(string name) => name switch
    {
        Cuda => CUDA,
        Mps => MPS,
        _ => CPU,
    };

    private static Result<string> Unusable(string reason) => Result.Fail<string>(reason, column: "device");
}
