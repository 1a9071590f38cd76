namespace Churn.Actors;

/// <summary>
/// Every actor log line starts with <c>run=&lt;id&gt; stage=&lt;stage&gt;</c> so an operator can follow one run through the
/// logs, and the JSON-lines log writer can lift both into fields.
/// </summary>
public static class RunLog
{
    public static string Line(string runId, string stage, string message) => $"run={runId} stage={stage} {message}";
}
