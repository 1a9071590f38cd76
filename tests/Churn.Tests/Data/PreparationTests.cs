using System.Text.Json;
using Churn.Numerics;
using Churn.Numerics.Data;

namespace Churn.Tests.Data;

public class PreparationTests
{
    private static readonly LoadedData Bundled = CustomerCsv.Load(TestFiles.BundledCsv).Unwrap();

    private static readonly PrepareOptions FirstOptions = PrepareOptions.Default with { Balance = BalanceStrategy.First, Seed = 3 };

    [Fact]
    public void Prepare_with_first_balance_gives_2237_and_2237_split_3579_447_448()
    {
        var prepared = Preparation.Prepare(Bundled, FirstOptions).Unwrap();
        Assert.Equal(new ClassCounts(2_237, 2_237), prepared.Balanced.After);
        Assert.Equal((3_579, 447, 448), (prepared.Splits.Train.Rows, prepared.Splits.Validation.Rows, prepared.Splits.Test.Rows));
        Assert.Equal(Schema.FeatureNames, prepared.Scaler.FeatureNames);
    }

    [Theory]
    [InlineData(BalanceStrategy.First, false)]
    [InlineData(BalanceStrategy.Random, false)]
    [InlineData(BalanceStrategy.Random, true)]
    public void Prepare_equals_calling_the_stages_one_by_one_with_the_run_seed(BalanceStrategy strategy, bool stratify)
    {
        var options = new PrepareOptions(strategy, 17, SplitRatios.Default, stratify);
        var prepared = Preparation.Prepare(Bundled, options).Unwrap();

        var balanced = Balancer.Balance(Bundled.Data, strategy, 17).Unwrap();
        var (scaled, scaler) = Scaler.FitApply(balanced.Data);
        var splits = Splitter.Split(scaled, SplitRatios.Default, 17, stratify).Unwrap();

        Assert.Equal(balanced.Data.Ids, prepared.Balanced.Data.Ids);
        Assert.Equal(scaler.Means, prepared.Scaler.Means);
        Assert.Equal(splits.Train.Ids, prepared.Splits.Train.Ids);
        Assert.Equal(splits.Test.Inputs.ToColumnMajorArray(), prepared.Splits.Test.Inputs.ToColumnMajorArray());
    }

    [Fact]
    public void Prepare_passes_stage_problems_on()
    {
        var options = FirstOptions with { Ratios = new SplitRatios(0.9, 0.2, 0) };
        Assert.Equal("split", Rows.ProblemOf(Preparation.Prepare(Bundled, options)).Column);
    }

    [Fact]
    public void Write_creates_the_directory_and_writes_three_npz_files_and_the_manifest()
    {
        var prepared = Preparation.Prepare(Bundled, FirstOptions).Unwrap();
        var directory = Path.Combine(TestFiles.NewDirectory(), "nested", "out");
        var manifest = SplitFiles.Write(directory, "run1", prepared).Unwrap();

        Assert.Equal(["run1_train.npz", "run1_validation.npz", "run1_test.npz"], manifest.Files);
        Assert.Equal(
            ["manifest.json", "run1_test.npz", "run1_train.npz", "run1_validation.npz"],
            Directory.GetFiles(directory).Select(Path.GetFileName).Order());
        Dataset[] splits = [prepared.Splits.Train, prepared.Splits.Validation, prepared.Splits.Test];
        for (var i = 0; i < 3; i++)
        {
            var back = Npz.Read(Path.Combine(directory, manifest.Files[i])).Unwrap();
            Assert.Equal(splits[i].Inputs.ToColumnMajorArray(), back.Inputs.ToColumnMajorArray());
            Assert.Equal(splits[i].Targets, back.Targets);
        }

        Assert.Equal(TestFiles.BundledCsv, manifest.Source);
        Assert.Equal(Bundled.Sha256, manifest.SourceSha256);
        Assert.Equal(14_084, manifest.RowsRead);
        Assert.Equal(new ClassCounts(2_237, 11_847), manifest.Before);
        Assert.Equal(new ClassCounts(2_237, 2_237), manifest.After);
        Assert.Equal(BalanceStrategy.First, manifest.Strategy);
        Assert.Equal(3UL, manifest.Seed);
        Assert.Equal(SplitRatios.Default, manifest.Ratios);
        Assert.False(manifest.Stratified);
        Assert.Equal(new SplitSizes(3_579, 447, 448), manifest.Splits);
        Assert.Equal(prepared.Scaler, manifest.Scaler);
        Assert.Equal(Schema.FeatureNames, manifest.FeatureNames);
    }

