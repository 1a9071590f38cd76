using Churn.Numerics.Model;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Model;

[Collection(TorchCollection.Name)]
public class ScoringTests
{
    [Fact]
    public void Probabilities_are_the_softmax_of_the_buyer_logit()
    {
        var inputs = Matrix<double>.Build.DenseOfArray(new double[,] { { 0, 5, 5 }, { 2, 0, 0 }, { -1, 9, -9 }, { 30, 0, 0 }, { -30, 0, 0 } });
        var probabilities = Scoring.Probabilities(HandModels.SigmoidOfFirstInput(), inputs);
        double[] expected = [.. Enumerable.Range(0, 5).Select(r => 1 / (1 + Math.Exp(-inputs[r, 0])))];
        Assert.Equal(expected, probabilities, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Scoring_many_rows_gives_each_row_the_same_probability_as_scoring_it_alone()
    {
        var model = HandModels.SigmoidOfFirstInput();
        var rows = 70_003;
        var inputs = Matrix<double>.Build.Dense(rows, 3, (r, c) => c == 0 ? ((r % 1000) - 500) / 100.0 : r);
        var all = Scoring.Probabilities(model, inputs);
        Assert.Equal(rows, all.Length);
        foreach (var r in new[] { 0, 1, 777, 4095, 4096, 65_536, rows - 1 })
        {
            Assert.Equal(all[r], Scoring.Probabilities(model, inputs.SubMatrix(r, 1, 0, 3))[0]);
        }
    }

    [Fact]
    public void No_rows_give_no_probabilities()
    {
        Assert.Empty(Scoring.Probabilities(HandModels.SigmoidOfFirstInput(), Matrix<double>.Build.Dense(0, 3)));
    }

    [Fact]
    public void Inputs_with_the_wrong_number_of_columns_are_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => Scoring.Probabilities(HandModels.SigmoidOfFirstInput(), Matrix<double>.Build.Dense(2, 4)));
        Assert.Contains("3 inputs", error.Message, StringComparison.Ordinal);
    }
}
