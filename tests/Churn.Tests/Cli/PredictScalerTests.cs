using System.Globalization;

namespace Churn.Tests.Cli;

/// <summary>A model trained from <c>.npz</c> files without a recorded scaler, and what predict then asks for.</summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public class PredictScalerTests
{
    [Fact]
    public async Task Predict_refuses_raw_customers_for_a_model_without_a_scaler_unless_given_one_or_told_inputs_are_scaled()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "quick.json"), """{ "model": { "maxEpochs": 3 } }""");
        Assert.Equal(0, (await ChurnProcess.RunAsync(dir, "prepare", "--data", TestPaths.BundledData, "--out", "prepared")).ExitCode);
        Assert.Equal(0, (await ChurnProcess.RunAsync(dir, "train", "--npz", "prepared", "--out", "with-manifest", "--config", "quick.json")).ExitCode);
        File.Move(Path.Combine(dir, "prepared", "manifest.json"), Path.Combine(dir, "manifest.json"));
        var trained = await ChurnProcess.RunAsync(dir, "train", "--npz", "prepared", "--out", "without", "--config", "quick.json");
        Assert.True(trained.ExitCode == 0, trained.Stderr);

        var refused = await ChurnProcess.RunAsync(dir, "predict", "--model", "without/model", "--input", TestPaths.BundledData, "--output", "refused.csv");
        var scaled = await ChurnProcess.RunAsync(dir, "predict", "--model", "without/model", "--input", TestPaths.BundledData, "--scaler", "manifest.json", "--output", "scaled.csv");
        var reference = await ChurnProcess.RunAsync(dir, "predict", "--model", "with-manifest/model", "--input", TestPaths.BundledData, "--output", "reference.csv");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--scaler", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("--scaled-inputs", refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", refused.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "refused.csv")));
        Assert.True(scaled.ExitCode == 0, scaled.Stderr);
        Assert.True(reference.ExitCode == 0, reference.Stderr);

        // The same splits and seed train the same network: with the preparation's scaler it scores as the model that recorded it.
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "reference.csv")), File.ReadAllText(Path.Combine(dir, "scaled.csv")));
    }

    [Fact]
    public async Task Scaled_inputs_are_scored_as_they_are_negative_values_included()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "quick.json"), """{ "model": { "maxEpochs": 2 } }""");
        Assert.Equal(0, (await ChurnProcess.RunAsync(dir, "prepare", "--data", TestPaths.BundledData, "--out", "prepared")).ExitCode);
        File.Delete(Path.Combine(dir, "prepared", "manifest.json"));
        Assert.Equal(0, (await ChurnProcess.RunAsync(dir, "train", "--npz", "prepared", "--out", "t", "--config", "quick.json")).ExitCode);
        var rows = Enumerable.Range(1, 5).Select(i => string.Join(',', [i.ToString(CultureInfo.InvariantCulture), .. Enumerable.Range(0, 10).Select(f => ((f - 4.5) / 3).ToString("R", CultureInfo.InvariantCulture))]));
        File.WriteAllLines(Path.Combine(dir, "standardized.csv"), rows);

        var raw = await ChurnProcess.RunAsync(dir, "predict", "--model", "t/model", "--input", "standardized.csv");
        var asScaled = await ChurnProcess.RunAsync(dir, "predict", "--model", "t/model", "--input", "standardized.csv", "--scaled-inputs");
        var both = await ChurnProcess.RunAsync(dir, "predict", "--model", "t/model", "--input", "standardized.csv", "--scaled-inputs", "--scaler", "x.json");

        Assert.Equal(1, raw.ExitCode);
        Assert.True(asScaled.ExitCode == 0, asScaled.Stderr);
        Assert.Equal(6, asScaled.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(2, both.ExitCode);
    }
}
