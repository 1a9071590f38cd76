using System.Collections.Immutable;

namespace Churn.Numerics.Data;

/// <summary>Balances the classes "according to priority": every buyer is kept, non-buyers are undersampled.</summary>
public static class Balancer
{
    /// <summary>
    /// Keeps every buyer (target 1) and as many non-buyers as there are buyers (all of them when there are fewer),
    /// chosen by <paramref name="strategy"/>; the kept rows stay in file order. <see cref="BalanceStrategy.None"/> and
    /// <see cref="BalanceStrategy.Weighted"/> keep every row (the weighting happens in the loss). <paramref name="seed"/> is the run
    /// seed: the balancer draws from its own stream (<see cref="SeededRandom.BalanceStream"/>) so callers pass the
    /// same seed to every stage. Fails when the data has no targets or a class has no rows.
    /// </summary>
    public static Result<Balanced> Balance(Dataset data, BalanceStrategy strategy, ulong seed)
    {
        if (!Enum.IsDefined(strategy))
        {
            return new Problem($"unknown balance strategy {(int)strategy}; use First, Random, None or Weighted");
        }
        if (!data.HasTargets && data.Rows > 0)
        {
            return new Problem("balancing needs the target column, and this data has none", Column: Schema.TargetColumn);
        }
        var before = data.Counts();
        if (before.Buyers == 0 || before.NonBuyers == 0)
        {
            var missing = before.Buyers == 0 ? "buyers (target 1)" : "non-buyers (target 0)";
            return new Problem(
                $"the data has no {missing}: {before.Buyers} buyers and {before.NonBuyers} non-buyers; both classes are needed",
                Column: Schema.TargetColumn);
        }

        if (strategy is BalanceStrategy.None or BalanceStrategy.Weighted)
        {
            return Result.Ok(new Balanced(data, before, before, strategy, []));
        }

        var nonBuyerRows = new int[before.NonBuyers];
        var k = 0;
        for (var row = 0; row < data.Targets.Length; row++)
        {
            if (data.Targets[row] == 0)
            {
                nonBuyerRows[k++] = row;
            }
        }

        var keepCount = Math.Min(before.Buyers, before.NonBuyers);
        var keptNonBuyers = new bool[data.Rows];
        if (strategy == BalanceStrategy.First)
        {
            for (var i = 0; i < keepCount; i++)
            {
                keptNonBuyers[nonBuyerRows[i]] = true;
            }
        }
        else
        {
            var chosen = SeededRandom.SampleWithoutReplacement(
                before.NonBuyers, keepCount, SeededRandom.Derive(seed, SeededRandom.BalanceStream));
            foreach (var i in chosen)
            {
                keptNonBuyers[nonBuyerRows[i]] = true;
            }
        }

        var rows = new int[before.Buyers + keepCount];
        var leftOut = ImmutableArray.CreateBuilder<int>(before.NonBuyers - keepCount);
        var r = 0;
        for (var row = 0; row < data.Targets.Length; row++)
        {
            if (data.Targets[row] == 1 || keptNonBuyers[row])
            {
                rows[r++] = row;
            }
            else
            {
                leftOut.Add(row);
            }
        }
        var balanced = DatasetRows.Select(data, rows);
        return Result.Ok(new Balanced(balanced, before, balanced.Counts(), strategy, leftOut.MoveToImmutable()));
    }

    /// <summary>
    /// The loss weights (non-buyer, buyer) a balancing asks of training: for <see cref="BalanceStrategy.Weighted"/>
    /// n / (2 n_class) of the training split, so both classes weigh alike (Keras' "balanced" class weights); empty
    /// (the plain loss) for every other strategy or a split missing a class.
    /// </summary>
    public static ImmutableArray<double> LossWeights(BalanceStrategy strategy, Dataset train)
    {
        var counts = train.Counts();
        if (strategy != BalanceStrategy.Weighted || counts.Buyers == 0 || counts.NonBuyers == 0)
        {
            return [];
        }
        return [counts.Total / (2.0 * counts.NonBuyers), counts.Total / (2.0 * counts.Buyers)];
    }
}
