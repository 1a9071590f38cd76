namespace Churn.Numerics.Data;

/// <summary>Balances the classes "according to priority": every buyer is kept, non-buyers are undersampled.</summary>
public static class Balancer
{
    public static Result<Balanced> Balance(Dataset data, BalanceStrategy strategy, ulong seed) =>
        throw new NotImplementedException();
}
