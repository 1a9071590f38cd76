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

        var refused = await ChurnProcess.RunAsync(dir, "predict", "--base-rate", "0.2", "--model", "without/model", "--input", TestPaths.BundledData, "--output", "refused.csv");
        var scaled = await ChurnProcess.RunAsync(dir, "predict", "--base-rate", "0.2", "--model", "without/model", "--input", TestPaths.BundledData, "--scaler", "manifest.json", "--output", "scaled.csv");
        var reference = await ChurnProcess.RunAsync(dir, "predict", "--base-rate", "0.2", "--model", "with-manifest/model", "--input", TestPaths.BundledData, "--output", "reference.csv");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--scaler", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("--scaled-inputs", refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", refused.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "refused.csv")));
        Assert.True(scaled.ExitCode == 0, scaled.Stderr);
        Assert.True(reference.ExitCode == 0, reference.Stderr);

        // The same splits and seed train the same network: with the preparation's scaler it scores as the model that
        // recorded it (the network's own score; the calibrated one also depends on what each model knows of its population).
        static string[] Uncalibrated(string file) => [.. File.ReadAllLines(file).Select(l => string.Join(',', l.Split(',')[0], l.Split(',')[2]))];
        Assert.Equal(Uncalibrated(Path.Combine(dir, "reference.csv")), Uncalibrated(Path.Combine(dir, "scaled.csv")));

        // A campaign plan scores the same way, so it asks the same, and with the scaler it plans on those same scores.
        var targetRefused = await ChurnProcess.RunAsync(dir, "target", "--base-rate", "0.2", "--model", "without/model", "--input", TestPaths.BundledData, "--output", "plan-refused/contacts.csv");
        var targetScaled = await ChurnProcess.RunAsync(dir, "target", "--base-rate", "0.2", "--model", "without/model", "--input", TestPaths.BundledData, "--scaler", "manifest.json", "--output", "plan/contacts.csv");
        Assert.Equal(1, targetRefused.ExitCode);
        Assert.Contains("--scaled-inputs", targetRefused.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "plan-refused")));
        Assert.True(targetScaled.ExitCode == 0, targetScaled.Stderr);
        static Dictionary<string, string> Probabilities(string file) => File.ReadLines(file).Skip(1).ToDictionary(l => l.Split(',')[0], l => l.Split(',')[1]);
        var planned = Probabilities(Path.Combine(dir, "plan", "contacts.csv"));
        Assert.Equal(Probabilities(Path.Combine(dir, "scaled.csv")).OrderBy(p => p.Key), planned.OrderBy(p => p.Key));
        Assert.True(planned.Count > 1000, $"{planned.Count} customers planned");
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

        var raw = await ChurnProcess.RunAsync(dir, "predict", "--base-rate", "0.2", "--model", "t/model", "--input", "standardized.csv");
        var asScaled = await ChurnProcess.RunAsync(dir, "predict", "--base-rate", "0.2", "--model", "t/model", "--input", "standardized.csv", "--scaled-inputs");
        var both = await ChurnProcess.RunAsync(dir, "predict", "--base-rate", "0.2", "--model", "t/model", "--input", "standardized.csv", "--scaled-inputs", "--scaler", "x.json");

        var targetRaw = await ChurnProcess.RunAsync(dir, "target", "--base-rate", "0.2", "--model", "t/model", "--input", "standardized.csv");
        var targetScaled = await ChurnProcess.RunAsync(dir, "target", "--base-rate", "0.2", "--model", "t/model", "--input", "standardized.csv", "--scaled-inputs", "--budget", "2");
        var targetBoth = await ChurnProcess.RunAsync(dir, "target", "--base-rate", "0.2", "--model", "t/model", "--input", "standardized.csv", "--scaled-inputs", "--scaler", "x.json");

        Assert.Equal(1, raw.ExitCode);
        Assert.True(asScaled.ExitCode == 0, asScaled.Stderr);
        Assert.Equal(6, asScaled.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(2, both.ExitCode);
        Assert.Equal(1, targetRaw.ExitCode);
        Assert.Contains("--scaled-inputs", targetRaw.Stderr, StringComparison.Ordinal);
        Assert.True(targetScaled.ExitCode == 0, targetScaled.Stderr);
        var plan = targetScaled.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, plan.Length);
        Assert.Equal(2, plan.Skip(1).Count(line => line.EndsWith(",1", StringComparison.Ordinal)));
        Assert.Equal(2, targetBoth.ExitCode);
    }

    [Fact]
    public async Task The_target_endpoint_refuses_raw_customers_for_a_model_without_a_scaler_and_scores_scaled_ones()
    {
        // A CLI run recorded in the store a host then serves: trained from splits whose manifest is gone (so the
        // population's buying rate is given too).
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "quick.json"), """{ "model": { "maxEpochs": 2 } }""");
        Assert.Equal(0, (await ChurnProcess.RunAsync(dir, "prepare", "--data", TestPaths.BundledData, "--out", "prepared", "--no-store")).ExitCode);
        File.Delete(Path.Combine(dir, "prepared", "manifest.json"));
        var trained = await ChurnProcess.RunAsync(dir, "train", "--npz", "prepared", "--out", "t", "--config", "quick.json", "--store", Path.Combine(dir, "runs", "churn.db"));
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        var id = System.Text.RegularExpressions.Regex.Match(trained.Stderr, @"churn train: run (\S+), recorded").Groups[1].Value;
        Assert.NotEmpty(id);
        var standardized = string.Join("\n", Enumerable.Range(1, 5).Select(i => string.Join(',', [i.ToString(CultureInfo.InvariantCulture), .. Enumerable.Range(0, 10).Select(f => ((f - 4.5) / 3).ToString("R", CultureInfo.InvariantCulture))]))) + "\n";

        await using var host = await Churn.Tests.Host.TestHost.StartAsync(directory: dir);
        async Task<(System.Net.HttpStatusCode Status, System.Text.Json.Nodes.JsonNode Body)> PostAsync(string body, string contentType = "application/json")
        {
            using var content = new StringContent(body, System.Text.Encoding.UTF8);
            content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
            using var response = await host.Http.PostAsync($"runs/{id}/target", content, TestContext.Current.CancellationToken);
            return (response.StatusCode, System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!);
        }
        var customers = System.Text.Json.JsonSerializer.Serialize(standardized);

        var raw = await PostAsync($$"""{"customers": {{customers}}, "baseRate": 0.2}""");
        var scaled = await PostAsync($$"""{"customers": {{customers}}, "baseRate": 0.2, "scaledInputs": true, "budget": 2}""");
        var charset = await PostAsync($$"""{"customers": {{customers}}, "baseRate": 0.2, "scaledInputs": true}""", "application/json; charset=utf-8");
        var plain = await PostAsync($$"""{"customers": {{customers}}, "baseRate": 0.2, "scaledInputs": true}""", "text/plain");

        Assert.Equal(System.Net.HttpStatusCode.Conflict, raw.Status);
        Assert.Equal("scaledInputs", raw.Body["field"]!.GetValue<string>());
        Assert.Contains("no scaler", raw.Body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(dir, raw.Body.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.OK, scaled.Status);
        Assert.Equal(5, scaled.Body["rows"]!.AsArray().Count);
        Assert.Equal(2, scaled.Body["summary"]!["contacted"]!.GetValue<int>());
        Assert.Equal(System.Net.HttpStatusCode.OK, charset.Status);
        Assert.Equal(System.Net.HttpStatusCode.UnsupportedMediaType, plain.Status);
    }
}