    [Fact]
    public void Manifest_json_is_camel_case_indented_with_enums_as_strings_and_reads_back()
    {
        var prepared = Preparation.Prepare(Bundled, FirstOptions with { Seed = ulong.MaxValue, Stratify = true }).Unwrap();
        var directory = TestFiles.NewDirectory();
        var written = SplitFiles.Write(directory, Preparation.DefaultPrefix, prepared).Unwrap();
        var path = Path.Combine(directory, SplitFiles.ManifestFileName);
        var text = File.ReadAllText(path);
        Assert.Contains("\n  \"sourceSha256\": \"" + Bundled.Sha256 + "\"", text, StringComparison.Ordinal);
        Assert.Contains("\"strategy\": \"First\"", text, StringComparison.Ordinal);
        Assert.Contains("\"seed\": 18446744073709551615", text, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(text);
        Assert.Equal(10, json.RootElement.GetProperty("scaler").GetProperty("means").GetArrayLength());

        var read = SplitFiles.ReadManifest(path).Unwrap();
        Assert.Equal(written.Source, read.Source);
        Assert.Equal(written.Seed, read.Seed);
        Assert.Equal(written.Before, read.Before);
        Assert.Equal(written.Splits, read.Splits);
        Assert.Equal(written.Ratios, read.Ratios);
        Assert.True(read.Stratified);
        Assert.Equal(written.Scaler.Means, read.Scaler.Means);
        Assert.Equal(written.Scaler.Stds, read.Scaler.Stds);
        Assert.Equal(written.Files, read.Files);
    }

    [Fact]
    public void Write_into_a_path_that_is_a_file_is_a_problem_naming_it()
    {
        var prepared = Preparation.Prepare(Bundled, FirstOptions).Unwrap();
        var file = Path.Combine(TestFiles.NewDirectory(), "taken");
        File.WriteAllText(file, "x");
        var directory = Path.Combine(file, "out");
        var problem = Rows.ProblemOf(SplitFiles.Write(directory, "p", prepared));
        Assert.Equal(directory, problem.File);
        Assert.Contains("cannot create the output directory", problem.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("..")]
    public void Write_rejects_a_prefix_that_is_not_a_file_name(string prefix)
    {
        var prepared = Preparation.Prepare(Bundled, FirstOptions).Unwrap();
        Assert.Equal("prefix", Rows.ProblemOf(SplitFiles.Write(TestFiles.NewDirectory(), prefix, prepared)).Column);
    }

    [Fact]
    public void Read_manifest_reports_missing_files_bad_json_and_a_foreign_scaler()
    {
        var directory = TestFiles.NewDirectory();
        Assert.Equal("manifest not found", Rows.ProblemOf(SplitFiles.ReadManifest(Path.Combine(directory, "none.json"))).Reason);

        var broken = Path.Combine(directory, "broken.json");
        File.WriteAllText(broken, "{\n  \"source\": \"x\",\n  \"seed\": oops\n}");
        Assert.Equal(3, Rows.ProblemOf(SplitFiles.ReadManifest(broken)).Line);

        var partial = Path.Combine(directory, "partial.json");
        File.WriteAllText(partial, "{ \"source\": \"x\" }");
        Assert.Contains("missing required properties", Rows.ProblemOf(SplitFiles.ReadManifest(partial)).Reason, StringComparison.Ordinal);

        var prepared = Preparation.Prepare(Bundled, FirstOptions).Unwrap();
        SplitFiles.Write(directory, "p", prepared).Unwrap();
        var path = Path.Combine(directory, SplitFiles.ManifestFileName);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"last_visit_days\"", "\"something_else\"", StringComparison.Ordinal));
        Assert.Equal("featureNames", Rows.ProblemOf(SplitFiles.ReadManifest(path)).Column);
    }

    /// <summary>
    /// A manifest.json as the previous version wrote it (from a source whose path holds "+" and "é", which its encoder
    /// escapes; enum values as .NET names them): it reads, and the manifest's options write it back byte for byte.
    /// </summary>
    [Fact]
    public void A_manifest_written_by_an_earlier_version_reads_and_writes_back_byte_for_byte()
    {
        var path = Path.Combine(TestFiles.RepositoryRoot, "tests", "Churn.Tests", "Data", "Fixtures", "manifest-v1.json");
        var bytes = File.ReadAllBytes(path);
        var manifest = SplitFiles.ReadManifest(path).Unwrap();

        Assert.Equal(bytes, JsonSerializer.SerializeToUtf8Bytes(manifest, JsonFormat.PrepareManifest));
        Assert.EndsWith("données+2026.csv", manifest.Source, StringComparison.Ordinal);
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        Assert.Contains("\\u002B", text, StringComparison.Ordinal);
        Assert.Contains($"\"strategy\": \"{manifest.Strategy}\"", text, StringComparison.Ordinal);
        Assert.NotNull(manifest.FileSha256);
    }
}
