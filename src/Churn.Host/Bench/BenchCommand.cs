namespace Churn.Host.Bench;

/// <summary><c>churn bench …</c>: in-process measurements the scripts under <c>bench/</c> drive; not for everyday use.</summary>
public static class BenchCommand
{
    public static int Run(string[] args) => args.FirstOrDefault() switch
    {
        "predict" => PredictBenchmark.Run(args[1..]),
        "prepare" => PrepareBenchmark.Run(args[1..]),
        "coordinator" => CoordinatorBenchmark.Run(args[1..]),
        "search-read" => SearchReadBenchmark.Run(args[1..]),
        "explain-export" => ExplainExport.Run(args[1..]),
        "customers" => CustomerFiles.Run(args[1..]),
        "read" => ReadBenchmark.Run(args[1..]),
        "reasons" => ReasonsBenchmark.Run(args[1..]),
        _ => Usage(),
    };

    private static int Usage()
    {
        Console.Error.WriteLine("usage: churn bench prepare [options] | churn bench predict --model DIR [--rows N] [--repeats R] | churn bench coordinator [--trials N] [--nodes N] [--slots S] [--store PATH] | churn bench search-read [--trials N] [--epochs E] [--repeats R] | churn bench explain-export --model DIR --input CSV --out FILE [--customers N] [--background-size B] | churn bench customers --rows N --csv FILE --parquet FILE [--seed S] [--group-rows G] | churn bench read --input FILE | churn bench reasons --model DIR --input CSV [--customers N] [--seed S]");
        return 2;
    }
}
