namespace Churn.Host.Store;

/// <summary>How a run is named: the time it was submitted (so ids sort by age) and six random hex digits.</summary>
public static class RunIds
{
    public static string New() => $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
}
