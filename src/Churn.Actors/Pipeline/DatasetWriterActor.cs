using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics.Data;
using Churn.Numerics.Pipeline;

namespace Churn.Actors.Pipeline;

/// <summary>Writes the three <c>.npz</c> splits and <c>manifest.json</c>.</summary>
public sealed class DatasetWriterActor : StageActor
{
    public DatasetWriterActor() =>
        Stage<WriteDataset>(
            Messages.Stage.Write,
            c => SplitFiles.Write(c.Directory, c.Prefix, c.Prepared).Map(object (m) => new DatasetWritten(c.RunId, m)),
            e => StageDetail.Written(((DatasetWritten)e).Manifest.Files));

    public static Props Props() => Akka.Actor.Props.Create(() => new DatasetWriterActor());
}
