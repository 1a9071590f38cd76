using System.Globalization;
using System.Text.Json;

namespace Churn.Tests.Cli;

/// <summary>What <c>churn drift</c>, <c>predict</c> and <c>target</c> say about customers that moved from a model's training customers.</summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public class DriftCliTests
{
    [Fact]
    public async Task Scoring_minutes_in_hours_raises_the_alarm_in_drift_predict_and_target_json_and_the_training_file_raises_none()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "quick.json"), """{ "model": { "maxEpochs": 2 } }""");
        var trained = await ChurnProcess.RunAsync(dir, "run", "--data", TestPaths.BundledData, "--out", "out", "--config", "quick.json", "--no-store");
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        // minutes_listened is field 9 (the ID, then the 8th behaviour).
        File.WriteAllLines(Path.Combine(dir, "hours.csv"), File.ReadLines(TestPaths.BundledData).Select(line =>
        {
            var fields = line.Split(',');
            fields[8] = (double.Parse(fields[8], CultureInfo.InvariantCulture) / 60).ToString("R", CultureInfo.InvariantCulture);
            return string.Join(',', fields);
        }));

        var report = await ChurnProcess.RunAsync(dir, "drift", "--model", "out/model", "--input", "hours.csv");
        var same = await ChurnProcess.RunAsync(dir, "drift", "--model", "out/model", "--input", TestPaths.BundledData);
        var predicted = await ChurnProcess.RunAsync(dir, "predict", "--model", "out/model", "--input", "hours.csv", "--output", "scores.csv");
        var planned = await ChurnProcess.RunAsync(dir, "target", "--model", "out/model", "--input", "hours.csv", "--output", "plan/contacts.csv", "--json");
        var quiet = await ChurnProcess.RunAsync(dir, "predict", "--model", "out/model", "--input", TestPaths.BundledData, "--output", "same.csv");

        Assert.True(report.ExitCode == 0, report.Stderr);
        Assert.StartsWith("drift of 14,084 customers", report.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"minutes_listened +[0-9.]+  ALARM", report.Stdout);
        Assert.Matches(@"book_length_avg_min +0\.000  stable", report.Stdout);
        Assert.Contains(": stable", same.Stdout.Split('\n')[0], StringComparison.Ordinal);
        Assert.DoesNotContain("ALARM", same.Stdout, StringComparison.Ordinal);

        Assert.True(predicted.ExitCode == 0, predicted.Stderr);
        Assert.Contains("churn predict: drift alarm", predicted.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"ALARM +minutes_listened: median 0 -> 0, 90th percentile [0-9,]+ -> [0-9.]+; PSI [0-9.]+", predicted.Stderr);
        Assert.DoesNotContain("drift", quiet.Stderr, StringComparison.Ordinal);

        Assert.True(planned.ExitCode == 0, planned.Stderr);
        using var json = JsonDocument.Parse(planned.Stdout);
        var drift = json.RootElement.GetProperty("drift");
        Assert.Equal("alarm", drift.GetProperty("level").GetString());
        Assert.Equal("minutes_listened", drift.GetProperty("moved")[0].GetProperty("name").GetString());
        Assert.True(json.RootElement.GetProperty("contacted").GetInt32() > 0);
    }

    [Fact]
    public async Task A_model_saved_before_drift_profiles_scores_as_before_and_says_drift_is_not_checked()
    {
        var dir = TestPaths.NewTempDirectory();
        var fixture = TestPaths.ModelV1;

        var predicted = await ChurnProcess.RunAsync(dir, "predict", "--base-rate", "0.2", "--model", fixture, "--input", TestPaths.BundledData, "--output", "scores.csv");
        var report = await ChurnProcess.RunAsync(dir, "drift", "--model", fixture, "--input", TestPaths.BundledData);

        Assert.True(predicted.ExitCode == 0, predicted.Stderr);
        Assert.Contains("no drift profile", predicted.Stderr, StringComparison.Ordinal);
        Assert.Equal(14_085, File.ReadLines(Path.Combine(dir, "scores.csv")).Count());
        Assert.Equal(0, report.ExitCode);
        Assert.Contains("no drift profile", report.Stdout, StringComparison.Ordinal);
    }
}
