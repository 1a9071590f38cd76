using System.Text.Json.Nodes;

namespace Churn.Tests.Host;

/// <summary>Run configurations for host tests, each writing to its own directory.</summary>
public static class RunBodies
{
    public static JsonObject Prepare(string outDir) => new() { ["mode"] = "prepare", ["out"] = outDir };

    /// <summary>A full run small enough for a test: at most <paramref name="maxEpochs"/> epochs.</summary>
    public static JsonObject Train(string outDir, int maxEpochs = 2) =>
        new() { ["mode"] = "run", ["out"] = outDir, ["model"] = new JsonObject { ["maxEpochs"] = maxEpochs } };

    /// <summary>A full run that trains until it is stopped: early stopping never triggers.</summary>
    public static JsonObject Endless(string outDir) =>
        new() { ["mode"] = "run", ["out"] = outDir, ["model"] = new JsonObject { ["maxEpochs"] = 1000, ["patience"] = 1000 } };
}
