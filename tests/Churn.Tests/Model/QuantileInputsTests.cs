using System.Text.Json.Nodes;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;

namespace Churn.Tests.Model;

[Collection(TorchCollection.Name)]
public sealed class QuantileInputsTests : IDisposable
{
    private static readonly ModelConfig Quantile = ModelConfig.Default with { Width = 12, MaxEpochs = 30, Patience = 5, BatchSize = 50, LearningRate = 0.01, Transform = InputTransform.Quantile };
    private static readonly Dataset Train = Skewed(SyntheticData.Customers(400, seed: 31));
    private static readonly Dataset Validation = Skewed(SyntheticData.Customers(120, seed: 32));
    private static readonly Dataset Test = Skewed(SyntheticData.Customers(300, seed: 33));
    private static readonly Lazy<TrainedModel> Trained = new(() => TrainModel(Quantile, seed: 4));

    private readonly string root = Directory.CreateTempSubdirectory("churn-quantile-tests-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Values_map_to_the_normal_scores_of_their_ranks_ties_to_the_middle_of_their_run_and_beyond_the_range_to_the_ends()
    {
        var column = Matrix<double>.Build.DenseOfColumnArrays([1.0, 2, 3, 4, 5]);
        var map = QuantileInputs.Fit(column, levels: 5);
        Assert.Equal([1.0, 2, 3, 4, 5], map.Knots[0]);
        var mapped = QuantileInputs.Apply(map, Matrix<double>.Build.DenseOfColumnArrays([3.0, 2.5, 0.5, 9, 1]));
        Assert.Equal(0, mapped[0, 0], 12);
        Assert.Equal((Normal.InvCDF(0, 1, 0.25) + 0) / 2, mapped[1, 0], 12);
        Assert.Equal(Normal.InvCDF(0, 1, 1e-7), mapped[2, 0], 12);
        Assert.Equal(Normal.InvCDF(0, 1, 1 - 1e-7), mapped[3, 0], 12);
        // The lowest knot is the end of the range: half way between the clipped end and itself (one knot: the end).
        Assert.Equal(Normal.InvCDF(0, 1, 1e-7), mapped[4, 0], 12);

        // Seven of ten customers never asked for support: they share one score, the middle of their run of knots.
        var ties = QuantileInputs.Fit(Matrix<double>.Build.DenseOfColumnArrays([0.0, 0, 0, 0, 0, 0, 0, 1, 2, 3]), levels: 10);
        var zero = QuantileInputs.Apply(ties, Matrix<double>.Build.DenseOfColumnArrays([0.0]))[0, 0];
        Assert.Equal((ties.Scores[0] + ties.Scores[6]) / 2, zero, 12);
        Assert.True(zero < QuantileInputs.Apply(ties, Matrix<double>.Build.DenseOfColumnArrays([1.0]))[0, 0]);
    }

    [Fact]
    public void The_map_is_monotone_leaves_its_input_alone_and_maps_a_row_the_same_alone_or_with_others()
    {
        var map = QuantileInputs.Fit(Train.Inputs);
        var before = Test.Inputs.Clone();
        var all = QuantileInputs.Apply(map, Test.Inputs);
        Assert.Equal(before, Test.Inputs);
        var one = QuantileInputs.Apply(map, Test.Inputs.SubMatrix(7, 1, 0, Test.Inputs.ColumnCount));
        Assert.Equal(all.Row(7), one.Row(0));
        for (var c = 0; c < Test.Inputs.ColumnCount; c++)
        {
            var order = Enumerable.Range(0, Test.Rows).OrderBy(r => Test.Inputs[r, c]).ToList();
            Assert.All(order.Zip(order.Skip(1)), p => Assert.True(all[p.First, c] <= all[p.Second, c]));
        }
        // A skewed column comes out centred with about unit spread on the rows it was fitted on.
        var fitted = QuantileInputs.Apply(map, Train.Inputs).Column(0);
        Assert.InRange(fitted.Average(), -0.05, 0.05);
        Assert.InRange(Math.Sqrt(fitted.Select(v => v * v).Average()), 0.9, 1.1);
    }

    [Fact]
    public void Training_fits_the_map_on_the_training_rows_and_scoring_applies_it_bit_identically_after_saving()
    {
        var model = Trained.Value;
        Assert.NotNull(model.InputMap);
        Assert.Equal(QuantileInputs.Fit(Train.Inputs).Knots.Select(k => k.ToArray()), model.InputMap!.Knots.Select(k => k.ToArray()));
        var probabilities = Scoring.Probabilities(model, Test.Inputs);
        var accuracy = probabilities.Select((p, i) => (p > 0.5 ? 1 : 0) == Test.Targets[i]).Count(c => c) / (double)Test.Rows;
        Assert.True(accuracy > 0.85, $"accuracy {accuracy}, validation {model.History[model.BestEpoch - 1].ValidationAccuracy}");
        // Training measured what scoring gives: the validation accuracy of the last epoch from the managed pass.
        var validation = Scoring.Probabilities(model, Validation.Inputs).Select((p, i) => (p > 0.5 ? 1 : 0) == Validation.Targets[i]).Count(c => c) / (double)Validation.Rows;
        Assert.Equal(model.History[model.BestEpoch - 1].ValidationAccuracy, validation, 6);

        var dir = Path.Combine(root, "model");
        ModelArtifact.Save(dir, Artifact(model)).Unwrap();
        var loaded = ModelArtifact.Load(dir).Unwrap();
        Assert.Equal(InputTransform.Quantile, loaded.Model.Config.Transform);
        Assert.Equal(probabilities, Scoring.Probabilities(loaded.Model, Test.Inputs));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, ModelArtifact.ManifestFile)))!;
        Assert.Equal(ModelManifest.FormatOf(ModelManifest.CurrentFormat, ModelKind.Plain, InputTransform.Quantile), (int?)json["formatVersion"]);
        Assert.Equal("quantile", (string?)json["config"]!["transform"]);
    }

    [Fact]
    public void The_same_seed_gives_the_same_map_weights_and_model_files()
    {
        var first = Trained.Value;
        var second = TrainModel(Quantile, seed: 4);
        Assert.Equal(first.History, second.History);
        ModelArtifact.Save(Path.Combine(root, "a"), Artifact(first)).Unwrap();
        ModelArtifact.Save(Path.Combine(root, "b"), Artifact(second)).Unwrap();
        Assert.Equal(Files(Path.Combine(root, "a")), Files(Path.Combine(root, "b")));
        Assert.Equal(
            JsonNode.Parse(File.ReadAllText(Path.Combine(root, "a", ModelArtifact.ManifestFile)))!["inputQuantiles"]!.ToJsonString(),
            JsonNode.Parse(File.ReadAllText(Path.Combine(root, "b", ModelArtifact.ManifestFile)))!["inputQuantiles"]!.ToJsonString());
    }

    [Fact]
    public void A_model_json_without_its_map_or_with_a_map_its_format_does_not_name_is_refused()
    {
        var dir = Path.Combine(root, "model");
        ModelArtifact.Save(dir, Artifact(Trained.Value)).Unwrap();
        var path = Path.Combine(dir, ModelArtifact.ManifestFile);
        var original = File.ReadAllText(path);

        var withoutMap = JsonNode.Parse(original)!.AsObject();
        withoutMap.Remove("inputQuantiles");
        File.WriteAllText(path, withoutMap.ToJsonString());
        Assert.Equal("inputQuantiles", Assert.IsType<Result<ModelArtifact>.Error>(ModelArtifact.Load(dir)).Problem.Column);

        var oldFormat = JsonNode.Parse(original)!;
        oldFormat["formatVersion"] = ModelManifest.CurrentFormat;
        File.WriteAllText(path, oldFormat.ToJsonString());
        Assert.Equal("config.kind", Assert.IsType<Result<ModelArtifact>.Error>(ModelArtifact.Load(dir)).Problem.Column);

        var descending = JsonNode.Parse(original)!;
        var knots = descending["inputQuantiles"]!["knots"]![0]!.AsArray();
        knots[0] = 1e9;
        File.WriteAllText(path, descending.ToJsonString());
        Assert.Equal("inputQuantiles.knots", Assert.IsType<Result<ModelArtifact>.Error>(ModelArtifact.Load(dir)).Problem.Column);
    }

    [Fact]
    public void A_standard_model_has_no_map_and_writes_no_transform()
    {
        var model = TrainModel(Quantile with { Transform = InputTransform.Standard, MaxEpochs = 2 }, seed: 4);
        Assert.Null(model.InputMap);
        var dir = Path.Combine(root, "standard");
        ModelArtifact.Save(dir, Artifact(model)).Unwrap();
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, ModelArtifact.ManifestFile)))!;
        Assert.Equal(ModelManifest.CurrentFormat, (int?)json["formatVersion"]);
        Assert.Null(json["inputQuantiles"]);
        Assert.Null(json["config"]!["transform"]);
        Assert.Equal("transform", Assert.IsType<Result<ModelConfig>.Error>((Quantile with { Transform = (InputTransform)7 }).Validate()).Problem.Column);
    }

    // The synthetic customers with their first behaviour made long-tailed (e^(2x)), as minutes and prices are.
    private static Dataset Skewed(Dataset data) =>
        data with { Inputs = Matrix<double>.Build.Dense(data.Rows, data.Inputs.ColumnCount, (r, c) => c == 0 ? Math.Exp(2 * data.Inputs[r, c]) : data.Inputs[r, c]) };

    private static TrainedModel TrainModel(ModelConfig config, long seed) => TrainedFixtures.Train(config, Train, Validation, seed);

    private static ModelArtifact Artifact(TrainedModel model) => TrainedFixtures.Artifact(model, seed: 4);

    private static IEnumerable<(string, string)> Files(string dir) => TrainedFixtures.Files(dir);
}
