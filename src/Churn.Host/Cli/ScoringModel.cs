using System.CommandLine;
using Churn.Host.Configuration;
using Churn.Host.Scores;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Host.Cli;

/// <summary>
/// The model a scoring verb (predict, target, drift, explain) scores with: <c>--model</c> resolved (a folder or a
/// registered version), loaded, given the scaler <c>--scaler</c> / <c>--scaled-inputs</c> say, its calibration
/// checked against <c>--base-rate</c>; and the configuration's limits for the file scored. One prologue for them all.
/// </summary>
/// <param name="Reference">What <c>--model</c> named, for the scoring record.</param>
/// <param name="Artifact">The model, with the scaler it scores the input with.</param>
/// <param name="Scaling">How the input is scaled, as given.</param>
/// <param name="BaseRate"><c>--base-rate</c>, or null.</param>
/// <param name="Limits">The configuration's limits (<see cref="DataLimits.ForScoring"/> gives the scoring ones).</param>
public sealed record ScoringModel(ModelReference.Resolved Reference, ModelArtifact Artifact, InputScaling Scaling, double? BaseRate, DataLimits Limits)
{
    public string Directory => Reference.Directory;

    /// <summary>
    /// The usage error of a verb given both <c>--scaler</c> and <c>--scaled-inputs</c> (exit code 2, printed), or
    /// null. Checked before the model is resolved, so that a usage error is one whatever the model.
    /// </summary>
    public static int? ScalingUsage(ParseResult parse, string verb) =>
        ScalingGiven(parse) is { ScalerFile: not null, ScaledInputs: true }
            ? ChurnCommandLine.Usage("--scaler and --scaled-inputs exclude each other: give the scaler, or say the input needs none", verb)
            : null;

    /// <summary>The failure (printed, its exit code) of an <c>--output</c> that names the input file, or null.</summary>
    public static int? OverwritesInput(string input, string? output) =>
        output is not null && Path.GetFullPath(output) == Path.GetFullPath(input)
            ? ChurnCli.Fail(new Problem("--output would overwrite the input file", output))
            : null;

    /// <summary><c>--reasons K</c>, or null when not given.</summary>
    public static int? Reasons(ParseResult parse) => parse.Given(ChurnCommandLine.Reasons) ? parse.GetValue(ChurnCommandLine.Reasons) : null;

    /// <summary><c>--scaler</c> and <c>--scaled-inputs</c> as the verb takes them (a verb without one has it unset).</summary>
    public static InputScaling ScalingGiven(ParseResult parse)
    {
        var options = parse.CommandResult.Command.Options;
        return new(
            options.Contains(ChurnCommandLine.ScalerFile) ? parse.GetValue(ChurnCommandLine.ScalerFile) : null,
            options.Contains(ChurnCommandLine.ScaledInputs) && parse.GetValue(ChurnCommandLine.ScaledInputs));
    }

    /// <summary>
    /// Resolves, loads and scales the model <c>--model</c> names. With <paramref name="probabilities"/> its
    /// calibration must turn scores into probabilities (for its population or <c>--base-rate</c>'s); without, only
    /// raw scores are asked of it (drift).
    /// </summary>
    public static Result<ScoringModel> Load(ParseResult parse, bool probabilities = true)
    {
        var options = parse.CommandResult.Command.Options;
        var baseRate = options.Contains(ChurnCommandLine.BaseRate) ? PredictCommand.BaseRate(parse) : null;
        var scaling = ScalingGiven(parse);
        var configFile = options.Contains(ChurnCommandLine.Config) ? parse.GetValue(ChurnCommandLine.Config) : null;
        return ChurnConfig.Load(configFile).Bind(config =>
            ModelReference.Resolve(parse, parse.GetRequiredValue(ChurnCommandLine.Model)).Bind(resolved =>
                ModelArtifact.Load(resolved.Directory)
                    .Bind(model => CustomerScoring.WithScaler(model, resolved.Directory, scaling.ScalerFile, scaling.ScaledInputs))
                    .Bind(model => probabilities && model.Calibration.Check(baseRate) is { } problem
                        ? Result.Fail<ModelArtifact>(problem with { File = problem.File ?? Path.Combine(resolved.Directory, ModelArtifact.ManifestFile) })
                        : Result.Ok(model))
                    .Map(model => new ScoringModel(resolved, model, scaling, baseRate, config.Run.Limits))));
    }

    /// <summary>Scores some customers (raw behaviours as read): raw score and calibrated probability.</summary>
    public CustomerScores Score(Dataset customers) => Artifact.Score(customers, BaseRate).Unwrap();

    /// <summary>The network's uncalibrated score of raw customers (what drift compares).</summary>
    public double[] Raw(Matrix<double> inputs) => [.. Scoring.Mean(Artifact.Networks, Scaler.Apply(Artifact.Scaler, inputs))];
}
