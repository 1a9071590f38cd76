using Akka.Actor;
using Churn.Actors.Messages;
using Churn.Numerics.Data;
using Churn.Numerics.Pipeline;

namespace Churn.Actors.Pipeline;

/// <summary>Reads customer CSV files, or three prepared <c>.npz</c> splits.</summary>
public sealed class LoaderActor : StageActor
{
    public LoaderActor()
    {
        Stage<LoadData>(
            Messages.Stage.Load,
            c => CustomerCsv.Load(c.Path, TargetPolicy.Required, c.Limits, cancel: c.Cancel).Map(object (loaded) => new DataLoaded(c.RunId, loaded)),
            e => StageDetail.Loaded(((DataLoaded)e).Loaded.Data.Counts()));
        Stage<LoadSplits>(
            Messages.Stage.Load,
            c => SplitFiles.Read(c.Directory, c.Prefix, c.Limits, c.Cancel).Map(object (s) => new SplitsLoaded(c.RunId, s.Splits, s.Scaler, s.Source, s.Sha256, s.Balance, s.Mix, s.ScalerKnown)),
            e => StageDetail.Split(((SplitsLoaded)e).Splits));
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new LoaderActor());
}
