using System.Threading.Channels;

namespace Churn.Actors.Search;

/// <summary>
/// One search's journal writes, made in the order they were queued by one writer off the coordinator's thread: an
/// epoch's write to the store never holds up the coordinator's mailbox (a cancel, a node's trial reports). A write
/// that throws is handed to <c>failed</c> (the coordinator logs it) and the search goes on, as it always did.
/// </summary>
/// <remarks>
/// Durable on stop: disposing waits for every write queued before it (bounded by <see cref="StopWait"/>), so a search
/// stopped with its host keeps in the store everything it recorded; <see cref="Drained"/> lets a search announce its
/// end only once its journal is complete.
/// </remarks>
public sealed class SearchJournalQueue : IDisposable
{
    /// <summary>How long a stopping search waits for its last writes.</summary>
    public static readonly TimeSpan StopWait = TimeSpan.FromSeconds(30);

    private readonly Channel<Action<ISearchJournal>> _writes =
        Channel.CreateUnbounded<Action<ISearchJournal>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    private readonly Task _writer;

    public SearchJournalQueue(ISearchJournal journal, Action<Exception> failed)
    {
        _writer = Task.Run(async () =>
        {
            await foreach (var write in _writes.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                try
                {
                    write(journal);
                }
                catch (Exception ex)
                {
                    failed(ex);
                }
            }
        });
    }

    /// <summary>Queues one record (a call of <see cref="ISearchJournal"/> over immutable values); a stopped queue drops it.</summary>
    public void Write(Action<ISearchJournal> record) => _writes.Writer.TryWrite(record);

    /// <summary>Completes once every record queued before this call is written.</summary>
    public Task Drained()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_writes.Writer.TryWrite(_ => done.TrySetResult()))
        {
            done.TrySetResult();
        }
        return done.Task;
    }

    /// <summary>Takes no more records and waits (at most <see cref="StopWait"/>) for those queued to be written.</summary>
    public void Dispose()
    {
        _writes.Writer.TryComplete();
        _writer.Wait(StopWait);
    }
}
