using System.Collections.Immutable;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Actors.Training;

/// <summary>
/// How a model actor gets its training session; production passes <see cref="TrainingSession.Create"/>, tests pass a
/// factory whose device fails so the trainer's fallback can be seen at work.
/// </summary>
public delegate Result<TrainingSession> SessionFactory(
    ModelConfig config, Dataset train, Dataset validation, long seed, string device, int threads, ImmutableArray<double> classWeights, double? populationRate);

/// <summary>How the trainer learns whether a device works before using it.</summary>
public delegate Result<string> DeviceProbe(string device);
