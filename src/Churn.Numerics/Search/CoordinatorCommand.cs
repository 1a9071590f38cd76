using System.Collections.Immutable;

namespace Churn.Numerics.Search;

/// <summary>Where a search's coordinator is in its life.</summary>
public enum SearchPhase
{
    /// <summary>Loading and splitting the data every trial shares.</summary>
    Preparing,

    /// <summary>Trials train on the nodes' slots.</summary>
    Running,

    /// <summary>Cancelled: trials were told to stop and have a grace period to do so.</summary>
    Cancelling,

    /// <summary>The trials are done; the winner is trained again through the run pipeline for its one test evaluation.</summary>
    TrainingWinner,

    /// <summary>The winner's seeds are trained again, as their trials were, for the averaged model.</summary>
    AveragingWinner,

    /// <summary>The report files are being written.</summary>
    Writing,

    /// <summary>Ended; nothing more happens.</summary>
    Done,
}

/// <summary>What a search's coordinator must carry out after an event.</summary>
public abstract record CoordinatorCommand
{
    private CoordinatorCommand() { }

    /// <summary>
    /// Send the search's prepared splits for data choice <paramref name="Data"/> (<see cref="DataChoice.Key"/>; empty for
    /// the search's own preparation) to <paramref name="Node"/>: once per node and preparation, before the first trial there that trains on them.
    /// </summary>
    public sealed record Supply(string Node, string Data = "") : CoordinatorCommand;

    /// <summary>Start <paramref name="Trial"/> from epoch 1 on a free slot of <paramref name="Node"/>.</summary>
    public sealed record Place(TrialSpec Trial, string Node) : CoordinatorCommand;

    /// <summary>Let a trial paused at a rung go on.</summary>
    public sealed record Continue(int Trial, string Node) : CoordinatorCommand;

    /// <summary>Tell a trial to stop between epochs.</summary>
    public sealed record Halt(int Trial, string Node, string Reason) : CoordinatorCommand;

    /// <summary>Stop a trial's actor outright: it did not stop within the cancel's grace.</summary>
    public sealed record Kill(int Trial, string Node) : CoordinatorCommand;

    /// <summary>Record a scheduler decision.</summary>
    public sealed record Record(RungDecision Decision) : CoordinatorCommand;

    /// <summary>A trial ended (its final record): journal it and tell the listener, exactly once per trial.</summary>
    public sealed record Ended(TrialRecord Trial) : CoordinatorCommand;

    /// <summary>A trial lost with its node goes back to the queue, to run again from epoch 1.</summary>
    public sealed record Requeued(int Trial, string Node) : CoordinatorCommand;

    /// <summary>Train the winner through the run pipeline for its model and its one test evaluation.</summary>
    public sealed record TrainWinner(LeaderboardRow Best) : CoordinatorCommand;

    /// <summary>
    /// Train the winner's seeds again (<paramref name="Members"/>: its trials, which reproduce exactly) and save their
    /// averaged model.
    /// </summary>
    public sealed record AverageWinner(LeaderboardRow Best, ImmutableArray<TrialSpec> Members) : CoordinatorCommand;

    /// <summary>Cancel the winner's run.</summary>
    public sealed record CancelWinner : CoordinatorCommand
    {
        public static readonly CancelWinner Instance = new();
    }

    /// <summary>Start the grace period after which trials still training are stopped outright.</summary>
    public sealed record StartGrace : CoordinatorCommand
    {
        public static readonly StartGrace Instance = new();
    }

    /// <summary>Write the report files.</summary>
    public sealed record WriteReport : CoordinatorCommand
    {
        public static readonly WriteReport Instance = new();
    }
}
