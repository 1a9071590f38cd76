using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using Churn.Numerics.Search;

namespace Churn.Tests.Search;

public class SearchSpaceTests
{
    internal const string Small = """
        {
          "sampling": "random", "trials": 12, "seeds": 3, "maxEpochs": 40, "minDelta": 0.0001, "scheduler": "none",
          "space": {
            "depth": [1, 2, 3], "width": { "min": 8, "max": 256, "scale": "log" }, "activation": ["relu", "tanh"],
            "learningRate": { "min": 0.0001, "max": 0.01, "scale": "log" }, "batchSize": [32, 64],
            "patience": [2, 5], "dropout": { "min": 0, "max": 0.5 }, "weightDecay": [0, 0.0001]
          }
        }
        """;

    internal static SearchDefinition Definition(string json = Small) => SpaceFile.Parse(json, "space.json").Unwrap();

    [Theory]
    [InlineData(0UL)]
    [InlineData(7UL)]
    [InlineData(ulong.MaxValue)]
    public void Random_sampling_gives_the_same_configurations_for_the_same_seed(ulong seed)
    {
        var first = Sampler.Configurations(Definition(), seed);
        var second = Sampler.Configurations(Definition(), seed);
        Assert.Equal(first, second);
        Assert.Equal(12, first.Length);
        Assert.All(first, c => Assert.True(c.Validate().IsOk));
    }

