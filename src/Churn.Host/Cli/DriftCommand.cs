using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Drift;

namespace Churn.Host.Cli;

/// <summary>
/// <c>churn drift</c>, and the drift lines every scoring prints: how far the customers scored have moved from those
/// the model was trained on (<see cref="DriftCheck"/>), per behaviour and for the score.
/// </summary>
public static class DriftCommand
{
    /// <summary>What a scoring with a model that has no drift profile says instead of a report.</summary>
    public const string NoProfile = "the model has no drift profile (saved by an earlier version, or trained from .npz files): drift is not checked";

    /// <summary>What a scoring of standardized inputs says instead of a report: the profile describes raw behaviours.</summary>
    public const string ScaledInputs = "the inputs are standardized: drift is checked against raw behaviours only, so not here";

    public static int Run(ParseResult parse)
    {
        var input = parse.GetRequiredValue(ChurnCommandLine.Input);
        var loaded = ScoringModel.Load(parse, probabilities: false);
        if (loaded is Result<ScoringModel>.Error error)
        {
            return ChurnCli.Fail(error.Problem);
        }
        // The file is read and checked a chunk at a time whether or not the model has a profile to count it against.
        var model = loaded.Unwrap();
        var tally = model.Artifact.Drift is { } profile ? new DriftTally(profile) : null;
        var read = ScoringStream.Run(input, model.Limits.ForScoring(), standardized: false, chunk => (chunk.Inputs, Raw: model.Raw(chunk.Inputs)), scored =>
        {
            tally?.Add(scored.Inputs, scored.Raw);
            return null;
        });
        if (read is Result<LoadedData>.Error readError)
        {
            return ChurnCli.Fail(readError.Problem);
        }
        var report = tally?.Report();
        if (parse.GetValue(ChurnCommandLine.Json))
        {
            StandardOutput.Writer.WriteLine(JsonSerializer.Serialize(new { drift = report, note = report is null ? NoProfile : null }, JsonFormat.Options));
            return 0;
        }
        if (report is null)
        {
            StandardOutput.Writer.WriteLine(NoProfile);
            return 0;
        }
        Table(report, StandardOutput.Writer);
        return 0;
    }

    /// <summary>The drift of scored customers against the model's profile: null when it has none or the inputs were standardized.</summary>
    public static DriftReport? Check(ModelArtifact model, CustomerScores scores, bool scaledInputs) =>
        model.Drift is { } profile && !scaledInputs ? DriftCheck.Compare(profile, scores.Customers.Inputs, scores.Raw) : null;

    /// <summary>The drift as a scoring record keeps it: the level and the lines that moved (null: not checked).</summary>
    public static object? Recorded(DriftReport? drift) =>
        drift is null ? null : new { level = drift.Level, moved = drift.Moved.Select(l => l.Describe()) };

    /// <summary>
    /// The lines a scoring prints on stderr: the behaviours (and score) that moved past a warning or an alarm, worst
    /// first, or the reason drift was not checked; nothing when every PSI is at most <see cref="DriftCheck.WarningPsi"/>.
    /// </summary>
    public static void Warn(string verb, ModelArtifact model, DriftReport? report, bool scaledInputs, TextWriter w)
    {
        if (report is null)
        {
            w.WriteLine($"churn {verb}: {(scaledInputs && model.Drift is not null ? ScaledInputs : NoProfile)}");
            return;
        }
        if (report.Level == DriftLevel.Stable)
        {
            return;
        }
        var head = report.Level == DriftLevel.Alarm
            ? $"drift alarm: these customers differ from the model's training customers (PSI above {DriftCheck.AlarmPsi:0.00}); its scores may no longer hold for them"
            : $"drift warning: these customers have moved from the model's training customers (PSI above {DriftCheck.WarningPsi:0.0})";
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"churn {verb}: {head}"));
        foreach (var line in report.Moved)
        {
            w.WriteLine($"  {(line.Level == DriftLevel.Alarm ? "ALARM  " : "warning")} {line.Describe()}");
        }
    }

    /// <summary>The whole report, a line per behaviour and one for the score.</summary>
    public static void Table(DriftReport report, TextWriter w)
    {
        var inv = CultureInfo.InvariantCulture;
        w.WriteLine(string.Create(inv, $"drift of {report.Rows:N0} customers against the model's {report.TrainingRows:N0} training customers: {Name(report.Level)}"));
        w.WriteLine(string.Create(inv, $"  {"",-22} {"PSI",6}  {"level",-8} median (training -> now), 90th percentile"));
        foreach (var line in report.Behaviours.Append(report.Score))
        {
            var described = line.Describe();
            var how = described[(described.IndexOf(": ", StringComparison.Ordinal) + 2)..described.LastIndexOf(';')];
            w.WriteLine(string.Create(inv, $"  {line.Name,-22} {line.Psi,6:0.000}  {Name(line.Level),-8} {how}"));
        }
        w.WriteLine(string.Create(inv, $"  (warning above PSI {DriftCheck.WarningPsi:0.0}, alarm above {DriftCheck.AlarmPsi:0.00})"));
    }

    private static string Name(DriftLevel level) => level switch
    {
        DriftLevel.Alarm => "ALARM",
        DriftLevel.Warning => "warning",
        _ => "stable",
    };
}
