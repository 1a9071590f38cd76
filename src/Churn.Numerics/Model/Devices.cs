namespace Churn.Numerics.Model;

/// <summary>Which compute devices work on this machine.</summary>
public static class Devices
{
    /// <summary>Proves <paramref name="device"/> ("cpu", "cuda", "mps") by running a real tensor operation on it.</summary>
    public static Result<string> Probe(string device) => throw new NotImplementedException();
}
