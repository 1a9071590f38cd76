using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Churn.Actors.Messages;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Explanation;
using Churn.Numerics.Files;
using Churn.Numerics.Model;
using Churn.Numerics.Pipeline;

namespace Churn.Actors.Pipeline;

/// <summary>The shared stage actors a run sends its work to.</summary>
public sealed record PipelineStages(
    IActorRef Loader,
    IActorRef Balancer,
    IActorRef Scaler,
    IActorRef Splitter,
    IActorRef Writer,
    IActorRef Evaluator,
    IActorRef Explainer,
    IActorRef Saver);

/// <summary>
/// Drives one run through its stages: load, balance, scale, split, write, then (for training runs) train, evaluate
/// and save. Every event goes to the run's listener; the run ends with exactly one of <see cref="RunSucceeded"/>,
/// <see cref="RunFailed"/> or <see cref="RunCancelled"/>, and then the coordinator stops.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "An actor's end of life is PostStop, which disposes it.")]
public sealed class PipelineRunActor : ReceiveActor
{
    /// <summary>What the run has produced so far; replaced, never changed. Which stage runs is <see cref="RunPlan"/>'s.</summary>
    private sealed record RunState(
        LoadedData? Loaded = null,
        Balanced? Balanced = null,
        ScaledData? Scaled = null,
        ScalerParameters? Scaler = null,
        Dataset? LeftOut = null,
        Splits? Splits = null,
        PrepareManifest? Manifest = null,
        string Source = "",
        string Sha256 = "",
        TrainedModel? Model = null,
        TestReport? Report = null,
        BalanceStrategy? Balance = null,
        ClassMix? Mix = null,
        bool ScalerKnown = true,
        RunArtifacts? Artifacts = null);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RunPipeline _run;
    private readonly PipelineStages _stages;
    private readonly Func<IUntypedActorContext, IActorRef> _trainerFactory;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Stopwatch _stageClock = new();
    private RunState _state = new();
    private RunPlan _plan;
    private IActorRef? _trainer;

    /// <summary>Cancelled when this run ends for any reason: a stage still reading the run's file stops within a block.</summary>
    private readonly CancellationTokenSource _cancel = new();

