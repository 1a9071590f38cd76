using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Churn.Host.Api;
using Churn.Host.Configuration;
using Churn.Host.Store;
using Churn.Numerics;

namespace Churn.Host.Cli;

/// <summary><c>churn runs</c>: the runs in the run store, newest first, whoever recorded them (a host or a command).</summary>
public static class RunsCommand
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static int Run(ParseResult parse)
    {
        var configured = ChurnConfig.Load(parse.GetValue(ChurnCommandLine.Config));
        if (configured is Result<ChurnConfig>.Error configError)
        {
            return ChurnCli.Fail(configError.Problem);
        }

        var path = ChurnCli.StorePath(parse, configured.Unwrap());
        if (!File.Exists(path))
        {
            return ChurnCli.Fail(new Problem("no run store here yet: run, prepare, train and search create it", path));
        }

        var opened = SqliteRunStore.Open(path, DateTimeOffset.UtcNow);
        if (opened is Result<SqliteRunStore>.Error storeError)
        {
            return ChurnCli.Fail(storeError.Problem);
        }

        using var store = opened.Unwrap();
        var now = DateTimeOffset.UtcNow;
        var status = parse.GetValue(ChurnCommandLine.Status);
        var runs = store.List(status, parse.GetValue(ChurnCommandLine.Limit)).Select(r => RunSummary.From(r, now)).ToList();
        if (parse.GetValue(ChurnCommandLine.Json))
        {
            StandardOutput.Writer.WriteLine(JsonSerializer.Serialize(new RunList([.. runs], null), JsonFormat.Options));
            return 0;
        }

        StandardOutput.Writer.Write(Table(runs));
        if (runs.Count == 0)
        {
            Console.Error.WriteLine($"churn runs: no runs{(status is null ? "" : $" with status {status}")} in {store.FilePath}");
        }

        return 0;
    }

    /// <summary>The runs as a console table: id, mode, status, where it is, when it was queued, how long it took, headline figures.</summary>
    public static string Table(IReadOnlyList<RunSummary> runs)
    {
        var table = new StringBuilder();
        table.AppendLine("id                      mode     status       stage     epoch  queued (UTC)          duration  ROC AUC*  accuracy†");
        foreach (var r in runs)
        {
            var h = r.Headline;
            var auc = h?.PopulationRocAuc ?? h?.TestRocAuc;
            table.AppendLine(string.Create(Invariant,
                $"{r.Id,-23} {r.Mode,-8} {r.Status,-12} {r.Stage ?? "",-9} {(r.Epoch is { } e ? e.ToString(Invariant) : ""),5}  {r.QueuedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}   {Duration(r.DurationSeconds),8}  {Figure(auc),7}  {Figure(h?.TestAccuracy),9}"));
        }

        if (runs.Any(r => r.Headline is not null))
        {
            table.AppendLine("* on the customers' natural mix when the run measured it, else on the balanced test split; † balanced test split (the recipe's figure)");
        }

        return table.ToString();
    }

    private static string Figure(double? value) => value is { } v ? v.ToString("F4", Invariant) : "";

    private static string Duration(double? seconds) => seconds switch
    {
        null => "",
        < 60 => string.Create(Invariant, $"{seconds:F1} s"),
        _ => string.Create(Invariant, $"{Math.Floor(seconds.Value / 60):F0} min {seconds.Value % 60:F0} s"),
    };
}
