using System.Collections.Immutable;

namespace Churn.Actors;

/// <summary>
/// What people say of a run: a name, tags, notes, and whether it is archived (kept, but out of the way). It travels
/// with the run's request and its queued event, so that whoever lists runs from events shows them as named.
/// </summary>
public sealed record RunLabels(string? Name, ImmutableArray<string> Tags, string? Notes, bool Archived)
{
    public static readonly RunLabels None = new(null, [], null, false);

    /// <summary>Nothing said of the run.</summary>
    public bool IsEmpty => Name is null && Tags.IsDefaultOrEmpty && Notes is null && !Archived;

    public const int MaxName = 100;
    public const int MaxTags = 20;
    public const int MaxTag = 40;
    public const int MaxNotes = 4000;
}
