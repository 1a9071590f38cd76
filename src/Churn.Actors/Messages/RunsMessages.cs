using System.Collections.Immutable;
using Akka.Actor;

namespace Churn.Actors.Messages;

/// <summary>
/// The runs actor took a run: it starts now (<paramref name="Position"/> 0) or waits at that place in the queue. The
/// runs actor says when (<paramref name="At"/>), with what settings and labels, as it records them, so that a list of
/// runs is built from events alone; the three are null on an event read back from a stream.
/// </summary>
public sealed record RunQueued(string RunId, int Position, DateTimeOffset? At = null, RunSettings? Settings = null, RunLabels? Labels = null) : IRunEvent;

/// <summary>A queued run got a slot and its coordinator began the first stage, at <paramref name="At"/> as recorded.</summary>
public sealed record RunStarted(string RunId, DateTimeOffset? At = null) : IRunEvent;

/// <summary>People renamed, tagged or archived a run that is queued or running; those who follow it see the new labels.</summary>
public sealed record RunLabelled(string RunId, RunLabels Labels) : IRunEvent;

/// <summary>The runs actor's reply to the sender of a <see cref="RunPipeline"/> it took.</summary>
public sealed record RunAccepted(string RunId, int Position);

/// <summary>The runs actor's reply to the sender of a <see cref="RunPipeline"/> it did not take, and why.</summary>
public sealed record RunRejected(string RunId, string Reason, Runs.Rejection Why = Runs.Rejection.Stopping);

/// <summary>Send <paramref name="Follower"/> every event of the run from now on; the reply is a <see cref="RunSubscription"/>.</summary>
public sealed record FollowRun(string RunId, IActorRef Follower);

/// <summary>
/// What the run did before <see cref="FollowRun"/> arrived. <paramref name="Active"/> is false when the run is not queued or
/// running in this actor (it ended, or never existed): then no events will follow and the run store has the rest.
/// </summary>
public sealed record RunSubscription(string RunId, bool Active, ImmutableArray<IRunEvent> SoFar);

/// <summary>
/// Send <paramref name="Follower"/> every event of every run from now on, runs queued later included, each run's in
/// the order it happened; the reply is an <see cref="AllRunsFollowed"/>.
/// </summary>
public sealed record FollowAllRuns(IActorRef Follower);

/// <summary>
/// What the runs queued or running when <see cref="FollowAllRuns"/> arrived did so far, each run's events in order;
/// the events that follow take up from there. Runs that had already ended are in the run store.
/// </summary>
public sealed record AllRunsFollowed(ImmutableArray<IRunEvent> SoFar);

/// <summary>What a <see cref="CancelRun"/> did.</summary>
public enum CancelOutcome
{
    /// <summary>The run was waiting and is now cancelled.</summary>
    Cancelled,

    /// <summary>The run is running; it stops between stages or epochs and then reports <see cref="RunCancelled"/>.</summary>
    Cancelling,

    /// <summary>The run is not queued or running here: it has already ended, or never existed.</summary>
    NotActive,
}

/// <summary>The runs actor's reply to the sender of a <see cref="CancelRun"/>.</summary>
public sealed record CancelRunResponse(string RunId, CancelOutcome Outcome);

/// <summary>
/// The host is stopping: cancel every queued and running run, refuse new ones, and reply <see cref="AllRunsStopped"/> once
/// every run has ended (runs still busy after the grace period are recorded as cancelled without waiting further).
/// It may come more than once (the host sends it as it begins to stop, CoordinatedShutdown again); every sender gets
/// the reply.
/// </summary>
public sealed record StopAllRuns(TimeSpan Grace);

public sealed record AllRunsStopped
{
    public static readonly AllRunsStopped Instance = new();
}
