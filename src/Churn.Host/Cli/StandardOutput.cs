namespace Churn.Host.Cli;

/// <summary>
/// Standard output belongs to the command's result (a summary, <c>--json</c> metrics, scores): libraries that write to
/// <see cref="Console.Out"/> on their own, like Akka's fallback logger during shutdown, are sent to stderr instead.
/// </summary>
public static class StandardOutput
{
    public static TextWriter Writer { get; private set; } = Console.Out;

    /// <summary>Keeps the real stdout for <see cref="Writer"/> and points <see cref="Console.Out"/> at stderr.</summary>
    public static void Reserve()
    {
        Writer = Console.Out;
        Console.SetOut(Console.Error);
    }
}
