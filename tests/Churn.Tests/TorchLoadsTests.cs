using TorchSharp;

namespace Churn.Tests;

public class TorchLoadsTests
{
    [Fact]
    public void Torch_creates_a_tensor_and_runs_a_linear_forward_pass()
    {
        torch.manual_seed(1);
        using var linear = torch.nn.Linear(10, 2);
        using var x = torch.ones(4, 10);
        using var y = linear.forward(x);
        Assert.Equal(new long[] { 4, 2 }, y.shape);
        var values = y.data<float>().ToArray();
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
        // Same input rows through the same weights give the same outputs.
        Assert.Equal(values[0], values[2]);
    }
}
