using System.Collections.Immutable;
using Churn.Numerics.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Churn.Numerics.Model;

/// <summary>
/// One network being trained: owns the TorchSharp module, optimizer and tensors (native memory), so exactly one
/// owner (the model actor) holds it and disposes it. Each method opens and closes its own dispose scope, so it must
/// run inside one message handler.
/// </summary>
public sealed partial class TrainingSession : IDisposable
{
    private readonly ModelConfig config;
    private readonly long seed;
    private readonly Device device;
    // Replaced once when a PLR network's members are distilled into one network.
    private nn.Module<Tensor, Tensor> network;
    private FlatAdam optimizer;
    private readonly Tensor trainInputs;
    private readonly Tensor trainTargets;
    private readonly Tensor validationInputs;
    private readonly Tensor validationTargets;

    // Per-class loss weights (non-buyer, buyer) for a class-weighted loss; null for the plain mean.
    private readonly Tensor? classWeights;

    // The buying rate of the population behind the splits (null: unknown) and the validation targets, for the calibrated loss.
    private readonly double? populationRate;
    private readonly double trainingRate;
    private readonly ImmutableArray<int> validationLabels;

    // The quantile map the inputs went through (fitted on the training rows), when the configuration asks for one.
    private readonly QuantileMap? inputMap;

    // Views of the training split cut once, so an unshuffled epoch creates no tensors besides the batches' own work.
    private readonly (Tensor Inputs, Tensor Targets)[] batches;

    // The best weights so far (flat, like the optimizer's parameters), allocated once and overwritten in place.
    private Tensor best;
    private readonly List<EpochMetrics> history = [];

    // While distilling: the members' mean P(buyer) for every training row, which the distilled network learns.
    private Tensor? teacher;
    private int bestEpoch;
    private long steps;
    private bool hasBest;
    private bool finished;
    private bool disposed;

    private TrainingSession(
        ModelConfig config, long seed, string deviceName, Device device, nn.Module<Tensor, Tensor> network, FlatAdam optimizer,
        Tensor trainInputs, Tensor trainTargets, Tensor validationInputs, Tensor validationTargets, (Tensor, Tensor)[] batches, Tensor best, Tensor? classWeights,
        double? populationRate, double trainingRate, ImmutableArray<int> validationLabels, QuantileMap? inputMap)
    {
        this.inputMap = inputMap;
        this.classWeights = classWeights;
        this.populationRate = populationRate;
        this.trainingRate = trainingRate;
        this.validationLabels = validationLabels;
        this.config = config;
        this.seed = seed;
        Device = deviceName;
        this.device = device;
        this.network = network;
        this.optimizer = optimizer;
        this.trainInputs = trainInputs;
        this.trainTargets = trainTargets;
        this.validationInputs = validationInputs;
        this.validationTargets = validationTargets;
        this.batches = batches;
        this.best = best;
    }

    public string Device { get; }

