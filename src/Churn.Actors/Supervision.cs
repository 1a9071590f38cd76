using Akka.Actor;

namespace Churn.Actors;

/// <summary>How the actors that drive one run (a pipeline run, a search's trial) supervise the trainer they start.</summary>
public static class Supervision
{
    /// <summary>
    /// A broken trainer fails this run, and only it: <paramref name="fail"/> hears the exception's type and message,
    /// and the trainer is stopped rather than restarted (a restart would train again from nothing).
    /// </summary>
    public static SupervisorStrategy BrokenTrainerFailsTheRun(Action<string> fail) =>
        new OneForOneStrategy(
            ex =>
            {
                fail($"{ex.GetType().Name}: {ex.Message}");
                return Directive.Stop;
            },
            false);
}
