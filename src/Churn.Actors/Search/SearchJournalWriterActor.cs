using Akka.Actor;
using Akka.Event;

namespace Churn.Actors.Search;

/// <summary>
/// Writes one search's journal, in the order its coordinator told it, on a thread other than the coordinator's: an
/// epoch's write to the store never holds up the coordinator's mailbox (a cancel, a node's trial reports). A write that
/// throws is logged and the search goes on, as it always did. <see cref="Drain"/> answers once everything told before
/// it is written, so a search announces its end only when its journal is complete.
/// </summary>
public sealed class SearchJournalWriterActor : ReceiveActor
{
    /// <summary>One record for the journal (a call of <see cref="ISearchJournal"/> over immutable values).</summary>
    public sealed record Write(Action<ISearchJournal> Record);

    /// <summary>Answer <see cref="Drained"/> (with <paramref name="Then"/>) once every write before this one is done.</summary>
    public sealed record Drain(object Then);

    /// <summary>Every write told before the <see cref="Drain"/> is done; <paramref name="Then"/> is what the drain carried.</summary>
    public sealed record Drained(object Then);

    private readonly ILoggingAdapter _log = Context.GetLogger();

    public SearchJournalWriterActor(ISearchJournal journal, string searchId)
    {
        Receive<Write>(w =>
        {
            try
            {
                w.Record(journal);
            }
            catch (Exception ex)
            {
                _log.Warning(RunLog.Line(searchId, "search", $"the search store did not take a record: {ex.GetType().Name}: {ex.Message}"));
            }
        });
        Receive<Drain>(d => Sender.Tell(new Drained(d.Then)));
    }

    public static Props Props(ISearchJournal journal, string searchId) =>
        Akka.Actor.Props.Create(() => new SearchJournalWriterActor(journal, searchId));
}
