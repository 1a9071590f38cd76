using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Churn.Actors.Messages;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Explanation;
using Churn.Numerics.Model;

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
    /// <summary>What the run has produced so far; replaced, never changed.</summary>
    private sealed record RunState(
        string Stage,
        LoadedData? Loaded = null,
        Balanced? Balanced = null,
        ScalerParameters? Scaler = null,
        Splits? Splits = null,
        PrepareManifest? Manifest = null,
        string Source = "",
        string Sha256 = "",
        TrainedModel? Model = null,
        TestReport? Report = null,
        bool Cancelling = false,
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
    private RunState _state = new(Stage.Load);
    private IActorRef? _trainer;

    /// <summary>Cancelled when this run ends for any reason: a stage still reading the run's file stops within a block.</summary>
    private readonly CancellationTokenSource _cancel = new();

    public PipelineRunActor(RunPipeline run, PipelineStages stages, Func<IUntypedActorContext, IActorRef> trainerFactory)
    {
        _run = run;
        _stages = stages;
        _trainerFactory = trainerFactory;

        Receive<DataLoaded>(m =>
        {
            _state = _state with { Loaded = m.Loaded, Source = m.Loaded.Source, Sha256 = m.Loaded.Sha256 };
            var counts = m.Loaded.Data.Counts();
            Completed($"{counts.Total} rows: {counts.Buyers} buyers, {counts.NonBuyers} non-buyers");
            Begin(Stage.Balance, _stages.Balancer, new BalanceData(Id, m.Loaded, Settings.Spec.Balance, Settings.Spec.Seed, Self));
        });
        Receive<DataBalanced>(m =>
        {
            _state = _state with { Balanced = m.Balanced, Balance = m.Balanced.Strategy, Mix = m.Balanced.Mix };
            Completed($"{m.Balanced.After.Buyers} buyers + {m.Balanced.After.NonBuyers} non-buyers kept ({m.Balanced.Strategy.ToString().ToLowerInvariant()})");
            Begin(Stage.Scale, _stages.Scaler, new ScaleData(Id, m.Balanced, Settings.Spec.LogFeatures, Self));
        });
        Receive<DataScaled>(m =>
        {
            _state = _state with { Scaler = m.Scaler };
            Completed(ScalerActor.Describe(m.Scaler));
            Begin(Stage.Split, _stages.Splitter, new SplitData(Id, m.Scaled, Settings.Spec.Split, Settings.Spec.Seed, Settings.Spec.Stratify, Self));
        });
        Receive<DataSplit>(m =>
        {
            _state = _state with { Splits = m.Splits };
            Completed(SplitterActor.Describe(m.Splits));
            var prepared = new Prepared(_state.Loaded!, _state.Balanced!, _state.Scaler!, m.Splits, Settings.PrepareOptions);
            Begin(Stage.Write, _stages.Writer, new WriteDataset(Id, Settings.Spec.Out, Settings.Spec.Prefix, prepared, Self));
        });
        Receive<DatasetWritten>(m =>
        {
            _state = _state with { Manifest = m.Manifest };
            Completed($"wrote {string.Join(", ", m.Manifest.Files)}");
            if (Settings.Mode == RunMode.Prepare)
            {
                Succeed(new RunOutputs(m.Manifest, null, null, null, null, PreparedFiles(m.Manifest)));
            }
            else
            {
                StartTraining();
            }
        });
        Receive<SplitsLoaded>(m =>
        {
            _state = _state with { Splits = m.Splits, Scaler = m.Scaler, Source = m.Source, Sha256 = m.Sha256, Balance = m.Balance, Mix = m.Mix, ScalerKnown = m.ScalerKnown };
            Completed(SplitterActor.Describe(m.Splits));
            StartTraining();
        });
        Receive<EpochCompleted>(m => _run.ReplyTo.Tell(m));
        Receive<DeviceFellBack>(m => _run.ReplyTo.Tell(m));
        Receive<ModelTrained>(m =>
        {
            _state = _state with { Model = m.Model };
            Completed($"{m.Model.EpochsRun} epochs on {m.Model.Device}, best epoch {m.Model.BestEpoch}");
            // Runs that balanced the data themselves know which customers it left out; runs from .npz files do not.
            var leftOut = _state.Loaded is { } loaded && _state.Balanced is { } balanced ? new LeftOutSource(loaded, balanced, _state.Scaler!) : null;
            var population = new PopulationContext(_state.Splits!.Validation, _state.Mix ?? ClassMix.OfTraining(_state.Splits.Train), Settings.Spec.Campaign);
            Begin(Stage.Evaluate, _stages.Evaluator, new EvaluateModel(Id, m.Model, _state.Splits.Test, Schema.FeatureNames, Settings.Spec.Seed, Self, leftOut, population));
        });
        Receive<ModelEvaluated>(m =>
        {
            _state = _state with { Report = m.Report };
            Completed(EvaluatorActor.Describe(m.Report));
            var background = BackgroundSample.Draw(_state.Splits!.Train.Inputs, Settings.Spec.Seed);
            var artifacts = new RunArtifacts(
                _state.Model!, m.Report, _state.Scaler!, Schema.FeatureNames, _state.Source, _state.Sha256, Settings.Spec.Seed, _state.Manifest, _state.ScalerKnown,
                background);
            _state = _state with { Artifacts = artifacts };
            if (m.Report.Calibration is { } calibration && m.Report.Test.Rows > 0)
            {
                var leftOut = _state.Loaded is { } loaded && _state.Balanced is { } balanced ? new LeftOutSource(loaded, balanced, _state.Scaler!) : null;
                Begin(Stage.Explain, _stages.Explainer, new ExplainModel(
                    Id, _state.Model!, calibration, _state.Scaler!, Schema.FeatureNames, _state.Splits.Test, leftOut, m.Report.Population?.BuyingRate,
                    background.Take(ExplainSettings.Default.Background), Settings.Spec.Seed, Self));
            }
            else
            {
                Begin(Stage.Save, _stages.Saver, new SaveRun(Id, Settings.Spec.Out, artifacts, Self));
            }
        });
        Receive<ModelExplained>(m =>
        {
            Completed(ExplainerActor.Describe(m.Explained.Summary));
            Begin(Stage.Save, _stages.Saver, new SaveRun(Id, Settings.Spec.Out, _state.Artifacts! with { Explained = m.Explained }, Self));
        });
        Receive<RunSaved>(m =>
        {
            Completed($"wrote {string.Join(", ", m.Files)}");
            var files = (_state.Manifest is { } manifest ? PreparedFiles(manifest) : []).AddRange(m.Files);
            Succeed(new RunOutputs(_state.Manifest, _state.Model, _state.Report, m.ModelDirectory, m.MetricsFile, files, m.Metrics));
        });
        Receive<StageFailed>(m => Fail(m.Stage, m.Problem.ToString()));
        Receive<TrainingFailed>(m => Fail(Stage.Train, m.Problem.ToString()));
        Receive<TrainingStopped>(m => End(new RunCancelled(Id, Stage.Train), $"cancelled during training after epoch {m.Epoch}"));
        Receive<CancelRun>(_ =>
        {
            if (_trainer is not null && _state.Stage == Stage.Train)
            {
                _state = _state with { Cancelling = true };
                _trainer.Tell(new StopTraining(Id));
            }
            else
            {
                End(new RunCancelled(Id, _state.Stage), $"cancelled during {_state.Stage}");
            }
        });
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_trainer) && _state.Stage == Stage.Train)
            {
                Fail(Stage.Train, "the trainer stopped unexpectedly");
            }
        });
    }

    public static Props Props(RunPipeline run, PipelineStages stages, Func<IUntypedActorContext, IActorRef> trainerFactory) =>
        Akka.Actor.Props.Create(() => new PipelineRunActor(run, stages, trainerFactory));

    private string Id => _run.RunId;

    private RunSettings Settings => _run.Settings;

    /// <summary>A broken trainer ends this run, not the host: the failure is recorded and the run fails.</summary>
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(
            ex =>
            {
                Fail(_state.Stage, $"{ex.GetType().Name}: {ex.Message}");
                return Directive.Stop;
            },
            false);

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
            Fail(_state.Stage, $"internal error: {ex.GetType().Name}: {ex.Message}");
            return true;
        }
    }

    protected override void PreStart()
    {
        _log.Info(Line($"started: mode {Settings.Mode}, seed {Settings.Spec.Seed}, out {Settings.Spec.Out}"));
        if (Settings.Mode == RunMode.TrainFromNpz)
        {
            Begin(Stage.Load, _stages.Loader, new LoadSplits(Id, Settings.NpzDir ?? Settings.Spec.Out, Settings.Spec.Prefix, Self, Settings.Spec.Limits, _cancel.Token));
        }
        else
        {
            Begin(Stage.Load, _stages.Loader, new LoadData(Id, Settings.Spec.Data, Self, Settings.Spec.Limits, _cancel.Token));
        }
    }

    protected override void PostStop()
    {
        _cancel.Cancel();
        _cancel.Dispose();
        base.PostStop();
    }

    /// <summary>The manifest names its files relative to the output directory; the listener wants paths it can open.</summary>
    private ImmutableArray<string> PreparedFiles(PrepareManifest manifest) =>
        [.. manifest.Files.Select(f => Path.Combine(Settings.Spec.Out, f)), Path.Combine(Settings.Spec.Out, Preparation.ManifestFileName)];

    private void StartTraining()
    {
        _state = _state with { Stage = Stage.Train };
        _stageClock.Restart();
        _run.ReplyTo.Tell(new StageStarted(Id, Stage.Train));
        _trainer = _trainerFactory(Context);
        Context.Watch(_trainer);
        // The network's matrices are too small for intra-op parallelism to pay off: one thread trains faster and
        // leaves the other cores to concurrent runs.
        var threads = Settings.Threads > 0 ? Settings.Threads : 1;
        var splits = _state.Splits!;
        var weights = Balancer.LossWeights(_state.Balance ?? Settings.Spec.Balance, splits.Train);
        _trainer.Tell(new TrainModel(Id, splits, Settings.Spec.Model, Settings.Spec.Device, (long)Settings.Spec.Seed, threads, Self, ClassWeights: weights, PopulationRate: _state.Mix?.Population));
    }

    private void Begin(string stage, IActorRef actor, object command)
    {
        _state = _state with { Stage = stage };
        _stageClock.Restart();
        _run.ReplyTo.Tell(new StageStarted(Id, stage));
        actor.Tell(command);
    }

    private void Completed(string detail)
    {
        _log.Info(Line($"completed in {_stageClock.ElapsedMilliseconds} ms: {detail}"));
        _run.ReplyTo.Tell(new StageCompleted(Id, _state.Stage, detail, _stageClock.Elapsed));
    }

    private void Succeed(RunOutputs outputs) => End(new RunSucceeded(Id, outputs, _clock.Elapsed), $"succeeded in {_clock.ElapsedMilliseconds} ms");

    private void Fail(string stage, string reason)
    {
        _state = _state with { Stage = stage };
        End(new RunFailed(Id, stage, reason), $"failed: {reason}");
    }

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

    private RunLogLine Line(string message) => RunLog.Line(Id, _state.Stage, message);
}
