using System.Diagnostics;
using Churn.Numerics;
using Churn.Numerics.Data;

namespace Churn.Tests.Data;

/// <summary>Files a loader must not be trapped by: endless streams, devices, and files larger than the limits.</summary>
public class LoaderLimitsTests
{
    /// <summary>A named pipe fed with valid, distinct customer rows for as long as someone reads it.</summary>
    internal static (string Path, Process Writer) EndlessCustomers()
    {
        var fifo = Path.Combine(TestPaths.NewTempDirectory(), "endless.csv");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            mkfifo.WaitForExit();
        }
        var writer = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"i=1; while :; do echo \"$i,1,1,1,1,1,1,0,0,1,1,$((i % 2))\"; i=$((i+1)); done > '{fifo}'"])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        return (fifo, writer);
    }

    private static void Stop(Process writer)
    {
        if (!writer.HasExited)
        {
            writer.Kill(entireProcessTree: true);
        }
        writer.WaitForExit();
        writer.Dispose();
    }

    [Fact]
    public void A_cancelled_load_of_an_endless_stream_returns_within_a_second_of_the_cancel()
    {
        var (fifo, writer) = EndlessCustomers();
        try
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            var clock = Stopwatch.StartNew();

            var loaded = CustomerCsv.Load(fifo, TargetPolicy.Required, new DataLimits(MaxRows: long.MaxValue, MaxBytes: long.MaxValue), cancel: cancel.Token);

            var problem = Assert.IsType<Result<LoadedData>.Error>(loaded).Problem;
            Assert.Contains("cancelled", problem.Reason, StringComparison.Ordinal);
            Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(1.5));
        }
        finally
        {
            Stop(writer);
        }
    }

    [Fact]
    public void An_endless_stream_stops_at_the_row_limit_with_a_reason_naming_it()
    {
        var (fifo, writer) = EndlessCustomers();
        try
        {
            var loaded = CustomerCsv.Load(fifo, TargetPolicy.Required, new DataLimits(MaxRows: 2000));

            var problem = Assert.IsType<Result<LoadedData>.Error>(loaded).Problem;
            Assert.Contains("limits.maxRows", problem.Reason, StringComparison.Ordinal);
            Assert.Equal(2001, problem.Line);
        }
        finally
        {
            Stop(writer);
        }
    }

    [Fact]
    public void Dev_zero_is_refused_quickly_instead_of_being_read_forever()
    {
        var loaded = CustomerCsv.Load("/dev/zero");

        var problem = Assert.IsType<Result<LoadedData>.Error>(loaded).Problem;
        Assert.Equal("/dev/zero", problem.File);
    }

    [Fact]
    public void A_file_over_the_byte_limit_is_refused_before_it_is_parsed()
    {
        var loaded = CustomerCsv.Load(TestPaths.BundledData, TargetPolicy.Required, new DataLimits(MaxBytes: 100_000));

        var problem = Assert.IsType<Result<LoadedData>.Error>(loaded).Problem;
        Assert.Contains("limits.maxBytes", problem.Reason, StringComparison.Ordinal);
        Assert.Null(problem.Line);
    }

    [Fact]
    public void A_stream_over_the_byte_limit_stops_reading_there()
    {
        var (fifo, writer) = EndlessCustomers();
        try
        {
            var loaded = CustomerCsv.Load(fifo, TargetPolicy.Required, new DataLimits(MaxRows: long.MaxValue, MaxBytes: 1 << 20));

            Assert.Contains("limits.maxBytes", Assert.IsType<Result<LoadedData>.Error>(loaded).Problem.Reason, StringComparison.Ordinal);
        }
        finally
        {
            Stop(writer);
        }
    }

    [Theory]
    [InlineData("1e308")]
    [InlineData("-1.7976931348623157e308")]
    [InlineData("1e200")]
    public void A_value_near_the_largest_double_is_rejected_with_line_and_column(string value)
    {
        var path = TestFiles.Csv($"1,10,10,5,5,0,8,0.5,10,0,5,0\n2,10,10,5,{value},0,8,0.5,10,0,5,1\n");

        var problem = Assert.IsType<Result<LoadedData>.Error>(CustomerCsv.Load(path)).Problem;

        Assert.Equal(2, problem.Line);
        Assert.Equal(Schema.FeatureNames[3], problem.Column);
        Assert.Contains("at most", problem.Reason, StringComparison.Ordinal);
    }
}
