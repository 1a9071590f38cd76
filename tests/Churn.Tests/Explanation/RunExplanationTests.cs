using System.Collections.Immutable;
using System.Text.Json;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Explanation;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Explanation;

public class RunExplanationTests
{
    private static readonly ImmutableArray<string> Features = ["signal", "constant", "noise"];

    // Log-odds = signal + noise / 10: it uses the signal most, the noise a little and never the constant.
    private static ImmutableArray<double> LogOdds(Matrix<double> rows) => [.. Enumerable.Range(0, rows.RowCount).Select(i => rows[i, 0] + (rows[i, 2] / 10))];

    private static (Matrix<double> Rows, ImmutableArray<int> Targets) Population(int n, ulong seed)
    {
        var order = SeededRandom.Permutation(2 * n, seed);
        var rows = Matrix<double>.Build.Dense(n, 3, (i, c) => c switch
        {
            0 => (order[i] % 61 / 10.0) - 3,
            1 => 0.5,
            _ => (order[n + i] % 37 / 9.0) - 2,
        });
        return (rows, [.. Enumerable.Range(0, n).Select(i => rows[i, 0] > 1.2 ? 1 : 0)]);
    }

    private static ExplainedRun Explain(ulong seed, ExplainSettings? settings = null)
    {
        var (rows, targets) = Population(600, 1);
        var background = Population(40, 2).Rows;
        return RunExplanation.Explain(LogOdds, Scaler.Identity(Features), Features, rows, targets, 0.2, background, seed, settings ?? new ExplainSettings(Customers: 120, Background: 40));
    }

    [Fact]
    public void The_log_odds_of_a_run_are_the_calibrated_probabilitys()
    {
        var model = Churn.Tests.Model.HandModels.SigmoidOfFirstInput();
        var calibration = new Calibration(CalibrationMethod.Platt, 0.5, 0.2, 0.8, -0.3);
        var rows = Population(20, 3).Rows;
        var logOdds = RunExplanation.LogOdds(model, calibration)(rows);
        var p = calibration.Apply(Churn.Numerics.Model.Scoring.Probabilities(model, rows));
        Assert.All(Enumerable.Range(0, 20), i => Assert.Equal(p[i], Calibration.Sigmoid(logOdds[i]), 12));
    }

    [Fact]
    public void The_same_seed_gives_identical_explanations_and_another_seed_another_sample()
    {
        var a = JsonSerializer.Serialize(Explain(7).Summary, JsonFormat.Options);
        var b = JsonSerializer.Serialize(Explain(7).Summary, JsonFormat.Options);
        var c = JsonSerializer.Serialize(Explain(8).Summary, JsonFormat.Options);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void The_behaviour_the_model_uses_ranks_first_rising_and_a_constant_one_ranks_last_with_nothing()
    {
        var run = Explain(3);
        var s = run.Summary;
        Assert.Equal(["signal", "noise", "constant"], s.Behaviours.Select(b => b.Feature));
        Assert.True(s.Behaviours[0].MeanAbsContribution > 1);
        Assert.InRange(s.Behaviours[1].MeanAbsContribution, 0.01, 0.5);
        var constant = s.Behaviours[2];
        Assert.Equal((0.0, 0.0, 0.0, 3), (constant.MeanAbsContribution, constant.Low, constant.High, constant.Rank));
        Assert.All(run.Contributions.Column(1), c => Assert.Equal(0, c));

        var signal = s.Behaviours[0];
        Assert.Equal(TrendShape.Rises, signal.Trend.Shape);
        Assert.StartsWith("Customers with a higher signal buy again more often", signal.Trend.Sentence, StringComparison.Ordinal);
        Assert.Equal(signal.Trend.Sentence, s.Sentences[0]);
        // The dependence curve of a model linear in the signal: the contribution grows with the value.
        Assert.Equal(signal.Dependence.Mean.Order(), signal.Dependence.Mean);
        Assert.Equal(s.Customers, signal.Dependence.Customers.Sum());
        Assert.Equal(Calibration.Sigmoid(s.BaseLogOdds), s.BaseProbability, 12);
    }

    [Fact]
    public void Customers_are_drawn_in_the_populations_mix_and_the_ice_lines_are_bounded()
    {
        var (_, targets) = Population(600, 1);
        var drawn = RunExplanation.Draw(targets, 0.2, 100, seed: 4);
        Assert.Equal(100, drawn.Length);
        Assert.Equal(20, drawn.Count(i => targets[i] == 1));
        Assert.Equal(drawn.Order(), drawn);
        Assert.Equal(drawn.Length, drawn.Distinct().Count());

        var run = Explain(5, new ExplainSettings(Customers: 50, Background: 40, IceLines: 7));
        Assert.Equal(50, run.Summary.Customers);
        Assert.All(run.Summary.Behaviours, b => Assert.Equal(7, b.PartialDependence.Ice.Length));
    }
}
