using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Churn.Actors.Messages;
using Churn.Numerics;

namespace Churn.Actors.Pipeline;

/// <summary>
/// The shell every stage actor shares: receive a command, call one core function, tell the event (or a
/// <see cref="StageFailed"/>) back to the command's sender. A bug inside the core function is reported as a failed
/// stage too, so a run never waits for a reply that will not come.
/// </summary>
public abstract class StageActor : ReceiveActor
{
    protected ILoggingAdapter Log { get; } = Context.GetLogger();

    protected void Stage<TCommand>(string stage, Func<TCommand, Result<object>> work, Func<object, string> describe)
        where TCommand : IStageCommand
    {
        Receive<TCommand>(command =>
        {
            var clock = Stopwatch.StartNew();
            Log.Info(RunLog.Line(command.RunId, stage, $"{typeof(TCommand).Name} received"));
            Result<object> result;
            try
            {
                result = work(command);
            }
            catch (Exception ex)
            {
                Log.Error(ex, RunLog.Line(command.RunId, stage, $"failed unexpectedly: {ex.Message}"));
                command.ReplyTo.Tell(new StageFailed(command.RunId, stage, new Problem($"internal error: {ex.GetType().Name}: {ex.Message}")));
                return;
            }

            switch (result)
            {
                case Result<object>.Ok ok:
                    Log.Info(RunLog.Line(command.RunId, stage, $"done in {clock.ElapsedMilliseconds} ms: {describe(ok.Value)}"));
                    command.ReplyTo.Tell(ok.Value);
                    break;
                case Result<object>.Error error:
                    Log.Warning(RunLog.Line(command.RunId, stage, $"failed: {error.Problem}"));
                    command.ReplyTo.Tell(new StageFailed(command.RunId, stage, error.Problem));
                    break;
            }
        });
    }
}
