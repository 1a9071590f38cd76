using Churn.Actors.Messages;
using Churn.Numerics.Model;

namespace Churn.Actors.Runs;

/// <summary>
/// Where the runs actor records every state change of every run. The actor calls it on its own thread, so an
/// implementation keeps each call short (one small write); a call that throws is logged and the run goes on.
/// </summary>
public interface IRunJournal
{
    void RunQueued(string runId, RunSettings settings, DateTimeOffset at);

    void RunStarted(string runId, DateTimeOffset at);

    void StageStarted(string runId, string stage, DateTimeOffset at);

    void StageCompleted(string runId, string stage, string detail, TimeSpan elapsed, DateTimeOffset at);

    void EpochRecorded(string runId, EpochMetrics metrics, TimeSpan elapsed, DateTimeOffset at);

    /// <summary><paramref name="outcome"/> is one of <see cref="RunSucceeded"/>, <see cref="RunFailed"/> or <see cref="RunCancelled"/>.</summary>
    void RunFinished(string runId, IRunEvent outcome, DateTimeOffset at);
}

/// <summary>The journal of a process that keeps no record: the one-shot CLI commands.</summary>
public sealed class NoRunJournal : IRunJournal
{
    public static readonly NoRunJournal Instance = new();

    public void RunQueued(string runId, RunSettings settings, DateTimeOffset at)
    {
    }

    public void RunStarted(string runId, DateTimeOffset at)
    {
    }

    public void StageStarted(string runId, string stage, DateTimeOffset at)
    {
    }

    public void StageCompleted(string runId, string stage, string detail, TimeSpan elapsed, DateTimeOffset at)
    {
    }

    public void EpochRecorded(string runId, EpochMetrics metrics, TimeSpan elapsed, DateTimeOffset at)
    {
    }

    public void RunFinished(string runId, IRunEvent outcome, DateTimeOffset at)
    {
    }
}
