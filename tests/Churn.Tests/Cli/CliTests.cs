using System.Globalization;
using System.Text.Json;
using Churn.Host.Cli;
using Churn.Numerics.Data;
using Churn.Tests.Data;

namespace Churn.Tests.Cli;

/// <summary>The <c>churn</c> executable end to end, in its own process, as a user runs it.</summary>
public class CliTests
{
    private const string GoodRow = "10,1620,1620,19.73,19.73,1,10,0.99,1603.8,5,92,1";
    private const string GoodZero = "11,2160,2160,5.33,5.33,0,8.91,0,0,0,0,0";

    [Fact]
    public async Task Prepare_with_first_balance_and_seed_0_gives_the_original_recipe_splits_that_numpy_reads()
    {
        var dir = TestPaths.NewTempDirectory();
        var result = await ChurnProcess.RunAsync(dir, "prepare", "--data", TestPaths.BundledData, "--out", "prepared", "--balance", "first", "--seed", "0");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("2,237", result.Stdout);
        Assert.Contains("3,579 / 447 / 448", result.Stdout);
        var shapes = Numpy.Run(
            "import numpy as np, sys, json\n" +
            "out = {}\n" +
            "for s in ('train','validation','test'):\n" +
            "    f = np.load(sys.argv[1] + '/Audiobooks_data_' + s + '.npz')\n" +
            "    out[s] = '%s %s %s %s' % (f['inputs'].shape, f['inputs'].dtype, f['targets'].shape, f['targets'].dtype)\n" +
            "print(json.dumps(out))\n",
            Path.Combine(dir, "prepared"));
        Assert.Equal("(3579, 10) float64 (3579,) int64", shapes.GetProperty("train").GetString());
        Assert.Equal("(447, 10) float64 (447,) int64", shapes.GetProperty("validation").GetString());
        Assert.Equal("(448, 10) float64 (448,) int64", shapes.GetProperty("test").GetString());
        Assert.True(File.Exists(Path.Combine(dir, "prepared", "manifest.json")));
    }

