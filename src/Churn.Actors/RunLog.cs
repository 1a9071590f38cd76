using Akka.Event;

namespace Churn.Actors;

/// <summary>
/// One log line of a run's (or a search's) actors: the run id, stage and, for a search's trials, the trial go with the
/// message as properties of the log event, so the log writer stores them as fields and nobody parses them out of text.
/// </summary>
/// <param name="RunId">The run's or search's id.</param>
/// <param name="Stage">The pipeline stage (or <c>search</c>, <c>queue</c>).</param>
/// <param name="Message">What happened, for people.</param>
/// <param name="Trial">A search trial's number (counted from 1, as everywhere the product shows one).</param>
public sealed record RunLogLine(string RunId, string Stage, string Message, int? Trial = null);

/// <summary>Logs <see cref="RunLogLine"/>s through Akka's semantic logging: each field is a named property of the event.</summary>
public static class RunLog
{
    /// <summary>
    /// The template's properties are the fields; the log writer reads them by name (<see cref="MessageProperty"/> is
    /// the text people read) rather than the formatted template.
    /// </summary>
    public const string Template = "{RunId}{Stage}{Trial}{Message}";

    public const string RunIdProperty = "RunId";
    public const string StageProperty = "Stage";
    public const string TrialProperty = "Trial";
    public const string MessageProperty = "Message";

    public static RunLogLine Line(string runId, string stage, string message, int? trial = null) => new(runId, stage, message, trial);

    public static void Debug(this ILoggingAdapter log, RunLogLine line) =>
        log.Debug(Template, line.RunId, line.Stage, Number(line.Trial), line.Message);

    public static void Info(this ILoggingAdapter log, RunLogLine line) =>
        log.Info(Template, line.RunId, line.Stage, Number(line.Trial), line.Message);

    public static void Warning(this ILoggingAdapter log, RunLogLine line) =>
        log.Warning(Template, line.RunId, line.Stage, Number(line.Trial), line.Message);

    public static void Error(this ILoggingAdapter log, RunLogLine line) =>
        log.Error(Template, line.RunId, line.Stage, Number(line.Trial), line.Message);

    public static void Error(this ILoggingAdapter log, Exception cause, RunLogLine line) =>
        log.Error(cause, Template, line.RunId, line.Stage, Number(line.Trial), line.Message);

    private static string Number(int? trial) => trial?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
}
