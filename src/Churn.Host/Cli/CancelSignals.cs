using System.Runtime.InteropServices;

namespace Churn.Host.Cli;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM both ask a command that runs actors in this process to cancel: the work stops at its
/// next safe point, what was written stays intact, and the command exits with 130; a second signal ends the process
/// at once. The embedded host has no signal
/// handling of its own (its lifetime ignores signals, see <see cref="ChurnHostBuilder.Embedded"/>): if it had, SIGTERM would stop the actor system under the
/// command, which then waited forever for its run's outcome.
/// </summary>
internal sealed class CancelSignals : IDisposable
{
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;
    private volatile bool _disposed;

    public CancelSignals(string message, Action cancel)
    {
        var once = 0;
        void Handle(PosixSignalContext context)
        {
            // A second signal is left to its default action: a user who presses Ctrl-C twice means "stop now".
            if (Interlocked.Exchange(ref once, 1) != 0)
            {
                return;
            }

            context.Cancel = true;
            if (!_disposed)
            {
                Console.Error.WriteLine(message);
                try
                {
                    cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The handler runs on a pool thread and may arrive after the command has ended: nothing to cancel.
                }
            }
        }

        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
    }

    public void Dispose()
    {
        _disposed = true;
        _interrupt.Dispose();
        _terminate.Dispose();
    }
}
