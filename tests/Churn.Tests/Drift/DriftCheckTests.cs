using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Drift;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Drift;

/// <summary>Population stability of the bundled customers, shifted as real exports shift, against a real model's profile.</summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public class DriftCheckTests
{
    private static readonly Lazy<(ModelArtifact Model, Dataset Customers)> Trained = new(() =>
    {
        var fixture = TestPaths.ModelV1;
        var model = ModelArtifact.Load(fixture).Unwrap();
        var customers = CustomerCsv.Load(TestPaths.BundledData).Unwrap().Data;
        return (model with { Drift = model.DriftOf(customers) }, customers);
    });

    private static DriftReport Check(Dataset customers)
    {
        var (model, _) = Trained.Value;
        var scores = model.Score(customers).Unwrap();
        return DriftCheck.Compare(model.Drift!, customers.Inputs, scores.Raw);
    }

    private static Dataset Rows(Dataset data, IEnumerable<int> rows)
    {
        var kept = rows.ToArray();
        return new Dataset([.. kept.Select(r => data.Ids[r])], Matrix<double>.Build.DenseOfRowVectors(kept.Select(data.Inputs.Row)), [.. kept.Select(r => data.Targets[r])]);
    }

    [Fact]
    public void Minutes_listened_in_hours_instead_of_minutes_raises_the_alarm_naming_it()
    {
        var (_, customers) = Trained.Value;
        var column = Schema.FeatureNames.IndexOf("minutes_listened");
        var hours = customers with { Inputs = customers.Inputs.MapIndexed((_, c, v) => c == column ? v / 60 : v) };

        var report = Check(hours);

        Assert.Equal(DriftLevel.Alarm, report.Level);
        var moved = report.Moved[0];
        Assert.Equal("minutes_listened", moved.Name);
        Assert.Equal(DriftLevel.Alarm, moved.Level);
        Assert.True(moved.P90 < moved.TrainingP90 / 50, moved.Describe());
        Assert.StartsWith("minutes_listened: median ", moved.Describe(), StringComparison.Ordinal);
        Assert.Matches(@"; PSI [0-9]+\.[0-9]{2}$", moved.Describe());
        // The other behaviours did not change.
        Assert.All(report.Behaviours.Where(b => b.Name != "minutes_listened"), b => Assert.Equal(0, b.Psi, 12));
    }

    [Fact]
    public void Removing_the_customers_who_left_a_review_moves_the_review_flag_past_the_alarm()
    {
        var (_, customers) = Trained.Value;
        var review = Schema.FeatureNames.IndexOf("review");
        var report = Check(Rows(customers, Enumerable.Range(0, customers.Rows).Where(r => customers.Inputs[r, review] == 0)));

        Assert.Equal(DriftLevel.Alarm, report.Level);
        Assert.Contains(report.Moved, l => l.Name == "review" && l.Level == DriftLevel.Alarm);
        Assert.DoesNotContain(report.Moved, l => l.Name is "book_length_avg_min" or "price_avg");
    }

    [Fact]
    public void The_training_customers_themselves_show_no_drift_at_all()
    {
        var (_, customers) = Trained.Value;
        var report = Check(customers);

        Assert.Equal(DriftLevel.Stable, report.Level);
        Assert.Empty(report.Moved);
        Assert.All(report.Behaviours.Append(report.Score), l => Assert.Equal(0, l.Psi, 12));
        Assert.All(report.Behaviours.Append(report.Score), l => Assert.Equal(l.TrainingMedian, l.Median, 9));
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void A_random_half_of_the_training_customers_raises_no_warning(ulong seed)
    {
        var (_, customers) = Trained.Value;
        var half = SeededRandom.SampleWithoutReplacement(customers.Rows, customers.Rows / 2, seed);
        var report = Check(Rows(customers, half));

        Assert.Equal(DriftLevel.Stable, report.Level);
        Assert.All(report.Behaviours.Append(report.Score), l => Assert.True(l.Psi < 0.02, l.Describe()));
    }

    [Fact]
    public void Psi_is_the_sum_of_share_differences_times_their_log_ratio_with_empty_bins_floored()
    {
        Assert.Equal(0, DriftCheck.Psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]), 15);
        Assert.Equal((-0.25 * Math.Log(0.5)) + (0.25 * Math.Log(1.5)), DriftCheck.Psi([0.5, 0.5], [0.25, 0.75]), 12);
        // A bin the training customers never reached counts as a ten-thousandth, not as infinitely surprising.
        Assert.Equal(((0.5 - 1e-4) * Math.Log(0.5 / 1e-4)) + ((0.5 - 1) * Math.Log(0.5)), DriftCheck.Psi([0, 1], [0.5, 0.5]), 12);
        Assert.Equal(DriftLevel.Stable, DriftCheck.LevelOf(0.1));
        Assert.Equal(DriftLevel.Warning, DriftCheck.LevelOf(0.11));
        Assert.Equal(DriftLevel.Alarm, DriftCheck.LevelOf(0.26));
    }

    [Fact]
    public void Profile_keeps_numpy_deciles_and_the_share_of_customers_in_each_distinct_bin()
    {
        // Seven zeros and three larger values: the deciles repeat 0, so there are four bins, not ten.
        var profile = DriftProfile.Of(["x"], Matrix<double>.Build.DenseOfColumnArrays(new double[] { 0, 0, 0, 0, 0, 0, 0, 10, 20, 30 }), [.. Enumerable.Repeat(0.5, 10)]);
        var x = profile.Behaviours[0];

        Assert.Equal(new double[] { 0, 0, 0, 0, 0, 0, 3, 12, 21 }, x.Deciles.Select(d => Math.Round(d, 9)));
        Assert.Equal(new double[] { 0, 3, 12, 21 }, x.Edges().Select(d => Math.Round(d, 9)));
        Assert.Equal(new[] { 0.7, 0, 0.1, 0.1, 0.1 }, x.Shares.Select(v => Math.Round(v, 12)));
        Assert.Equal(new[] { 0.5 }, profile.Score.Edges());
        Assert.Equal(new[] { 1.0, 0 }, profile.Score.Shares);
        Assert.Null(profile.Check(["x"]));
        Assert.NotNull(profile.Check(["y"]));
    }

    [Fact]
    public void A_saved_model_keeps_its_profile_and_one_saved_before_profiles_loads_without_one()
    {
        var (model, _) = Trained.Value;
        var fixture = TestPaths.ModelV1;
        Assert.Null(ModelArtifact.Load(fixture).Unwrap().Drift);

        var dir = TestPaths.NewTempDirectory();
        ModelArtifact.Save(dir, model).Unwrap();
        var reloaded = ModelArtifact.Load(dir).Unwrap().Drift!;

        Assert.Equal(model.Drift!.Rows, reloaded.Rows);
        Assert.Equal(model.Drift.Behaviours.Select(b => b.Deciles.ToArray()), reloaded.Behaviours.Select(b => b.Deciles.ToArray()));
        Assert.Equal(model.Drift.Score.Shares.ToArray(), reloaded.Score.Shares.ToArray());
    }
}
