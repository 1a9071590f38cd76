using System.Text.Json;

namespace Churn.Tests.Cli;

/// <summary>The model registry from the command line: register, promote, score by name, roll back, survive the run's folder being deleted.</summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public class ModelRegistryCliTests
{
    [Fact]
    public async Task Scoring_by_name_uses_the_production_version_every_scoring_is_recorded_and_production_survives_deleting_the_runs_folder()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "quick.json"), """{ "model": { "maxEpochs": 2 } }""");
        string[] store = ["--store", "store/churn.db"];
        var trained = await ChurnProcess.RunAsync(dir, ["run", "--data", TestPaths.BundledData, "--out", "out", "--config", "quick.json", .. store]);
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        using var runs = JsonDocument.Parse((await ChurnProcess.RunAsync(dir, ["runs", "--json", .. store])).Stdout);
        var runId = runs.RootElement.GetProperty("runs")[0].GetProperty("id").GetString()!;
        var fixture = TestPaths.ModelV1;

        var first = await ChurnProcess.RunAsync(dir, ["models", "register", "--run", runId, "--name", "weekly", .. store]);
        var second = await ChurnProcess.RunAsync(dir, ["models", "register", "--model", fixture, "--name", "weekly", .. store]);
        var unpromoted = await ChurnProcess.RunAsync(dir, ["predict", "--model", "weekly", "--input", TestPaths.BundledData, "--base-rate", "0.2", "--output", "none.csv", .. store]);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Equal(1, unpromoted.ExitCode);
        Assert.Contains("no production version", unpromoted.Stderr, StringComparison.Ordinal);

        Assert.Equal(0, (await ChurnProcess.RunAsync(dir, ["models", "promote", "weekly@1", .. store])).ExitCode);
        var byName = await ChurnProcess.RunAsync(dir, ["predict", "--model", "weekly", "--input", TestPaths.BundledData, "--base-rate", "0.2", "--output", "v1.csv", .. store]);
        var byFolder = await ChurnProcess.RunAsync(dir, ["predict", "--model", "out/model", "--input", TestPaths.BundledData, "--base-rate", "0.2", "--output", "folder.csv", .. store]);
        Assert.Equal(0, (await ChurnProcess.RunAsync(dir, ["models", "promote", "weekly@2", .. store])).ExitCode);
        var planned = await ChurnProcess.RunAsync(dir, ["target", "--model", "weekly", "--input", TestPaths.BundledData, "--base-rate", "0.2", "--output", "plan/contacts.csv", .. store]);
        var rolledBack = await ChurnProcess.RunAsync(dir, ["models", "rollback", "weekly", .. store]);
        Directory.Delete(Path.Combine(dir, "out"), recursive: true);
        var afterDelete = await ChurnProcess.RunAsync(dir, ["predict", "--model", "weekly", "--input", TestPaths.BundledData, "--base-rate", "0.2", "--output", "again.csv", .. store]);
        var missingVersion = await ChurnProcess.RunAsync(dir, ["predict", "--model", "weekly@7", "--input", TestPaths.BundledData, "--output", "x.csv", .. store]);

        Assert.True(byName.ExitCode == 0, byName.Stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "folder.csv")), File.ReadAllBytes(Path.Combine(dir, "v1.csv")));
        Assert.True(planned.ExitCode == 0, planned.Stderr);
        Assert.True(rolledBack.ExitCode == 0, rolledBack.Stderr);
        Assert.StartsWith("weekly@1 in production again", rolledBack.Stdout, StringComparison.Ordinal);
        Assert.True(afterDelete.ExitCode == 0, afterDelete.Stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "v1.csv")), File.ReadAllBytes(Path.Combine(dir, "again.csv")));
        Assert.Equal(1, missingVersion.ExitCode);
        Assert.Contains("has no version 7", missingVersion.Stderr, StringComparison.Ordinal);

        using var shown = JsonDocument.Parse((await ChurnProcess.RunAsync(dir, ["models", "show", "weekly", "--json", .. store])).Stdout);
        var model = shown.RootElement.GetProperty("model");
        Assert.Equal(1, model.GetProperty("production").GetInt32());
        Assert.Equal(runId, model.GetProperty("versions")[0].GetProperty("runId").GetString());
        // Newest first: predict after the rollback with @1, target with @2, predict with @1; the folder's scoring is not a registered version's.
        var scorings = shown.RootElement.GetProperty("scorings").EnumerateArray().Select(s => (s.GetProperty("command").GetString(), s.GetProperty("version").GetInt32())).ToArray();
        Assert.Equal(new (string?, int)[] { ("predict", 1), ("target", 2), ("predict", 1) }, scorings);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(TestPaths.BundledData)));
        Assert.All(shown.RootElement.GetProperty("scorings").EnumerateArray(), s => Assert.Equal(sha, s.GetProperty("inputSha256").GetString()));
        Assert.Contains("\"customers\":14084", shown.RootElement.GetProperty("scorings")[0].GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_takes_a_registered_model_by_name_or_version_as_it_takes_a_folder_and_records_the_scoring()
    {
        var dir = TestPaths.NewTempDirectory();
        string[] store = ["--store", "store/churn.db"];
        var fixture = TestPaths.ModelV1;
        File.WriteAllLines(Path.Combine(dir, "few.csv"), File.ReadLines(TestPaths.BundledData).Take(40));
        string[] explain = ["explain", "--input", "few.csv", "--background", "few.csv", "--base-rate", "0.2"];
        Assert.Equal(0, (await ChurnProcess.RunAsync(dir, ["models", "register", "--model", fixture, "--name", "why", .. store])).ExitCode);
        Assert.Equal(0, (await ChurnProcess.RunAsync(dir, ["models", "promote", "why@1", .. store])).ExitCode);

        var byFolder = await ChurnProcess.RunAsync(dir, [.. explain, "--model", fixture, "--output", "folder.csv", .. store]);
        var byName = await ChurnProcess.RunAsync(dir, [.. explain, "--model", "why", "--output", "name.csv", .. store]);
        var byVersion = await ChurnProcess.RunAsync(dir, [.. explain, "--model", "why@1", "--output", "version.csv", .. store]);
        var missing = await ChurnProcess.RunAsync(dir, [.. explain, "--model", "why@4", "--output", "none.csv", .. store]);

        Assert.True(byFolder.ExitCode == 0, byFolder.Stderr);
        Assert.True(byName.ExitCode == 0, byName.Stderr);
        Assert.True(byVersion.ExitCode == 0, byVersion.Stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "folder.csv")), File.ReadAllBytes(Path.Combine(dir, "name.csv")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "folder.csv")), File.ReadAllBytes(Path.Combine(dir, "version.csv")));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("has no version 4", missing.Stderr, StringComparison.Ordinal);
        using var shown = JsonDocument.Parse((await ChurnProcess.RunAsync(dir, ["models", "show", "why", "--json", .. store])).Stdout);
        Assert.Equal(["explain", "explain"], shown.RootElement.GetProperty("scorings").EnumerateArray().Select(s => s.GetProperty("command").GetString()));
    }
}