    /// <summary>Trains one epoch (seeded batch order) and evaluates on validation; a NaN/Inf loss is an error value.</summary>
    /// <remarks>
    /// The training rows are cut into batches of <see cref="ModelConfig.BatchSize"/> in split order; with
    /// <see cref="ModelConfig.ShuffleEachEpoch"/> they are first reshuffled from (seed, <paramref name="epoch"/>), as
    /// Keras' <c>fit(shuffle=True)</c> does. The training figures are measured after the epoch on the whole training
    /// split in evaluation mode, like the validation figures. A native failure is returned as a <see cref="Problem"/> too.
    /// </remarks>
    public Result<EpochMetrics> RunEpoch(int epoch)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (finished)
        {
            throw new InvalidOperationException("the session is finished; create a new one to train again");
        }
        try
        {
            if (config.Distils && teacher is null && epoch > config.TeacherEpochs)
            {
                StartDistillation();
            }
            TrainOneEpoch(epoch);
            var (trainLoss, trainAccuracy, _) = Measure(trainInputs, trainTargets, scores: false);
            var (validationLoss, validationAccuracy, validationScores) = validationTargets.shape[0] > 0
                ? Measure(validationInputs, validationTargets, scores: populationRate is not null)
                : (trainLoss, trainAccuracy, []);
            if (!double.IsFinite(trainLoss) || !double.IsFinite(validationLoss))
            {
                var what = double.IsNaN(trainLoss) || double.IsNaN(validationLoss) ? "NaN" : "infinite";
                return Result.Fail<EpochMetrics>($"loss became {what} at epoch {epoch}; try a smaller learning rate or check the inputs for huge values");
            }
            var calibrated = validationScores.IsEmpty
                ? double.NaN
                : Evaluation.Calibration.CrossFittedLogLoss(validationScores, validationLabels, trainingRate, populationRate);
            var metrics = new EpochMetrics(epoch, trainLoss, trainAccuracy, validationLoss, validationAccuracy, calibrated);
            history.Add(metrics);
            return Result.Ok(metrics);
        }
        catch (Exception e)
        {
            return Result.Fail<EpochMetrics>($"training failed at epoch {epoch}: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Keeps a copy of the current weights as the best so far.</summary>
    public void KeepBest()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        CopyParameters(toBest: true);
        bestEpoch = history.Count == 0 ? 0 : history[^1].Epoch;
        hasBest = true;
    }

    /// <summary>Puts the best weights back and freezes the network for inference.</summary>
    /// <remarks>
    /// Without a <see cref="KeepBest"/> call the current weights are the result and the last epoch is the best. A PLR
    /// network finished before its distillation started is its members, described as not distilled.
    /// </remarks>
    public TrainedModel Finish()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (hasBest)
        {
            CopyParameters(toBest: false);
        }
        network.eval();
        finished = true;
        var lastEpoch = history.Count == 0 ? 0 : history[^1].Epoch;
        var (layers, plr) = network is PlrNetwork plrNetwork ? ([], plrNetwork.Weights()) : (((ChurnNetwork)network).Weights(), (PlrWeights?)null);
        var described = config.Distils && teacher is null ? config with { DistilEpochs = 0 } : config;
        return new TrainedModel(described.Used(), layers, history.Count, hasBest ? bestEpoch : lastEpoch, [.. history], Device, plr, inputMap);
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        foreach (var (inputs, targets) in batches)
        {
            inputs.Dispose();
            targets.Dispose();
        }
        trainInputs.Dispose();
        trainTargets.Dispose();
        validationInputs.Dispose();
        validationTargets.Dispose();
        best.Dispose();
        teacher?.Dispose();
        classWeights?.Dispose();
        optimizer.Dispose();
        network.Dispose();
    }

    /// <summary>
    /// Knowledge distillation (Hinton, Vinyals and Dean, 2015): the members' best weights give every training row their
    /// mean P(buyer); a new single-member network of the same architecture, seeded apart from them, then learns those
    /// probabilities with its own one-cycle schedule. Scoring one network instead of the members is what it is for.
    /// </summary>
    private void StartDistillation()
    {
        if (hasBest)
        {
            CopyParameters(toBest: false);
        }
        network.eval();
        using (torch.no_grad())
        using (torch.NewDisposeScope())
        {
            teacher = torch.nn.functional.softmax(network.call(trainInputs), -1).mean([0]).select(1, 1).contiguous();
            teacher.DetachFromDisposeScope();
        }
        var student = PlrNetwork.Create((int)trainInputs.shape[1], config with { Members = 1, DistilEpochs = 0 }, (long)SeededRandom.Combine((ulong)seed, 2), device);
        student.to(device);
        var studentOptimizer = FlatAdam.Over([.. student.parameters()], config.LearningRate, config.WeightDecay);
        Tensor studentBest;
        using (torch.NewDisposeScope())
        {
            studentBest = torch.zeros_like(studentOptimizer.Parameters);
            studentBest.DetachFromDisposeScope();
        }
        best.Dispose();
        optimizer.Dispose();
        network.Dispose();
        (network, optimizer, best) = (student, studentOptimizer, studentBest);
        hasBest = false;
        steps = 0;
    }