    public PipelineRunActor(RunPipeline run, PipelineStages stages, Func<IUntypedActorContext, IActorRef> trainerFactory)
    {
        _run = run;
        _stages = stages;
        _trainerFactory = trainerFactory;
        _plan = new RunPlan(RunStages.For(run.Settings.Mode == RunMode.TrainFromNpz, run.Settings.Mode != RunMode.Prepare, !run.Settings.Spec.SkipExplain));

        Receive<DataLoaded>(m =>
        {
            _state = _state with { Loaded = m.Loaded, Source = m.Loaded.Source, Sha256 = m.Loaded.Sha256 };
            Completed(StageDetail.Loaded(m.Loaded.Data.Counts()));
        });
        Receive<DataBalanced>(m =>
        {
            _state = _state with { Balanced = m.Balanced, Balance = m.Balanced.Strategy, Mix = m.Balanced.Mix };
            Completed(StageDetail.Balanced(m.Balanced));
        });
        Receive<DataScaled>(m =>
        {
            _state = _state with { Scaled = m.Scaled, Scaler = m.Scaled.Scaler, LeftOut = m.LeftOut };
            Completed(StageDetail.Scaled(m.Scaled.Scaler));
        });
        Receive<DataSplit>(m =>
        {
            _state = _state with { Splits = m.Splits };
            Completed(StageDetail.Split(m.Splits));
        });
        Receive<DatasetWritten>(m =>
        {
            _state = _state with { Manifest = m.Manifest };
            Completed(StageDetail.Written(m.Manifest.Files));
        });
        Receive<SplitsLoaded>(m =>
        {
            _state = _state with { Splits = m.Splits, Scaler = m.Scaler, Source = m.Source, Sha256 = m.Sha256, Balance = m.Balance, Mix = m.Mix, ScalerKnown = m.ScalerKnown };
            Completed(StageDetail.Split(m.Splits));
        });
        Receive<EpochCompleted>(m => _run.ReplyTo.Tell(m));
        Receive<DeviceFellBack>(m => _run.ReplyTo.Tell(m));
        Receive<ModelTrained>(m =>
        {
            _state = _state with { Model = m.Model };
            Completed(StageDetail.Trained(m.Model));
        });
        Receive<ModelEvaluated>(m =>
        {
            var background = BackgroundSample.Draw(_state.Splits!.Train.Inputs, Settings.Spec.Seed);
            var artifacts = new RunArtifacts(
                _state.Model!, m.Report, _state.Scaler!, Schema.FeatureNames, _state.Source, _state.Sha256, Settings.Spec.Seed, _state.Manifest, _state.ScalerKnown,
                background, Customers: _state.Loaded?.Data);
            _state = _state with { Report = m.Report, Artifacts = artifacts };
            Completed(StageDetail.Evaluated(m.Report));
        });
        Receive<ModelExplained>(m =>
        {
            _state = _state with { Artifacts = _state.Artifacts! with { Explained = m.Explained } };
            Completed(StageDetail.Explained(m.Explained.Summary));
        });
        Receive<RunSaved>(m =>
        {
            Completed(StageDetail.Written(m.Files), m);
        });
        Receive<StageFailed>(m => Decide(_plan.Failed(m.Stage, m.Problem.ToString())));
        Receive<TrainingFailed>(m => Decide(_plan.Failed(Stage.Train, m.Problem.ToString())));
        Receive<TrainingStopped>(m => Decide(_plan.TrainingStopped(), $"cancelled during training after epoch {m.Epoch}"));
        Receive<CancelRun>(_ => Decide(_plan.Cancel()));
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_trainer))
            {
                Decide(_plan.TrainerStopped());
            }
        });
    }

    public static Props Props(RunPipeline run, PipelineStages stages, Func<IUntypedActorContext, IActorRef> trainerFactory) =>
        Akka.Actor.Props.Create(() => new PipelineRunActor(run, stages, trainerFactory));

    private string Id => _run.RunId;

    private RunSettings Settings => _run.Settings;

    /// <summary>A broken trainer ends this run, not the host: the failure is recorded and the run fails.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => Supervision.BrokenTrainerFailsTheRun(Fail);

    /// <summary>A bug in this coordinator ends its own run with the cause, instead of leaving the listener waiting.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        try
        {
            return base.AroundReceive(receive, message);
        }
        catch (Exception ex)
        {
            _log.Error(ex, Line($"internal error: {ex.Message}"));
            Fail($"internal error: {ex.GetType().Name}: {ex.Message}");
            return true;
        }
    }

    protected override void PreStart()
    {
        _log.Info(Line($"started: mode {Settings.Mode}, seed {Settings.Spec.Seed}, out {Settings.Spec.Out}"));
        Begin(_plan.Stage);
    }

    protected override void PostStop()
    {
        _cancel.Cancel();
        _cancel.Dispose();
        base.PostStop();
    }

    /// <summary>The manifest names its files relative to the output directory; the listener wants paths it can open.</summary>
    private ImmutableArray<string> PreparedFiles(PrepareManifest manifest) =>
        [.. manifest.Files.Select(f => Path.Combine(Settings.Spec.Out, f)), Path.Combine(Settings.Spec.Out, SplitFiles.ManifestFileName)];

    /// <summary>Does what the plan decided; <paramref name="message"/> is the log line of an ending when it says more than the plan.</summary>
    private void Decide((RunPlan Plan, RunDecision Decision) next, string? message = null, RunSaved? saved = null)
    {
        _plan = next.Plan;
        switch (next.Decision)
        {
            case RunDecision.Begin begin:
                Begin(begin.Stage);
                break;
            case RunDecision.StopTraining:
                _trainer?.Tell(new StopTraining(Id));
                break;
            case RunDecision.Succeed:
                Succeed(saved);
                break;
            case RunDecision.Fail fail:
                End(new RunFailed(Id, fail.Stage, fail.Reason), $"failed: {fail.Reason}");
                break;
            case RunDecision.Cancelled cancelled:
                End(new RunCancelled(Id, cancelled.Stage), message ?? $"cancelled during {cancelled.Stage}");
                break;
        }
    }

    /// <summary>Starts <paramref name="stage"/> with what the stages before it produced.</summary>
    private void Begin(string stage)
    {
        // A model without a calibration, or no test rows, has nothing to explain: the run goes on to the next stage.
        if (stage == Stage.Explain && !(_state.Report is { Calibration: not null, Test.Rows: > 0 }))
        {
            Decide(_plan.Completed());
            return;
        }

        _stageClock.Restart();
        _run.ReplyTo.Tell(new StageStarted(Id, stage));
        var spec = Settings.Spec;
        switch (stage)
        {
            case Stage.Load when Settings.Mode == RunMode.TrainFromNpz:
                _stages.Loader.Tell(new LoadSplits(Id, Settings.NpzDir ?? spec.Out, spec.Prefix, Self, spec.Limits, _cancel.Token));
                break;
            case Stage.Load:
                _stages.Loader.Tell(new LoadData(Id, spec.Data, Self, spec.Limits, _cancel.Token));
                break;
            case Stage.Balance:
                _stages.Balancer.Tell(new BalanceData(Id, _state.Loaded!, Settings.PrepareOptions, Self));
                break;
            case Stage.Scale:
                _stages.Scaler.Tell(new ScaleData(Id, _state.Loaded!, _state.Balanced!, Settings.PrepareOptions, Self));
                break;
            case Stage.Split:
                _stages.Splitter.Tell(new SplitData(Id, _state.Scaled!, Settings.PrepareOptions, Self));
                break;
            case Stage.Write:
                var prepared = new Prepared(_state.Loaded!, _state.Balanced!, _state.Scaler!, _state.Splits!, Settings.PrepareOptions);
                _stages.Writer.Tell(new WriteDataset(Id, spec.Out, spec.Prefix, prepared, Self));
                break;
            case Stage.Train:
                StartTraining();
                break;
            case Stage.Evaluate:
                // Runs that balanced the data themselves know which customers it left out (built by the scale stage); runs from .npz files do not.
                var population = new PopulationContext(_state.Splits!.Validation, _state.Mix ?? ClassMix.OfTraining(_state.Splits.Train), spec.Campaign);
                _stages.Evaluator.Tell(new EvaluateModel(Id, _state.Model!, _state.Splits.Test, Schema.FeatureNames, spec.Seed, Self, _state.LeftOut, population));
                break;
            case Stage.Explain:
                var report = _state.Report!;
                _stages.Explainer.Tell(new ExplainModel(
                    Id, _state.Model!, report.Calibration!, _state.Scaler!, Schema.FeatureNames, _state.Splits!.Test, _state.LeftOut, report.Population?.BuyingRate,
                    _state.Artifacts!.Background!.Take(ExplainSettings.Default.Background), spec.Seed, Self));
                break;
            case Stage.Save:
                _stages.Saver.Tell(new SaveRun(Id, spec.Out, _state.Artifacts!, Self));
                break;
        }
    }

    private void StartTraining()
    {
        _trainer = _trainerFactory(Context);
        Context.Watch(_trainer);
        // The network's matrices are too small for intra-op parallelism to pay off: one thread trains faster and
        // leaves the other cores to concurrent runs.
        var threads = Settings.Threads > 0 ? Settings.Threads : 1;
        var splits = _state.Splits!;
        var weights = Balancer.LossWeights(_state.Balance ?? Settings.Spec.Balance, splits.Train);
        _trainer.Tell(new TrainModel(Id, splits, Settings.Spec.Model, Settings.Spec.Device, (long)Settings.Spec.Seed, threads, Self, ClassWeights: weights, PopulationRate: _state.Mix?.Population));
    }

    /// <summary>The running stage completed with <paramref name="detail"/>; the plan says what follows.</summary>
    private void Completed(string detail, RunSaved? saved = null)
    {
        _log.Info(Line($"completed in {_stageClock.ElapsedMilliseconds} ms: {detail}"));
        _run.ReplyTo.Tell(new StageCompleted(Id, _plan.Stage, detail, _stageClock.Elapsed));
        Decide(_plan.Completed(), saved: saved);
    }

    private void Succeed(RunSaved? saved)
    {
        var prepared = _state.Manifest is { } manifest ? PreparedFiles(manifest) : [];
        var outputs = saved is null
            ? new RunOutputs(_state.Manifest, null, null, null, null, prepared)
            : new RunOutputs(_state.Manifest, _state.Model, _state.Report, saved.ModelDirectory, saved.MetricsFile, prepared.AddRange(saved.Files), saved.Metrics);
        End(new RunSucceeded(Id, outputs, _clock.Elapsed), $"succeeded in {_clock.ElapsedMilliseconds} ms");
    }

    private void Fail(string reason) => Decide(_plan.Failed(null, reason));

    /// <summary>Exactly one outcome per run; replies that arrive after it (from a stage still busy) are dropped with the actor.</summary>
    private void End(IRunEvent outcome, string message)
    {
        if (outcome is RunFailed)
        {
            _log.Warning(Line(message));
        }
        else
        {
            _log.Info(Line(message));
        }

        _run.ReplyTo.Tell(outcome);
        if (!_run.ReplyTo.Equals(Context.Parent))
        {
            Context.Parent.Tell(outcome);
        }

        Become(() => ReceiveAny(_ => { }));
        Context.Stop(Self);
    }

    private RunLogLine Line(string message) => RunLog.Line(Id, _plan.Stage, message);
}
