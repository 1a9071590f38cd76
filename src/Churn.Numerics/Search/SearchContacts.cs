using System.Collections.Immutable;

namespace Churn.Numerics.Search;

/// <summary>
/// Whom a search talks to, as a value: the trial nodes it places trials on, by name, and the followers it tells its
/// events, each known by <typeparamref name="TActor"/> (e.g. its actor). Decides which node a stopped actor was, so
/// that only a known node is ever lost, and once.
/// </summary>
public sealed record SearchContacts<TActor>(ImmutableDictionary<string, TActor> Nodes, ImmutableHashSet<TActor> Followers)
    where TActor : class
{
    /// <summary>No nodes and no followers yet.</summary>
    public static readonly SearchContacts<TActor> None = new(ImmutableDictionary<string, TActor>.Empty, []);

    /// <summary>The node named <paramref name="name"/>, or null when there is none (it was lost, or never came).</summary>
    public TActor? Node(string name) => Nodes.GetValueOrDefault(name);

    /// <summary>Node <paramref name="name"/> offers slots through <paramref name="node"/> (which replaces an earlier one of that name).</summary>
    public SearchContacts<TActor> NodeUp(string name, TActor node) => this with { Nodes = Nodes.SetItem(name, node) };

    /// <summary><paramref name="follower"/> follows the search's events from now on.</summary>
    public SearchContacts<TActor> Followed(TActor follower) => this with { Followers = Followers.Add(follower) };

    /// <summary>
    /// Node <paramref name="name"/> is lost: the contacts without it, and its actor (to stop watching), or null when no
    /// such node is known (already lost, or never came), in which case nothing changes.
    /// </summary>
    public (SearchContacts<TActor> State, TActor? Lost) NodeDown(string name) =>
        Nodes.TryGetValue(name, out var node) ? (this with { Nodes = Nodes.Remove(name) }, node) : (this, null);

    /// <summary>
    /// <paramref name="actor"/> stopped: it follows no more, and the name of the node it was, which is lost (null when it
    /// was no node's; the node stays listed until <see cref="NodeDown"/>).
    /// </summary>
    public (SearchContacts<TActor> State, string? LostNode) Stopped(TActor actor) =>
        (this with { Followers = Followers.Remove(actor) }, Nodes.FirstOrDefault(n => n.Value.Equals(actor)).Key);
}