    private void TrainOneEpoch(int epoch)
    {
        network.train();
        if (!config.ShuffleEachEpoch)
        {
            long start = 0;
            foreach (var (inputs, targets) in batches)
            {
                TrainBatch(inputs, targets, start);
                start += targets.shape[0];
            }
            return;
        }
        var rows = trainTargets.shape[0];
        var order = SeededRandom.SplitMixPermutation((int)rows, SeededRandom.Combine((ulong)seed, epoch));
        using var epochScope = torch.NewDisposeScope();
        var index = torch.tensor(Array.ConvertAll(order, i => (long)i), device: device);
        // One gather per epoch; the batches are views into it.
        var shuffledInputs = trainInputs.index_select(0, index);
        var shuffledTargets = trainTargets.index_select(0, index);
        var shuffledTeacher = teacher?.index_select(0, index);
        for (long start = 0; start < rows; start += config.BatchSize)
        {
            var length = Math.Min(config.BatchSize, rows - start);
            TrainBatch(shuffledInputs.narrow(0, start, length), shuffledTargets.narrow(0, start, length), start, shuffledTeacher);
        }
    }

    /// <summary>One optimizer step on a batch; <paramref name="start"/> is its first row in <paramref name="soft"/> (default: the teacher's rows in split order).</summary>
    private void TrainBatch(Tensor inputs, Tensor targets, long start, Tensor? soft = null)
    {
        using var batchScope = torch.NewDisposeScope();
        optimizer.ZeroGrad();
        if (teacher is not null)
        {
            // Cross-entropy against the members' probability q: −(q·log p₁ + (1 − q)·log p₀).
            var q = (soft ?? teacher).narrow(0, start, targets.shape[0]);
            var logp = torch.nn.functional.log_softmax(network.call(inputs).select(0, 0), 1);
            var distilLoss = logp.select(1, 1).mul(q).add(logp.select(1, 0).mul(q.neg().add(1))).mean().neg();
            distilLoss.backward();
            optimizer.Step(OneCycle.Rate(steps, (long)(config.EpochLimit - config.TeacherEpochs) * batches.Length, config.PeakLearningRate));
            steps++;
            return;
        }
        if (config.Kind != ModelKind.Plr)
        {
            var loss = torch.nn.functional.cross_entropy(network.call(inputs), targets, classWeights);
            loss.backward();
            optimizer.Step(config.UsesOneCycle ? OneCycle.Rate(steps, (long)config.CycleEpochs * batches.Length, config.PeakLearningRate) : null);
            steps++;
            return;
        }
        // The members' logits [members, rows, 2] as one batch of members x rows; times the member count, each member's
        // gradient is that of its own mean loss.
        var members = config.Members;
        var logits = network.call(inputs).reshape(-1, ChurnNetwork.Classes);
        var expanded = targets.unsqueeze(0).expand(members, targets.shape[0]).reshape(-1);
        using var count = ((double)members).ToScalar();
        var memberLoss = torch.nn.functional.cross_entropy(logits, expanded, classWeights).mul(count);
        memberLoss.backward();
        var total = (long)config.CycleEpochs * batches.Length;
        optimizer.Step(OneCycle.Rate(steps, total, config.PeakLearningRate));
        steps++;
    }

    /// <summary>Loss and accuracy on a split, and with <paramref name="scores"/> every row's P(buyer) (softmax of the logits).</summary>
    private (double Loss, double Accuracy, ImmutableArray<double> Scores) Measure(Tensor inputs, Tensor targets, bool scores)
    {
        network.eval();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var output = network.call(inputs);
        // A PLR network's members are averaged in probability, as scoring does: its loss is that of the mean.
        var plr = config.Kind == ModelKind.Plr;
        var mean = plr ? torch.nn.functional.softmax(output, -1).mean([0]) : output;
        var loss = (plr
            ? torch.nn.functional.nll_loss(mean.log(), targets, classWeights)
            : torch.nn.functional.cross_entropy(output, targets, classWeights)).item<float>();
        var correct = mean.argmax(1).eq(targets).sum().item<long>();
        ImmutableArray<double> p = [];
        if (scores)
        {
            var buyer = (plr ? mean : torch.nn.functional.softmax(output, 1)).select(1, 1).cpu().data<float>().ToArray();
            p = [.. buyer.Select(v => (double)v)];
        }
        return (loss, (double)correct / targets.shape[0], p);
    }

    private void CopyParameters(bool toBest)
    {
        using var noGrad = torch.no_grad();
        if (toBest)
        {
            best.copy_(optimizer.Parameters);
        }
        else
        {
            optimizer.Parameters.copy_(best);
        }
    }
}
