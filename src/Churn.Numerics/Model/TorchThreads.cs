using TorchSharp;

namespace Churn.Numerics.Model;

/// <summary>
/// The one owner of torch's intra-op thread count, which is process-wide: a run's training session and a node's
/// trials both ask here, so the count is set in one place and only when it changes.
/// </summary>
public static class TorchThreads
{
    private static readonly Lock Gate = new();
    private static int current;

    /// <summary>Uses <paramref name="threads"/> intra-op threads from now on; 0 (or less) leaves the count as it is.</summary>
    public static void Use(int threads)
    {
        if (threads <= 0)
        {
            return;
        }
        lock (Gate)
        {
            if (threads != current)
            {
                torch.set_num_threads(threads);
                current = threads;
            }
        }
    }
}