    [Fact]
    public void The_shipped_space_chooses_between_the_plain_and_the_plr_network()
    {
        var shipped = SpaceFile.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "config", "search.json")), "search.json").Unwrap();
        Assert.Equal([ModelKind.Plain, ModelKind.Plr], shipped.Space.Kinds);
        var drawn = Sampler.Configurations(shipped, 3);
        Assert.Contains(drawn, c => c.Kind == ModelKind.Plr);
        Assert.Contains(drawn, c => c.Kind == ModelKind.Plain);
        Assert.All(drawn, c => Assert.True(c.Validate().IsOk));
        Assert.All(drawn.Where(c => c.Kind == ModelKind.Plr), c => Assert.Equal(
            (ModelConfig.Plr.Members, ModelConfig.Plr.Frequencies, ModelConfig.Plr.CycleEpochs), (c.Members, c.Frequencies, c.CycleEpochs)));
    }

    [Fact]
    public void The_shipped_space_chooses_the_input_transform_and_a_space_without_one_draws_as_before()
    {
        var shipped = SpaceFile.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "config", "search.json")), "search.json").Unwrap();
        Assert.Equal([InputTransform.Standard, InputTransform.Quantile], shipped.Space.Transforms);
        var drawn = Sampler.Configurations(shipped, 3);
        Assert.Contains(drawn, c => c.Transform == InputTransform.Quantile);
        Assert.Contains(drawn, c => c.Transform == InputTransform.Standard);

        var plain = Sampler.Configurations(Definition(), 5);
        Assert.Equal(plain, Sampler.Configurations(Definition() with { Space = Definition().Space with { Transform = [InputTransform.Standard] } }, 5));
        var both = Definition() with { Space = Definition().Space with { Transform = [InputTransform.Standard, InputTransform.Quantile] } };
        Assert.Equal(plain.Select(c => (c.Depth, c.Width, c.LearningRate)), Sampler.Configurations(both, 5).Select(c => (c.Depth, c.Width, c.LearningRate)));
        var problem = Assert.IsType<Result<SearchDefinition>.Error>(SpaceFile.Parse(
            File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "config", "search.json")).Replace("\"quantile\"]", "\"rank\"]"), "search.json")).Problem;
        Assert.Contains("space.transform[1]", problem.Reason + problem.Column);
    }

    [Fact]
    public void A_space_without_kinds_draws_the_same_plain_configurations_as_before()
    {
        var plain = Sampler.Configurations(Definition(), 5);
        var chosen = Definition() with { Space = Definition().Space with { Kind = [ModelKind.Plain] } };
        Assert.Equal(plain, Sampler.Configurations(chosen, 5));
        Assert.All(plain, c => Assert.Equal(ModelKind.Plain, c.Kind));
    }

    [Fact]
    public void Different_seeds_sample_different_configurations()
    {
        Assert.NotEqual(Sampler.Configurations(Definition(), 1), Sampler.Configurations(Definition(), 2));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(8)]
    public void Asking_for_fewer_configurations_gives_a_prefix_of_the_longer_list(int fewer)
    {
        var all = Sampler.Configurations(Definition(), 5);
        var some = Sampler.Configurations(Definition() with { Trials = fewer }, 5);
        Assert.Equal(all.Take(fewer), some);
    }

    [Theory]
    [InlineData(0.0001, 0.01)]
    [InlineData(0.001, 0.001)]
    [InlineData(1e-6, 1.0)]
    public void Log_uniform_learning_rates_stay_inside_their_bounds_and_spread_over_the_decades(double min, double max)
    {
        var definition = Definition() with
        {
            Trials = 400,
            Space = Definition().Space with { LearningRate = new Values.Range(min, max, RangeScale.Log, 0) },
        };
        var rates = Sampler.Configurations(definition, 11).Select(c => c.LearningRate).ToList();
        Assert.Equal(400, rates.Count);
        Assert.All(rates, r => Assert.InRange(r, min, max));
        if (max > min)
        {
            // Log-uniform: about half the draws fall below the geometric mean; a linear draw would put ~all above it.
            var geometricMean = Math.Sqrt(min * max);
            var below = rates.Count(r => r < geometricMean) / (double)rates.Count;
            Assert.InRange(below, 0.4, 0.6);
        }
    }

    [Fact]
    public void Whole_number_ranges_sample_whole_numbers_inside_the_range()
    {
        var definition = Definition() with { Trials = 200 };
        var configurations = Sampler.Configurations(definition, 3);
        Assert.Equal(200, configurations.Length);
        Assert.All(configurations, c => Assert.InRange(c.Width, 8, 256));
    }

    [Fact]
    public void Grid_enumerates_every_combination_with_the_last_dimension_fastest()
    {
        var definition = Definition("""
            {
              "sampling": "grid", "trials": 1000, "seeds": 1, "maxEpochs": 10, "minDelta": 0, "scheduler": "none",
              "space": {
                "depth": [1, 2], "width": [16], "activation": ["relu", "tanh"],
                "learningRate": { "min": 0.001, "max": 0.1, "scale": "log", "steps": 3 }, "batchSize": [50],
                "patience": [3], "dropout": [0], "weightDecay": [0, 0.01]
              }
            }
            """);
        var grid = Sampler.Configurations(definition, 0);
        Assert.Equal(2 * 2 * 3 * 2, grid.Length);
        Assert.Equal(24, definition.Space.GridSize());
        Assert.Equal(grid.Length, grid.Distinct().Count());
        Assert.Equal(new ModelConfig(1, 16, Activation.Relu, 0.001, 50, 10, 3, 0, 0, 0), grid[0]);
        Assert.Equal(0.01, grid[1].WeightDecay);
        Assert.Equal(0.01, grid[2].LearningRate, 12);
        Assert.Equal(Activation.Tanh, grid[6].Activation);
        Assert.Equal(2, grid[12].Depth);
        Assert.Equal(0.1, grid[^1].LearningRate, 12);
    }

    [Fact]
    public void Shuffling_is_a_dimension_of_its_own_and_defaults_to_the_network_default()
    {
        Assert.Equal([ModelConfig.Default.ShuffleEachEpoch], Definition().Space.ShuffleEachEpoch);
        var definition = Definition("""
            {
              "sampling": "grid", "trials": 100, "seeds": 1, "maxEpochs": 10, "minDelta": 0, "scheduler": "none",
              "space": { "depth": [1], "width": [4, 8], "activation": ["relu"], "learningRate": [0.01], "batchSize": [10],
                         "patience": [1], "dropout": [0], "weightDecay": [0], "shuffleEachEpoch": [false, true] }
            }
            """);
        Assert.Equal([(4, false), (4, true), (8, false), (8, true)], Sampler.Configurations(definition, 0).Select(c => (c.Width, c.ShuffleEachEpoch)));
    }

    [Fact]
    public void Grid_with_fewer_trials_takes_the_first_points()
    {
        var definition = Definition("""
            {
              "sampling": "grid", "trials": 3, "seeds": 1, "maxEpochs": 10, "minDelta": 0, "scheduler": "none",
              "space": { "depth": [1, 2], "width": [4, 8], "activation": ["relu"], "learningRate": [0.01], "batchSize": [10],
                         "patience": [1], "dropout": [0], "weightDecay": [0] }
            }
            """);
        Assert.Equal([(1, 4), (1, 8), (2, 4)], Sampler.Configurations(definition, 0).Select(c => (c.Depth, c.Width)));
    }

    [Theory]
    [InlineData(0UL, 3)]
    [InlineData(42UL, 2)]
    public void Trial_seeds_depend_on_the_search_seed_and_trial_index_only(ulong seed, int seeds)
    {
        var configurations = Sampler.Configurations(Definition(), seed);
        var trials = Sampler.Trials(configurations, seeds, seed);
        Assert.Equal(configurations.Length * seeds, trials.Length);
        Assert.Equal(trials.Length, trials.Select(t => t.Seed).Distinct().Count());
        Assert.All(trials, t =>
        {
            Assert.Equal(t.Index, (t.Configuration * seeds) + t.Replicate);
            Assert.Equal(Sampler.TrialSeed(seed, t.Index), t.Seed);
            Assert.True(t.Seed >= 0);
            Assert.Equal(configurations[t.Configuration], t.Config);
        });
    }

    [Theory]
    [InlineData("""{ "space": { "learningRate": { "min": 0, "max": 0.1, "scale": "log" } } }""", "space.learningRate.min")]
    [InlineData("""{ "space": { "learningRate": { "min": 0.1, "max": 0.01 } } }""", "space.learningRate.max")]
    [InlineData("""{ "space": { "depth": [2, 2.5] } }""", "space.depth[1]")]
    [InlineData("""{ "space": { "depth": [] } }""", "space.depth")]
    [InlineData("""{ "space": { "dropout": [0, 1] } }""", "space.dropout[1]")]
    [InlineData("""{ "space": { "activation": ["relu", "gelu"] } }""", "space.activation[1]")]
    [InlineData("""{ "space": { "widht": [3] } }""", "space.widht")]
    [InlineData("""{ "space": { "shuffleEachEpoch": [1] } }""", "space.shuffleEachEpoch[0]")]
    [InlineData("""{ "balance": "last" }""", "balance")]
    [InlineData("""{ "logFeatures": "price" }""", "logFeatures")]
    [InlineData("""{ "logFeatures": ["price_avg", 3] }""", "logFeatures")]
    [InlineData("""{ "space": { "balance": ["none", "last"] } }""", "space.balance[1]")]
    [InlineData("""{ "space": { "balance": [] } }""", "space.balance")]
    [InlineData("""{ "space": { "balance": ["none", "None"] } }""", "space.balance[1]")]
    [InlineData("""{ "space": { "logFeatures": ["none", "price"] } }""", "space.logFeatures[1]")]
    [InlineData("""{ "space": { "logFeatures": ["none", ["price_avg"], "price_avg"] } }""", "space.logFeatures[2]")]
    [InlineData("""{ "space": { "logFeatures": "skewed" } }""", "space.logFeatures")]
    [InlineData("""{ "seeds": 0 }""", "seeds")]
    [InlineData("""{ "scheduler": "hyperband" }""", "scheduler")]
    [InlineData("""{ "asha": { "rungs": [4, 4], "reductionFactor": 3 } }""", "asha.rungs[1]")]
    [InlineData("""{ "asha": { "rungs": [4], "reductionFactor": 1 } }""", "asha.reductionFactor")]
    public void A_bad_user_field_is_named_with_the_user_file(string user, string field)
    {
        var dir = TestPaths.NewTempDirectory();
        var defaults = Path.Combine(dir, "search.json");
        var userFile = Path.Combine(dir, "mine.json");
        File.WriteAllText(defaults, Small);
        File.WriteAllText(userFile, user);

        var result = SpaceFile.Load(defaults, userFile);

        var problem = Assert.IsType<Result<SearchDefinition>.Error>(result).Problem;
        Assert.Equal(field, problem.Column);
        Assert.Equal(userFile, problem.File);
    }

    [Theory]
    [InlineData("""[0.01, 0]""", "space.learningRate[1]")]
    [InlineData("""{ "min": 0, "max": 0.1 }""", "space.learningRate.min")]
    public void A_learning_rate_of_zero_is_refused_as_not_above_zero(string values, string field)
    {
        var dir = TestPaths.NewTempDirectory();
        var defaults = Path.Combine(dir, "search.json");
        var userFile = Path.Combine(dir, "mine.json");
        File.WriteAllText(defaults, Small);
        File.WriteAllText(userFile, $$"""{ "space": { "learningRate": {{values}} } }""");

        var problem = Assert.IsType<Result<SearchDefinition>.Error>(SpaceFile.Load(defaults, userFile)).Problem;

        Assert.Equal(field, problem.Column);
        Assert.Equal("must be a number above 0 and at most 1, got 0", problem.Reason);
    }

    [Fact]
    public void A_grid_over_a_continuous_range_names_the_range_where_it_is_defined()
    {
        var dir = TestPaths.NewTempDirectory();
        var defaults = Path.Combine(dir, "search.json");
        var userFile = Path.Combine(dir, "mine.json");
        File.WriteAllText(defaults, Small);
        File.WriteAllText(userFile, """{ "sampling": "grid" }""");

        var problem = Assert.IsType<Result<SearchDefinition>.Error>(SpaceFile.Load(defaults, userFile)).Problem;

        Assert.Equal("space.width", problem.Column);
        Assert.Equal(defaults, problem.File);
        Assert.Contains("steps", problem.Reason);
    }

    [Fact]
    public void A_user_file_overrides_only_the_fields_it_names()
    {
        var dir = TestPaths.NewTempDirectory();
        var defaults = Path.Combine(dir, "search.json");
        var userFile = Path.Combine(dir, "mine.json");
        File.WriteAllText(defaults, Small);
        File.WriteAllText(userFile, """{ "seeds": 1, "space": { "depth": [4] } }""");

        var definition = SpaceFile.Load(defaults, userFile).Unwrap();

        Assert.Equal(1, definition.Seeds);
        Assert.Null(definition.Balance);
        Assert.Equal([4.0], definition.Space.Depth.Points);
        Assert.Equal(Definition().Space.Width, definition.Space.Width);
        Assert.Equal(Definition().Space.BatchSize.Points, definition.Space.BatchSize.Points);
    }

    [Theory]
    [InlineData("\"skewed\"", new[] { "book_length_avg_min", "book_length_total_min", "price_avg", "price_total", "minutes_listened", "support_requests", "last_visit_days" })]
    [InlineData("\"none\"", new string[0])]
    [InlineData("[\"last_visit_days\", \"price_avg\", \"price_avg\"]", new[] { "price_avg", "last_visit_days" })]
    [InlineData("\"last_visit_days, price_avg\"", new[] { "price_avg", "last_visit_days" })]
    public void Log_features_are_read_as_schema_ordered_names(string json, string[] expected)
    {
        var dir = TestPaths.NewTempDirectory();
        var defaults = Path.Combine(dir, "search.json");
        var userFile = Path.Combine(dir, "mine.json");
        File.WriteAllText(defaults, Small);
        File.WriteAllText(userFile, $$"""{ "logFeatures": {{json}} }""");

        var definition = SpaceFile.Load(defaults, userFile).Unwrap();

        Assert.Equal(expected, definition.LogFeatures!.Value);
        Assert.Null(SpaceFile.Load(defaults, null).Unwrap().LogFeatures);
    }

    private static SearchDefinition WithData(string data, string sampling = "random", int trials = 12) =>
        Definition(Small.Replace("\"sampling\": \"random\", \"trials\": 12", $"\"sampling\": \"{sampling}\", \"trials\": {trials}", StringComparison.Ordinal)
            .Replace("\"space\": {", "\"space\": { " + data + ",", StringComparison.Ordinal));

    [Fact]
    public void A_space_that_chooses_the_data_gives_each_configuration_its_choice_and_draws_the_same_networks()
    {
        var plain = Sampler.Plan(Definition(), 5);
        var choosing = Sampler.Plan(WithData("\"balance\": [\"random\", \"none\", \"weighted\"], \"logFeatures\": [\"none\", \"skewed\"]"), 5);

        // The data choice comes from a stream of its own: the networks are the ones the plain space draws.
        Assert.Equal(plain.Trials.Select(t => t.Config), choosing.Trials.Select(t => t.Config));
        Assert.All(plain.Trials, t => Assert.Null(t.Data));
        Assert.Empty(plain.DataChoices);
        Assert.All(choosing.Trials, t => Assert.NotNull(t.Data));
        // Every seed of a configuration trains on the same preparation.
        Assert.All(choosing.Trials.GroupBy(t => t.Configuration), g => Assert.Single(g.Select(t => t.Data).Distinct()));
        Assert.True(choosing.DataChoices.Length > 2, $"12 draws from 6 choices gave only {choosing.DataChoices.Length}");
        Assert.Equal(choosing.DataChoices.Length, choosing.DataChoices.Select(d => d.Key).Distinct().Count());
        Assert.Contains(choosing.DataChoices, d => d.Balance == BalanceStrategy.Weighted && d.LogFeatures.SequenceEqual(FeatureTransform.Skewed));
        Assert.Equal(choosing.Trials, Sampler.Plan(WithData("\"balance\": [\"random\", \"none\", \"weighted\"], \"logFeatures\": [\"none\", \"skewed\"]"), 5).Trials);
    }

    [Fact]
    public void A_dimension_the_space_does_not_choose_is_the_searchs_own()
    {
        var fixedData = new DataChoice(BalanceStrategy.First, FeatureTransform.Skewed);
        var plan = Sampler.Plan(WithData("\"balance\": [\"none\", \"weighted\"]"), 1, fixedData);
        Assert.All(plan.Trials, t => Assert.Equal(FeatureTransform.Skewed, t.Data!.LogFeatures));
        Assert.Equal([BalanceStrategy.None, BalanceStrategy.Weighted], plan.DataChoices.Select(d => d.Balance).Order());
        Assert.Equal(new DataChoice(BalanceStrategy.None, [.. FeatureTransform.Skewed]), plan.DataChoices.Single(d => d.Balance == BalanceStrategy.None));
    }

    [Fact]
    public void A_grid_walks_each_data_choice_in_turn_over_every_network()
    {
        var grid = Small.Replace("\"width\": { \"min\": 8, \"max\": 256, \"scale\": \"log\" }", "\"width\": [8]", StringComparison.Ordinal)
            .Replace("\"learningRate\": { \"min\": 0.0001, \"max\": 0.01, \"scale\": \"log\" }", "\"learningRate\": [0.001]", StringComparison.Ordinal)
            .Replace("\"dropout\": { \"min\": 0, \"max\": 0.5 }", "\"dropout\": [0]", StringComparison.Ordinal)
            .Replace("\"sampling\": \"random\", \"trials\": 12", "\"sampling\": \"grid\", \"trials\": 1000", StringComparison.Ordinal)
            .Replace("\"space\": {", "\"space\": { \"balance\": [\"none\", \"random\"], \"logFeatures\": [\"none\", \"skewed\"],", StringComparison.Ordinal);
        var definition = Definition(grid);
        var networks = Sampler.Grid(definition).Count();
        var plan = Sampler.Plan(definition, 0);

        Assert.Equal(4 * networks, plan.Configurations);
        Assert.Equal(4L * networks, definition.Space.GridSize());
        var order = plan.Trials.Where(t => t.Replicate == 0).Select(t => t.Data!.Key).Distinct().ToList();
        Assert.Equal(["none|", $"none|{string.Join(",", FeatureTransform.Skewed)}", "random|", $"random|{string.Join(",", FeatureTransform.Skewed)}"], order);
        Assert.Equal(Sampler.Grid(definition), plan.Trials.Where(t => t.Replicate == 0).Take(networks).Select(t => t.Config));
    }

    [Fact]
    public void Invalid_json_is_reported_with_its_line()
    {
        var problem = Assert.IsType<Result<SearchDefinition>.Error>(SpaceFile.Parse("{\n  \"seeds\": ,\n}", "bad.json")).Problem;
        Assert.Equal("bad.json", problem.File);
        Assert.Equal(2, problem.Line);
    }

    [Fact]
    public void The_shipped_default_space_is_valid_and_samples_valid_configurations()
    {
        var file = Path.Combine(TestPaths.RepoRoot, "config", SpaceFile.DefaultFile);
        var definition = SpaceFile.Load(file, null).Unwrap();
        var configurations = Sampler.Configurations(definition, 0);
        Assert.NotEmpty(configurations);
        Assert.All(configurations, c => Assert.True(c.Validate().IsOk));
    }
}