    public static TheoryData<string, int, string> MalformedFiles => new()
    {
        { $"{GoodRow}\n{GoodZero}\n12,1,2,3\n", 3, "" },
        { $"{GoodRow}\n12,2160,2160,abc,5.33,0,8.91,0,0,0,0,0\n{GoodZero}\n", 2, "price_avg" },
        { $"{GoodRow}\n12,2160,2160,5.33,5.33,0,NaN,0,0,0,0,0\n{GoodZero}\n", 2, "review_score" },
        { $"{GoodRow}\n{GoodZero}\n12,2160,2160,5.33,5.33,0,8.91,0,0,0,0,2\n", 3, "target" },
        { $"{GoodRow}\n12,2160,2160,5.33,5.33,3,8.91,0,0,0,0,0\n{GoodZero}\n", 2, "review" },
        { $"{GoodRow}\n12,2160,2160,5.33,5.33,0,8.91,1.5,0,0,0,0\n{GoodZero}\n", 2, "completion" },
        { $"{GoodRow}\n12,2160,2160,5.33,5.33,0,8.91,0,-4,0,0,0\n{GoodZero}\n", 2, "minutes_listened" },
        { $"{GoodRow}\n12,2160,2160,5.33,5.33,0,11,0,0,0,0,0\n{GoodZero}\n", 2, "review_score" },
        { $"{GoodRow}\n{GoodZero}\n10,2160,2160,5.33,5.33,0,8.91,0,0,0,0,0\n", 3, "customer_id" },
        { $"{GoodZero}\n12,2160,2160,5.33,5.33,0,8.91,0,0,0,0,0\n", 0, "target" },
    };

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public async Task Prepare_rejects_a_malformed_file_with_one_line_naming_file_line_and_column(string content, int line, string column)
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "customers.csv"), content);

        var result = await ChurnProcess.RunAsync(dir, "prepare", "--data", "customers.csv", "--out", "out");

        Assert.Equal(1, result.ExitCode);
        var message = result.Stderr.Trim().Split('\n').Last();
        Assert.StartsWith("churn: error:", message);
        Assert.Contains("customers.csv", message);
        if (line > 0)
        {
            Assert.Contains($":{line}:", message);
        }

        Assert.Contains(column, message);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")) && Directory.EnumerateFiles(Path.Combine(dir, "out")).Any(), "nothing is written for a bad file");
    }

    [Theory]
    [InlineData("")]
    [InlineData("\r\n\r\n")]
    public async Task Prepare_rejects_an_empty_file(string content)
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "empty.csv"), content);

        var result = await ChurnProcess.RunAsync(dir, "prepare", "--data", "empty.csv");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("empty.csv", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task Search_names_every_bad_field_of_its_space_file_at_once()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "space.json"), """{ "trials": 0, "minDelta": -1, "space": { "dropout": [0, 1.5], "colour": "blue" } }""");

        var result = await ChurnProcess.RunAsync(dir, "search", "--space", "space.json", "--no-store", "--data", TestPaths.BundledData);

        Assert.Equal(1, result.ExitCode);
        foreach (var field in new[] { "'trials'", "'minDelta'", "'space.dropout[1]'", "'space.colour'" })
        {
            Assert.Contains($"space.json: column {field}: ", result.Stderr, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_flags_at_fault_are_each_named_with_one_pointer_to_help()
    {
        var result = await ChurnProcess.RunAsync(TestPaths.NewTempDirectory(), "search", "--no-store", "--data", TestPaths.BundledData, "--parallel", "0", "--trials", "0", "--seeds", "0");

        Assert.Equal(2, result.ExitCode);
        foreach (var flag in new[] { "--parallel: ", "--trials: ", "--seeds: " })
        {
            Assert.Contains($"churn: {flag}", result.Stderr, StringComparison.Ordinal);
        }
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(result.Stderr, "--help"));
    }

    [Fact]
    public async Task A_missing_data_file_is_named_in_one_line()
    {
        var dir = TestPaths.NewTempDirectory();
        var result = await ChurnProcess.RunAsync(dir, "prepare", "--data", "nope.csv");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("nope.csv", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Theory]
    [InlineData("prepare", "--bogus")]
    [InlineData("prepare", "--seed")]
    [InlineData("frobnicate")]
    [InlineData("train")]
    [InlineData("predict", "--model", "m")]
    public async Task Usage_errors_exit_with_2(params string[] args)
    {
        var result = await ChurnProcess.RunAsync(TestPaths.NewTempDirectory(), args);

        Assert.Equal(2, result.ExitCode);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Theory]
    [InlineData("--seed", "-1")]
    [InlineData("--split", "0.5,0.5,0.5")]
    [InlineData("--balance", "sideways")]
    [InlineData("--log-features", "price")]
    [InlineData("--config", "missing.json")]
    public async Task Impossible_option_values_fail_clearly(string option, string value)
    {
        var result = await ChurnProcess.RunAsync(TestPaths.NewTempDirectory(), "prepare", option, value);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(option.TrimStart('-'), result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Theory]
    [InlineData("""{ "model": { "depth": 0 } }""", "depth")]
    [InlineData("""{ "logFeatures": ["price_avg", "colour"] }""", "logFeatures")]
    [InlineData("""{ "logFeatures": 3 }""", "logFeatures")]
    public async Task A_config_file_with_an_out_of_range_field_names_file_and_field(string content, string field)
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "bad.json"), content);

        var result = await ChurnProcess.RunAsync(dir, "run", "--config", "bad.json");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("bad.json", result.Stderr);
        Assert.Contains(field, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task Run_json_prints_one_json_object_and_predict_scores_every_customer()
    {
        var dir = TestPaths.NewTempDirectory();
        // The recipe's balancing, so that some non-buyers are left out and judged on their own.
        File.WriteAllText(Path.Combine(dir, "quick.json"), """{ "model": { "maxEpochs": 3 }, "balance": "random" }""");

        var run = await ChurnProcess.RunAsync(dir, "run", "--data", TestPaths.BundledData, "--out", "out", "--config", "quick.json", "--json");

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var metrics = JsonDocument.Parse(run.Stdout);
        var test = metrics.RootElement.GetProperty("test");
        Assert.InRange(test.GetProperty("accuracy").GetDouble(), 0.5, 1.0);
        Assert.InRange(test.GetProperty("rocAuc").GetDouble(), 0.5, 1.0);
        Assert.True(test.GetProperty("logLoss").GetDouble() > 0);
        Assert.Equal(10, metrics.RootElement.GetProperty("importance").GetArrayLength());
        var leftOut = metrics.RootElement.GetProperty("leftOut");
        Assert.Equal(11_847 - 2_237, leftOut.GetProperty("rows").GetInt32());
        Assert.InRange(leftOut.GetProperty("calledNonBuyers").GetDouble(), 0.0, 1.0);
        Assert.InRange(leftOut.GetProperty("rocAucWithTest").GetDouble(), 0.5, 1.0);
        Assert.Equal(10, metrics.RootElement.GetProperty("gains").GetArrayLength());
        var population = metrics.RootElement.GetProperty("population");
        Assert.Equal(14_084 - 4_474 + 448, population.GetProperty("rows").GetInt32());
        Assert.Equal(2_237 / 14_084.0, population.GetProperty("buyingRate").GetDouble(), 12);
        Assert.InRange(population.GetProperty("rocAuc").GetDouble(), 0.5, 1.0);
        Assert.InRange(population.GetProperty("brier").GetDouble(), 0.0, 0.25);
        Assert.Equal("platt", population.GetProperty("calibration").GetProperty("method").GetString());
        Assert.InRange(population.GetProperty("reliability").GetArrayLength(), 2, 10);
        Assert.Equal(2, population.GetProperty("campaign").GetProperty("contactCost").GetDouble());
        Assert.Equal(["platt", "prior", "uncalibrated"], population.GetProperty("alternatives").EnumerateObject().Select(p => p.Name));
        // The result message carries the metrics; metrics.json, written for the user, holds the same object.
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(run.Stdout), System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "out", "metrics.json")))));
        Assert.Single(run.Stdout.Trim().Split('\n'));
        Assert.True(File.Exists(Path.Combine(dir, "out", "report.png")));
        Assert.True(File.Exists(Path.Combine(dir, "out", "model", "model.json")));

        var predict = await ChurnProcess.RunAsync(dir, "predict", "--model", "out/model", "--input", TestPaths.BundledData, "--output", "scores.csv");

        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var lines = File.ReadAllLines(Path.Combine(dir, "scores.csv"));
        Assert.Equal("customer_id,probability,uncalibrated,predicted", lines[0]);
        Assert.Equal(14_084, lines.Length - 1);
        var inputIds = File.ReadLines(TestPaths.BundledData).Select(l => l.Split(',')[0]).ToArray();
        Assert.Equal(inputIds, lines.Skip(1).Select(l => l.Split(',')[0]));
        Assert.All(lines.Skip(1), l =>
        {
            var p = double.Parse(l.Split(',')[1], CultureInfo.InvariantCulture);
            Assert.InRange(p, 0.0, 1.0);
            Assert.InRange(double.Parse(l.Split(',')[2], CultureInfo.InvariantCulture), 0.0, 1.0);
            Assert.Equal(p >= 0.5 ? "1" : "0", l.Split(',')[3]);
        });
    }

    [Fact]
    public async Task A_model_trained_on_log_features_scores_raw_customers_as_its_test_evaluation_did()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "quick.json"), """{ "model": { "maxEpochs": 5 }, "logFeatures": ["price_avg"] }""");

        var run = await ChurnProcess.RunAsync(
            dir, "run", "--data", TestPaths.BundledData, "--out", "out", "--config", "quick.json", "--log-features", "skewed", "--balance", "random", "--seed", "4", "--json");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var predict = await ChurnProcess.RunAsync(dir, "predict", "--model", "out/model", "--input", TestPaths.BundledData, "--output", "scores.csv");
        Assert.True(predict.ExitCode == 0, predict.Stderr);

        // The flag overrides the file, and the model carries the transform that scoring must repeat.
        using var model = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "out", "model", "model.json")));
        Assert.Equal(FeatureTransform.Skewed, model.RootElement.GetProperty("scaler").GetProperty("logFeatures").EnumerateArray().Select(e => e.GetString()));
        // The test customers, found by preparing again in-process with the same seed, score to the run's test accuracy
        // (the recipe's figure: the uncalibrated score at 0.5).
        var loaded = CustomerCsv.Load(TestPaths.BundledData).Unwrap();
        var test = Preparation.Prepare(loaded, PrepareOptions.Default with { Seed = 4, LogFeatures = FeatureTransform.Skewed }).Unwrap().Splits.Test;
        var predicted = File.ReadLines(Path.Combine(dir, "scores.csv")).Skip(1).Select(l => l.Split(','))
            .ToDictionary(f => long.Parse(f[0], CultureInfo.InvariantCulture), f => double.Parse(f[2], CultureInfo.InvariantCulture) >= 0.5 ? 1 : 0);
        var correct = test.Ids.Select((id, i) => predicted[id] == test.Targets[i]).Count(c => c);
        using var metrics = JsonDocument.Parse(run.Stdout);
        Assert.Equal(metrics.RootElement.GetProperty("test").GetProperty("accuracy").GetDouble(), (double)correct / test.Rows, 12);
    }

    [Fact]
    public async Task Target_contacts_exactly_the_customers_whose_expected_value_exceeds_the_cost_and_plots_the_plan()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "quick.json"), """{ "model": { "maxEpochs": 3 } }""");
        var run = await ChurnProcess.RunAsync(dir, "run", "--data", TestPaths.BundledData, "--out", "out", "--config", "quick.json");
        Assert.True(run.ExitCode == 0, run.Stderr);

        var target = await ChurnProcess.RunAsync(
            dir, "target", "--model", "out/model", "--input", TestPaths.BundledData, "--contact-cost", "3", "--conversion-value", "12", "--output", "plan/contacts.csv", "--json");

        Assert.True(target.ExitCode == 0, target.Stderr);
        var lines = File.ReadAllLines(Path.Combine(dir, "plan", "contacts.csv"));
        Assert.Equal("customer_id,probability,expected_value,rank,contact", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(14_084, rows.Length);
        Assert.Equal(Enumerable.Range(1, rows.Length), rows.Select(r => int.Parse(r[3], CultureInfo.InvariantCulture)));
        var p = rows.Select(r => double.Parse(r[1], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(p.OrderDescending(), p);
        Assert.All(rows, r => Assert.Equal(double.Parse(r[1], CultureInfo.InvariantCulture) * 12 > 3 ? "1" : "0", r[4]));
        using var summary = JsonDocument.Parse(target.Stdout);
        var contacted = rows.Count(r => r[4] == "1");
        Assert.Equal(contacted, summary.RootElement.GetProperty("contacted").GetInt32());
        Assert.InRange(contacted, 1, rows.Length - 1);
        Assert.Equal(2_237, summary.RootElement.GetProperty("realized").GetProperty("buyers").GetInt32());
        var png = File.ReadAllBytes(Path.Combine(dir, "plan", TargetCommand.ChartFile));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);

        var budget = await ChurnProcess.RunAsync(dir, "target", "--model", "out/model", "--input", TestPaths.BundledData, "--budget", "100", "--output", "b.csv");
        Assert.True(budget.ExitCode == 0, budget.Stderr);
        Assert.Equal(100, File.ReadLines(Path.Combine(dir, "b.csv")).Skip(1).Count(l => l.EndsWith(",1", StringComparison.Ordinal)));
        var top = await ChurnProcess.RunAsync(dir, "target", "--model", "out/model", "--input", TestPaths.BundledData, "--top", "10%", "--output", "t.csv");
        Assert.True(top.ExitCode == 0, top.Stderr);
        Assert.Equal(1_408, File.ReadLines(Path.Combine(dir, "t.csv")).Skip(1).Count(l => l.EndsWith(",1", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(2, "--budget", "5", "--top", "10%")]
    [InlineData(2, "--budget", "0")]
    [InlineData(2, "--top", "150%")]
    [InlineData(2, "--contact-cost", "-1")]
    [InlineData(2, "--conversion-value", "0")]
    [InlineData(2, "--base-rate", "1.5")]
    [InlineData(2, "--json")]
    [InlineData(1)]
    public async Task Target_refuses_impossible_choices_and_writes_nothing(int exitCode, params string[] flags)
    {
        var dir = TestPaths.NewTempDirectory();
        string[] output = flags.Contains("--json") ? [] : ["--output", "c.csv"];
        var result = await ChurnProcess.RunAsync(dir, ["target", "--model", "nowhere", "--input", TestPaths.BundledData, .. output, .. flags]);
        Assert.Equal(exitCode, result.ExitCode);
        Assert.StartsWith("churn: ", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "c.csv")));
    }

    [Theory]
    [InlineData("weighted", 0.5)]
    [InlineData("none", 2_237 / 14_084.0)]
    public async Task Balancing_that_keeps_every_customer_trains_on_all_of_them_and_records_the_mix(string balance, double trainingRate)
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "quick.json"), """{ "model": { "maxEpochs": 2 } }""");

        var run = await ChurnProcess.RunAsync(dir, "run", "--data", TestPaths.BundledData, "--out", "out", "--config", "quick.json", "--balance", balance, "--json");

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "out", "manifest.json")));
        Assert.Equal(14_084, manifest.RootElement.GetProperty("after").GetProperty("total").GetInt32());
        Assert.Equal(balance, manifest.RootElement.GetProperty("strategy").GetString(), ignoreCase: true);
        using var model = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "out", "model", "model.json")));
        var calibration = model.RootElement.GetProperty("calibration");
        Assert.Equal(trainingRate, calibration.GetProperty("trainingRate").GetDouble(), 12);
        Assert.Equal(2_237 / 14_084.0, calibration.GetProperty("populationRate").GetDouble(), 12);
        using var metrics = JsonDocument.Parse(run.Stdout);
        // Nobody was left out: the population is the test split itself, in the natural mix.
        Assert.Equal(
            manifest.RootElement.GetProperty("splits").GetProperty("test").GetInt32(),
            metrics.RootElement.GetProperty("population").GetProperty("rows").GetInt32());
        Assert.False(metrics.RootElement.TryGetProperty("leftOut", out var leftOut) && leftOut.ValueKind != JsonValueKind.Null);
    }

    [Fact]
    public async Task Predict_rejects_a_malformed_input_with_line_and_column()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "quick.json"), """{ "model": { "maxEpochs": 1 } }""");
        var run = await ChurnProcess.RunAsync(dir, "run", "--data", TestPaths.BundledData, "--out", "out", "--config", "quick.json");
        Assert.True(run.ExitCode == 0, run.Stderr);
        File.WriteAllText(Path.Combine(dir, "new.csv"), "1,2160,2160,5.33,5.33,0,8.91,0,0,0,0\n2,2160,2160,5.33,5.33,0,8.91,x,0,0,0\n");

        var result = await ChurnProcess.RunAsync(dir, "predict", "--model", "out/model", "--input", "new.csv", "--output", "scores.csv");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("new.csv:2:", result.Stderr);
        Assert.Contains("completion", result.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "scores.csv")));
    }

    [Fact]
    public async Task The_same_seed_twice_writes_identical_metrics()
    {
        var dir = TestPaths.NewTempDirectory();

        var first = await ChurnProcess.RunAsync(dir, "run", "--data", TestPaths.BundledData, "--out", "a", "--seed", "3");
        var a = File.ReadAllBytes(Path.Combine(dir, "a", "metrics.json"));
        var second = await ChurnProcess.RunAsync(dir, "run", "--data", TestPaths.BundledData, "--out", "a", "--seed", "3");
        var other = await ChurnProcess.RunAsync(dir, "run", "--data", TestPaths.BundledData, "--out", "b", "--seed", "4");

        Assert.True(first.ExitCode == 0 && second.ExitCode == 0 && other.ExitCode == 0, first.Stderr + second.Stderr + other.Stderr);
        Assert.Equal(first.Stdout, second.Stdout);
        Assert.Equal(a, File.ReadAllBytes(Path.Combine(dir, "a", "metrics.json")));
        Assert.NotEqual(File.ReadAllText(Path.Combine(dir, "a", "metrics.json")), File.ReadAllText(Path.Combine(dir, "b", "metrics.json")));
    }

    [Fact]
    public async Task Train_reads_npz_files_written_by_numpy_in_the_notebooks_format()
    {
        var dir = TestPaths.NewTempDirectory();
        Numpy.Run(
            "import numpy as np, sys\n" +
            "rng = np.random.default_rng(5)\n" +
            "for name, n in (('train', 400), ('validation', 60), ('test', 60)):\n" +
            "    x = rng.normal(size=(n, 10))\n" +
            "    y = (x[:, 0] + 0.5 * x[:, 3] > 0).astype(np.int64)\n" +
            "    np.savez(sys.argv[1] + '/Audiobooks_data_' + name + '.npz', inputs=x, targets=y)\n" +
            "print('true')\n",
            dir);
        File.WriteAllText(Path.Combine(dir, "quick.json"), """{ "model": { "maxEpochs": 5 } }""");

        var result = await ChurnProcess.RunAsync(dir, "train", "--npz", ".", "--out", "trained", "--config", "quick.json", "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var metrics = JsonDocument.Parse(result.Stdout);
        Assert.Equal(60, metrics.RootElement.GetProperty("test").GetProperty("rows").GetInt32());
        Assert.True(metrics.RootElement.GetProperty("test").GetProperty("accuracy").GetDouble() > 0.7, "a linear rule is learnable");
        // Splits read from files do not say which customers balancing left out, so there is nothing to check them on.
        Assert.False(metrics.RootElement.TryGetProperty("leftOut", out var leftOut) && leftOut.ValueKind != JsonValueKind.Null);
        Assert.True(File.Exists(Path.Combine(dir, "trained", "model", "model.json")));
    }

    [Fact]
    public async Task Train_names_the_missing_npz_file()
    {
        var dir = TestPaths.NewTempDirectory();

        var result = await ChurnProcess.RunAsync(dir, "train", "--npz", ".");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Audiobooks_data_train.npz", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_signal_mid_training_cancels_the_run_keeps_its_prepared_files_and_exits_130(string signal)
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "endless.json"), """{ "model": { "patience": 10000, "maxEpochs": 10000 } }""");
        var outDir = Path.Combine(dir, "out");

        var result = await ChurnProcess.SignalAsync(
            dir, signal, line => line.TrimStart().StartsWith("epoch ", StringComparison.Ordinal),
            "run", "--data", TestPaths.BundledData, "--config", "endless.json", "--out", outDir);

        Assert.True(result.ExitCode == 130, result.Stderr);
        Assert.Contains("cancelled during train", result.Stderr);
        // Stopped between epochs, long before the 10,000 it was allowed, and recorded so.
        var id = result.Stderr.Split('\n').First(l => l.StartsWith("churn run: run ", StringComparison.Ordinal)).Split(' ')[3].TrimEnd(',');
        using (var store = Churn.Host.Store.SqliteRunStore.Open(Path.Combine(dir, new Churn.Host.Configuration.HostSettings().Store), DateTimeOffset.UtcNow).Unwrap())
        {
            var run = store.Get(id)!;
            Assert.Equal((Churn.Host.Store.RunStatus.Cancelled, Churn.Actors.Messages.Stage.Train), (run.Status, run.Stage));
            var epochs = store.Epochs(id);
            Assert.NotEmpty(epochs);
            Assert.Equal(Enumerable.Range(1, epochs.Length), epochs.Select(e => e.Epoch));
            Assert.True(epochs.Length < 10_000, $"{epochs.Length} epochs");
        }
        Assert.Empty(result.Stdout);
        Assert.True(File.Exists(Path.Combine(outDir, "Audiobooks_data_train.npz")));
        Assert.False(File.Exists(Path.Combine(outDir, "metrics.json")));
    }

    [Fact]
    public async Task A_device_that_fails_falls_back_to_the_cpu_with_one_warning_on_the_console()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "quick.json"), """{ "model": { "maxEpochs": 2 } }""");

        var run = await ChurnProcess.RunAsync(dir, "run", "--data", TestPaths.BundledData, "--config", "quick.json", "--device", "cuda");

        Assert.True(run.ExitCode == 0, run.Stderr);
        var warning = Assert.Single(run.Stderr.Split('\n'), l => l.Contains("warning", StringComparison.Ordinal));
        Assert.StartsWith("churn: warning: device 'cuda' failed", warning, StringComparison.Ordinal);
        Assert.Contains("training on the cpu", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_raw_akka_line_reaches_stderr()
    {
        var dir = TestPaths.NewTempDirectory();
        var results = new List<ChurnResult>();
        for (var i = 0; i < 4; i++)
        {
            results.Add(await ChurnProcess.RunAsync(dir, "run", "--data", "nope.csv"));
        }

        Assert.All(results, r =>
        {
            Assert.Equal(1, r.ExitCode);
            Assert.DoesNotMatch(@"(?m)^\[(DEBUG|INFO|WARNING|ERROR)\]\[", r.Stderr);
        });
        Assert.True(Churn.Host.Cli.StandardOutput.IsAkkaLine("[INFO][12/01/2026 07:00:00.000Z][Thread 0004][CoordinatedShutdown (akka://churn)] Running CoordinatedShutdown"));
        Assert.False(Churn.Host.Cli.StandardOutput.IsAkkaLine("[default: 0] churn: error: nope.csv: file not found"));
    }
}
