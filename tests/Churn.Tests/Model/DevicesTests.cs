using Churn.Numerics;
using Churn.Numerics.Model;

namespace Churn.Tests.Model;

[Collection(TorchCollection.Name)]
public class DevicesTests
{
    [Theory]
    [InlineData("cpu")]
    [InlineData(" CPU ")]
    public void Cpu_is_proven_by_a_real_tensor_operation(string device)
    {
        Assert.Equal(Devices.Cpu, Assert.IsType<Result<string>.Ok>(Devices.Probe(device)).Value);
    }

    [Fact]
    public void Cuda_on_a_machine_without_a_gpu_is_a_problem_saying_so()
    {
        var problem = Assert.IsType<Result<string>.Error>(Devices.Probe("cuda")).Problem;
        Assert.Equal("CUDA is not available", problem.Reason);
        Assert.Equal("device", problem.Column);
    }

    [Fact]
    public void Mps_off_macos_is_a_problem_with_the_reason()
    {
        Assert.SkipWhen(OperatingSystem.IsMacOS(), "this machine may have MPS");
        var problem = Assert.IsType<Result<string>.Error>(Devices.Probe("mps")).Problem;
        Assert.StartsWith("MPS needs macOS on Apple silicon", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_device_is_a_problem_listing_the_known_ones()
    {
        var problem = Assert.IsType<Result<string>.Error>(Devices.Probe("tpu")).Problem;
        Assert.Contains("cpu, cuda or mps", problem.Reason, StringComparison.Ordinal);
    }
}
