using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics.Files;
using Churn.Numerics.Pipeline;

namespace Churn.Actors.Pipeline;

/// <summary>Saves the model directory, <c>metrics.json</c> and <c>report.png</c>.</summary>
public sealed class ArtifactWriterActor : StageActor
{
    public ArtifactWriterActor() =>
        Stage<SaveRun>(
            Messages.Stage.Save,
            c => RunFiles.Save(c.OutDir, c.Artifacts).Map(object (f) => new RunSaved(c.RunId, f.ModelDirectory, f.MetricsFile, f.Files, f.Metrics)),
            e => StageDetail.Written(((RunSaved)e).Files));

    public static Props Props() => Akka.Actor.Props.Create(() => new ArtifactWriterActor());
}
