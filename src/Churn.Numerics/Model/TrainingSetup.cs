using System.Collections.Immutable;
using Churn.Numerics.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Churn.Numerics.Model;

/// <summary>Setting a training session up: the checks of its inputs, the device, the network and the tensors it trains on.</summary>
public sealed partial class TrainingSession
{
    private static readonly Lock GlobalGeneratorLock = new();

    /// <summary>
    /// Builds the network on <paramref name="device"/> (a real tensor operation proves the device works) and loads the
    /// train and validation splits onto it. Fails as a value if the device cannot be used.
    /// </summary>
    /// <remarks>
    /// The same data, <paramref name="seed"/> and <paramref name="config"/> give the same history and weights on the CPU:
    /// the initial weights, the per-epoch row order and dropout masks come from generators seeded here, never from
    /// torch's global generator (which is seeded too, for anything else that uses it). <paramref name="threads"/> &gt; 0
    /// sets torch's process-wide intra-op thread count; 1 is the right choice for this small network (2 threads gain
    /// nothing, and on a busy machine libgomp's spin-waiting makes them many times slower unless
    /// <c>OMP_WAIT_POLICY=PASSIVE</c> is set). With an empty validation split the validation figures repeat the
    /// training figures, so early stopping watches training loss. <paramref name="classWeights"/> (non-buyer, buyer),
    /// when given, weight every loss (training and validation) by class, as torch's <c>cross_entropy(weight=...)</c>.
    /// With <paramref name="populationRate"/> (the buyer share of the customer file before balancing) each epoch also
    /// measures <see cref="EpochMetrics.CalibratedLoss"/> on the validation split.
    /// </remarks>
    public static Result<TrainingSession> Create(
        ModelConfig config, Dataset train, Dataset validation, long seed, string device, int threads, ImmutableArray<double> classWeights = default,
        double? populationRate = null)
    {
        if (!classWeights.IsDefaultOrEmpty && (classWeights.Length != ChurnNetwork.Classes || classWeights.Any(w => !(double.IsFinite(w) && w > 0))))
        {
            return new Problem($"class weights need {ChurnNetwork.Classes} positive finite numbers");
        }
        var checkedConfig = config.Validate();
        if (checkedConfig is Result<ModelConfig>.Error configError)
        {
            return configError.Problem;
        }
        if (CheckSplit(train, "training", train.Inputs.ColumnCount, required: true) is { } trainProblem)
        {
            return trainProblem;
        }
        if (CheckSplit(validation, "validation", train.Inputs.ColumnCount, required: false) is { } validationProblem)
        {
            return validationProblem;
        }
        // Fitted on the training rows only; validation rows (and later every scored customer) go through the same map.
        var inputMap = config.Transform == InputTransform.Quantile ? QuantileInputs.Fit(train.Inputs) : null;
        if (inputMap is not null)
        {
            train = train with { Inputs = QuantileInputs.Apply(inputMap, train.Inputs) };
            validation = validation.Rows == 0 ? validation : validation with { Inputs = QuantileInputs.Apply(inputMap, validation.Inputs) };
        }
        TorchThreads.Use(threads);
        var probed = Devices.Probe(device);
        if (probed is not Result<string>.Ok { Value: var deviceName })
        {
            return ((Result<string>.Error)probed).Problem;
        }
        var torchDevice = Devices.ToTorchDevice(deviceName);
        nn.Module<Tensor, Tensor>? network = null;
        FlatAdam? optimizer = null;
        var created = new List<Tensor>();
        try
        {
            // TorchSharp 0.107's nn.init.uniform_ ignores its generator argument and draws from torch's global one, so
            // the initial weights come from the global generator seeded here; sessions created at the same time on other
            // threads (a search's trials, concurrent runs) would otherwise interleave their draws.
            lock (GlobalGeneratorLock)
            {
                torch.manual_seed(seed);
                network = config.Kind == ModelKind.Plr
                    ? PlrNetwork.Create(train.Inputs.ColumnCount, config, seed, torchDevice)
                    : ChurnNetwork.Create(train.Inputs.ColumnCount, config, seed, torchDevice);
            }
            network.to(torchDevice);
            optimizer = FlatAdam.Over([.. network.parameters()], config.LearningRate, config.WeightDecay);
            using (torch.NewDisposeScope())
            {
                var trainInputs = InputsOn(train, torchDevice);
                var trainTargets = TargetsOn(train, torchDevice);
                var validationInputs = InputsOn(validation, torchDevice);
                var validationTargets = TargetsOn(validation, torchDevice);
                var best = torch.zeros_like(optimizer.Parameters);
                created.AddRange([trainInputs, trainTargets, validationInputs, validationTargets, best]);
                Tensor? weights = null;
                if (!classWeights.IsDefaultOrEmpty)
                {
                    weights = torch.tensor(classWeights.Select(w => (float)w).ToArray(), device: torchDevice);
                    created.Add(weights);
                }
                var batches = new List<(Tensor, Tensor)>();
                for (long start = 0; start < train.Rows; start += config.BatchSize)
                {
                    var length = Math.Min(config.BatchSize, train.Rows - start);
                    batches.Add((trainInputs.narrow(0, start, length), trainTargets.narrow(0, start, length)));
                    created.AddRange([batches[^1].Item1, batches[^1].Item2]);
                }
                // These live as long as the session, whatever scope the caller has open.
                foreach (var t in created)
                {
                    t.DetachFromDisposeScope();
                }
                // A class-weighted loss sees both classes equally, whatever the rows' mix (as ClassMix says).
                var trainingRate = weights is not null || train.Rows == 0 ? 0.5 : (double)train.Targets.Count(t => t == 1) / train.Rows;
                return Result.Ok(new TrainingSession(
                    config, seed, deviceName, torchDevice, network, optimizer,
                    trainInputs, trainTargets, validationInputs, validationTargets, [.. batches], best, weights,
                    populationRate, trainingRate, validation.Rows == 0 ? [] : validation.Targets, inputMap));
            }
        }
        catch (Exception e)
        {
            foreach (var t in created)
            {
                t.Dispose();
            }
            optimizer?.Dispose();
            network?.Dispose();
            return Result.Fail<TrainingSession>($"could not set up training on {deviceName}: {e.Message}");
        }
    }

    private static Problem? CheckSplit(Dataset split, string name, int columns, bool required)
    {
        if (split.Rows == 0)
        {
            return required ? new Problem($"the {name} split has no rows") : null;
        }
        if (split.Inputs.ColumnCount != columns)
        {
            return new Problem($"the {name} split has {split.Inputs.ColumnCount} input columns; the training split has {columns}");
        }
        if (!split.HasTargets || split.Targets.Length != split.Rows)
        {
            return new Problem($"the {name} split needs a target for every row", Column: Schema.TargetColumn);
        }
        for (var row = 0; row < split.Rows; row++)
        {
            if (split.Targets[row] is not (0 or 1))
            {
                return new Problem($"the {name} split has target {split.Targets[row]} in row {row + 1}; targets are 0 or 1", Column: Schema.TargetColumn);
            }
        }
        return null;
    }

    private static Tensor InputsOn(Dataset split, Device device) =>
        torch.tensor(RowMajor.Floats(split.Inputs), [split.Rows, split.Inputs.ColumnCount], device: device);

    private static Tensor TargetsOn(Dataset split, Device device) =>
        split.Rows == 0
            ? torch.empty([0], torch.int64, device)
            : torch.tensor(split.Targets.Select(t => (long)t).ToArray(), device: device);
}
