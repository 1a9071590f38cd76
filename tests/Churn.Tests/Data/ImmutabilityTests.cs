using Churn.Numerics.Data;

namespace Churn.Tests.Data;

/// <summary>Every stage returns new values: its inputs are unchanged afterwards and share no storage with its outputs.</summary>
public class ImmutabilityTests
{
    private static readonly Dataset Data = Rows.Mixed(buyers: 40, nonBuyers: 160);

    [Theory]
    [InlineData(BalanceStrategy.First)]
    [InlineData(BalanceStrategy.Random)]
    public void Balance_leaves_its_input_unchanged(BalanceStrategy strategy)
    {
        var before = Snapshot.Of(Data);
        var balanced = Balancer.Balance(Data, strategy, 1).Unwrap();
        before.AssertSameAs(Data);
        AssertOwnStorage(Data, balanced.Data);
    }

    [Fact]
    public void Scaler_leaves_its_input_unchanged()
    {
        var before = Snapshot.Of(Data);
        var parameters = Scaler.Fit(Data.Inputs);
        var applied = Scaler.Apply(parameters, Data.Inputs);
        var (scaled, _) = Scaler.FitApply(Data);
        before.AssertSameAs(Data);
        Assert.NotSame(Data.Inputs, applied);
        AssertOwnStorage(Data, scaled);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Split_leaves_its_input_unchanged(bool stratify)
    {
        var before = Snapshot.Of(Data);
        var splits = Splitter.Split(Data, SplitRatios.Default, 2, stratify).Unwrap();
        before.AssertSameAs(Data);
        AssertOwnStorage(Data, splits.Train);
        AssertOwnStorage(Data, splits.Validation);
        AssertOwnStorage(Data, splits.Test);
    }

    [Fact]
    public void Prepare_and_write_leave_the_loaded_data_unchanged()
    {
        var loaded = CustomerCsv.Load(TestFiles.Csv(string.Join("\n", Enumerable.Range(1, 60).Select(i => i % 4 == 0 ? Rows.Buyer(i) : Rows.NonBuyer(i))))).Unwrap();
        var before = Snapshot.Of(loaded.Data);
        var prepared = Preparation.Prepare(loaded, PrepareOptions.Default).Unwrap();
        before.AssertSameAs(loaded.Data);

        var splitsBefore = new[] { prepared.Splits.Train, prepared.Splits.Validation, prepared.Splits.Test }.Select(Snapshot.Of).ToList();
        var balancedBefore = Snapshot.Of(prepared.Balanced.Data);
        SplitFiles.Write(TestFiles.NewDirectory(), "p", prepared).Unwrap();
        Npz.Write(Path.Combine(TestFiles.NewDirectory(), "t.npz"), prepared.Splits.Train).Unwrap();
        before.AssertSameAs(loaded.Data);
        balancedBefore.AssertSameAs(prepared.Balanced.Data);
        splitsBefore[0].AssertSameAs(prepared.Splits.Train);
        splitsBefore[1].AssertSameAs(prepared.Splits.Validation);
        splitsBefore[2].AssertSameAs(prepared.Splits.Test);
    }

    private static void AssertOwnStorage(Dataset input, Dataset output)
    {
        Assert.NotSame(input.Inputs, output.Inputs);
        Assert.NotSame(input.Inputs.AsColumnMajorArray(), output.Inputs.AsColumnMajorArray());
    }
}
