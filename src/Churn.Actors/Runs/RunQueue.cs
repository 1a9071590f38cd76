using System.Collections.Immutable;

namespace Churn.Actors.Runs;

/// <summary>Why the runs actor did not take a run.</summary>
public enum Rejection
{
    /// <summary>The host is stopping.</summary>
    Stopping,

    /// <summary>A run with this id is already queued or running.</summary>
    Duplicate,

    /// <summary>The queue holds as many waiting runs as it may.</summary>
    QueueFull,
}

/// <summary>What <see cref="RunQueue.Submit"/> decided: the run starts now (position 0), waits at a position (1 = next), or is refused.</summary>
public sealed record Admission(int Position, Rejection? Refused = null)
{
    public bool Accepted => Refused is null;
}

/// <summary>What <see cref="RunQueue.Cancel"/> decided for a run.</summary>
public enum QueuedCancel
{
    /// <summary>It was waiting: it is out of the queue and ends now.</summary>
    RemovedFromQueue,

    /// <summary>It is running: its coordinator must be told, and it ends when it reports.</summary>
    SignalCoordinator,

    /// <summary>It is neither waiting nor running.</summary>
    NotActive,
}

/// <summary>
/// The runs actor's queue decisions as a value: which runs wait (in arrival order), which hold one of the
/// <see cref="MaxRunning"/> slots, which are still active (not yet ended), and whether the host is stopping. A run
/// holds its slot from its start until its coordinator has stopped (not merely reported), so the limit is never
/// exceeded; at most <see cref="MaxQueued"/> runs wait. Every transition returns a new queue and what to do.
/// </summary>
public sealed record RunQueue(
    int MaxRunning,
    int MaxQueued,
    ImmutableQueue<string> Waiting,
    ImmutableHashSet<string> Slots,
    ImmutableHashSet<string> Active,
    bool Stopping = false)
{
    /// <summary>An empty queue with <paramref name="maxRunning"/> slots and room for <paramref name="maxQueued"/> waiting runs.</summary>
    public static RunQueue Empty(int maxRunning, int maxQueued) =>
        new(Math.Max(1, maxRunning), Math.Max(0, maxQueued), [], [], []);

    public int WaitingCount => Waiting.Count();

    /// <summary>Takes a new run, or refuses it (stopping, a duplicate id, a full queue); call <see cref="StartWaiting"/> next.</summary>
    public (RunQueue Queue, Admission Admission) Submit(string runId)
    {
        if (Stopping)
        {
            return (this, new Admission(-1, Rejection.Stopping));
        }
        if (Active.Contains(runId))
        {
            return (this, new Admission(-1, Rejection.Duplicate));
        }
        var startsNow = Slots.Count < MaxRunning && Waiting.IsEmpty;
        var waiting = WaitingCount;
        if (!startsNow && waiting >= MaxQueued)
        {
            return (this, new Admission(-1, Rejection.QueueFull));
        }
        var next = this with { Waiting = Waiting.Enqueue(runId), Active = Active.Add(runId) };
        return (next, new Admission(startsNow ? 0 : waiting + 1));
    }

    /// <summary>The waiting runs that get a free slot now, oldest first; they hold their slots from here on.</summary>
    public (RunQueue Queue, ImmutableArray<string> Start) StartWaiting()
    {
        var waiting = Waiting;
        var slots = Slots;
        var start = ImmutableArray.CreateBuilder<string>();
        while (slots.Count < MaxRunning && !waiting.IsEmpty)
        {
            waiting = waiting.Dequeue(out var runId);
            slots = slots.Add(runId);
            start.Add(runId);
        }
        return (this with { Waiting = waiting, Slots = slots }, start.ToImmutable());
    }

    /// <summary>A cancel: a waiting run leaves the queue and ends; a running one must be told; anything else is not active.</summary>
    public (RunQueue Queue, QueuedCancel Outcome) Cancel(string runId)
    {
        if (!Active.Contains(runId))
        {
            return (this, QueuedCancel.NotActive);
        }
        if (Slots.Contains(runId))
        {
            return (this, QueuedCancel.SignalCoordinator);
        }
        return (this with { Waiting = [.. Waiting.Where(id => id != runId)], Active = Active.Remove(runId) }, QueuedCancel.RemovedFromQueue);
    }

    /// <summary>The run has its outcome; its slot stays taken until <see cref="Released"/>.</summary>
    public RunQueue Ended(string runId) => this with { Active = Active.Remove(runId), Waiting = [.. Waiting.Where(id => id != runId)] };

    /// <summary>The run's coordinator has stopped: its slot is free.</summary>
    public RunQueue Released(string runId) => this with { Slots = Slots.Remove(runId) };

    /// <summary>The host stops: no new runs from now on; the waiting runs are returned to be ended as cancelled.</summary>
    public (RunQueue Queue, ImmutableArray<string> Cancelled) Stop()
    {
        var cancelled = Waiting.ToImmutableArray();
        return (this with { Stopping = true, Waiting = [], Active = Active.Except(cancelled) }, cancelled);
    }

    /// <summary>Every run has ended: what a stopping host waits for.</summary>
    public bool Idle => Active.IsEmpty;
}
