namespace Churn.Tests.Model;

/// <summary>
/// Tests that train or score with torch run one at a time: torch's thread count is process-wide, and the leak tests
/// count live tensors, so they must not share the process with other torch work.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    public const string Name = "torch";
}
