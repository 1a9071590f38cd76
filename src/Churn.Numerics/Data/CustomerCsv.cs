namespace Churn.Numerics.Data;

/// <summary>Reads the customer file: ID, ten behaviour features, target (optional when scoring).</summary>
public static class CustomerCsv
{
    /// <summary>Reads and validates a customer CSV; every rejection names file, line, column and reason.</summary>
    public static Result<LoadedData> Load(string path, TargetPolicy target = TargetPolicy.Required) =>
        throw new NotImplementedException();
}
