using System.Collections.Immutable;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Model;

namespace Churn.Tests.Model;

/// <summary>Models trained on the CPU as a run trains them, and saved as a run saves them, for the model-kind tests.</summary>
internal static class TrainedFixtures
{
    /// <summary>
    /// Trains with early stopping, keeping the best epoch; with <paramref name="stopEarly"/> false every epoch of the
    /// limit runs whatever the stopping says.
    /// </summary>
    public static TrainedModel Train(ModelConfig config, Dataset train, Dataset validation, long seed, bool stopEarly = true)
    {
        using var session = TrainingSession.Create(config, train, validation, seed, Devices.Cpu, 1).Unwrap();
        var stopping = config.StartStopping();
        for (var epoch = 1; epoch <= config.EpochLimit; epoch++)
        {
            var (next, decision) = stopping.Observe(epoch, session.RunEpoch(epoch).Unwrap().ValidationLoss);
            stopping = next;
            if (decision == StopDecision.Improved)
            {
                session.KeepBest();
            }
            else if (decision == StopDecision.Stop && stopEarly)
            {
                break;
            }
        }
        return session.Finish();
    }

    /// <summary>The model with an identity scaler and a fixed calibration, as saved by a run seeded <paramref name="seed"/>.</summary>
    public static ModelArtifact Artifact(TrainedModel model, long seed) =>
        new(model, new ScalerParameters(Schema.FeatureNames, [.. new double[10]], [.. Enumerable.Repeat(1.0, 10)]), Schema.FeatureNames, null, new string('a', 64), seed, ImmutableDictionary<string, string>.Empty, Calibration.Prior(0.5, 0.2));

    /// <summary>A saved model's files but the manifest, by name and SHA-256: equal lists mean bit-identical weights.</summary>
    public static IEnumerable<(string, string)> Files(string dir) =>
        Directory.GetFiles(dir).Where(f => !f.EndsWith(ModelArtifact.ManifestFile, StringComparison.Ordinal))
            .Select(f => (Path.GetFileName(f), Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))))).Order();
}
