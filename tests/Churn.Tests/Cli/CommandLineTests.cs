using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Churn.Actors;
using Churn.Host.Cli;
using Churn.Host.Configuration;

namespace Churn.Tests.Cli;

/// <summary>The one command-line definition: help, version, suggestions, completion, exit codes and the README's reference.</summary>
public partial class CommandLineTests
{
    public static TheoryData<string> Verbs => [.. UserVerbs.Select(v => v.Name)];

    private static IEnumerable<Command> UserVerbs => ChurnCommandLine.Command.Subcommands.Where(c => !c.Hidden && c.Name is not ("help" or "completion"));

    private static IEnumerable<Option> OptionsOf(Command verb) => verb.Options.Where(o => !o.Hidden && o.Name != "--help");

    [Theory]
    [MemberData(nameof(Verbs))]
    public async Task Verb_help_exits_0_and_lists_every_option_with_its_default(string verb)
    {
        var help = await ChurnProcess.RunAsync(TestPaths.NewTempDirectory(), verb, "--help");
        var shortHelp = await ChurnProcess.RunAsync(TestPaths.NewTempDirectory(), verb, "-h");
        var helpVerb = await ChurnProcess.RunAsync(TestPaths.NewTempDirectory(), "help", verb);

        Assert.True(help.ExitCode == 0, help.Stderr);
        Assert.Equal(0, shortHelp.ExitCode);
        Assert.Equal(0, helpVerb.ExitCode);
        Assert.Equal(help.Stdout, shortHelp.Stdout);
        Assert.Equal(help.Stdout, helpVerb.Stdout);
        var lines = help.Stdout.Split('\n');
        var command = ChurnCommandLine.Command.Subcommands.Single(c => c.Name == verb);
        Assert.NotEmpty(OptionsOf(command));
        foreach (var option in OptionsOf(command))
        {
            var line = lines.SingleOrDefault(l => l.TrimStart().StartsWith(option.Name + " ", StringComparison.Ordinal) || l.Trim() == option.Name || l.TrimStart().StartsWith(option.Name + "  ", StringComparison.Ordinal));
            Assert.True(line is not null, $"{verb} --help does not list {option.Name}:\n{help.Stdout}");
            if (option.HasDefaultValue && option.ValueType != typeof(bool))
            {
                Assert.Contains("[default: ", line);
            }
        }
    }

    [Fact]
    public void Help_shows_the_shipped_defaults_and_the_allowed_values()
    {
        var output = new StringWriter();
        ChurnCommandLine.Command.Parse(["run", "--help"]).Invoke(new InvocationConfiguration { Output = output });
        var shipped = ChurnConfig.Load(null).Unwrap();

        Assert.Matches($@"--seed <N>.*\[default: {shipped.Run.Seed}\]", output.ToString());
        Assert.Matches($@"--balance <first\|random\|none\|weighted>.*\[default: {shipped.Run.Balance.ToString().ToLowerInvariant()}\]", output.ToString());
        Assert.Matches(@"--log-features <auto\|none\|skewed\|NAME,...>.*\[default: auto\]", output.ToString());
        Assert.Matches(@"--device <auto\|mps\|cuda\|cpu>", output.ToString());
    }

    [Fact]
    public async Task Version_names_the_product_its_commit_and_what_it_runs_on()
    {
        var result = await ChurnProcess.RunAsync(TestPaths.NewTempDirectory(), "--version");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Matches(@"^churn \d+\.\d+\.\d+\+[0-9a-f]{7,}", result.Stdout);
        Assert.Matches(@"\.NET\s+\.NET 10\.", result.Stdout);
        Assert.Matches(@"TorchSharp\s+0\.\d+", result.Stdout);
        Assert.Matches(@"libtorch\s+\d+\.\d+", result.Stdout);
    }

    [Theory]
    [InlineData("search", new[] { "sarch" })]
    [InlineData("--seed", new[] { "run", "--sed", "3" })]
    [InlineData("--trials", new[] { "search", "--trails", "3" })]
    [InlineData("--follow", new[] { "logs", "--folow" })]
    [InlineData("search", new[] { "help", "serch" })]
    [InlineData("--budget", new[] { "target", "--budgt", "3" })]
    [InlineData("--no-store", new[] { "run", "--no-stor" })]
    [InlineData("--cluster-port", new[] { "host", "--cluster-prt", "4053" })]
    public async Task A_mistyped_verb_or_option_exits_2_and_suggests_the_right_one(string suggestion, string[] args)
    {
        var result = await ChurnProcess.RunAsync(TestPaths.NewTempDirectory(), args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"did you mean '{suggestion}'?", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Theory]
    [InlineData("prepare", "--json")]
    [InlineData("prepare", "--device", "cpu")]
    [InlineData("predict", "--model", "m", "--input", "i.csv", "--seed", "1")]
    [InlineData("logs", "--trials", "3")]
    [InlineData("host", "--data", "x.csv")]
    [InlineData("train", "--npz", "d", "--scheduler", "asha")]
    [InlineData("target", "--model", "m", "--input", "i.csv", "--seed", "1")]
    [InlineData("worker", "--join", "127.0.0.1:4053", "--data", "x.csv")]
    [InlineData("runs", "--device", "cpu")]
    [InlineData("predict", "--model", "m", "--input", "i.csv", "--no-store")]
    public async Task An_option_of_another_verb_is_refused_with_2(params string[] args)
    {
        var dir = TestPaths.NewTempDirectory();
        var result = await ChurnProcess.RunAsync(dir, args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"'{args.First(a => a.StartsWith("--", StringComparison.Ordinal) && !ChurnCommandLine.Command.Subcommands.Single(c => c.Name == args[0]).Options.Any(o => o.Name == a))}'", result.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
    }

    [Theory]
    [InlineData(2, "run", "--seed", "abc")]
    [InlineData(2, "run", "--seed")]
    [InlineData(2, "search", "--parallel", "x")]
    [InlineData(2, "logs", "--level", "loud")]
    [InlineData(2, "run", "--host", "not a url")]
    [InlineData(2, "host", "--port", "70000")]
    [InlineData(2, "host", "--cluster-port", "70000")]
    [InlineData(2, "target", "--model", "m", "--input", "i.csv", "--top", "150%")]
    [InlineData(2, "target", "--model", "m", "--input", "i.csv", "--conversion-value", "0")]
    [InlineData(2, "worker", "--join", "127.0.0.1:4053", "--slots", "0")]
    [InlineData(2, "worker", "--join", "nohost")]
    [InlineData(2, "runs", "--status", "bogus")]
    [InlineData(2, "run", "--balance", "even")]
    [InlineData(2, "search", "--resume", "x", "--no-store")]
    [InlineData(2, "help", "nope")]
    [InlineData(1, "target", "--model", "nope", "--input", "i.csv")]
    [InlineData(1, "search", "--resume", "nope")]
    public async Task Command_line_mistakes_exit_2_and_bad_input_1(int code, params string[] args)
    {
        var result = await ChurnProcess.RunAsync(TestPaths.NewTempDirectory(), args);

        Assert.True(code == result.ExitCode, result.Stderr);
        Assert.StartsWith("churn: ", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        // One line per problem: no value list spread over lines or escaped into one.
        Assert.DoesNotContain("\\n", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain('\t', result.Stderr);
    }

    [Theory]
    [InlineData("run", "--config")]
    [InlineData("run", "--data")]
    [InlineData("search", "--space")]
    [InlineData("predict", "--input")]
    public async Task A_directory_where_a_file_is_expected_is_bad_input_that_says_so(string verb, string option)
    {
        var dir = TestPaths.NewTempDirectory();
        Directory.CreateDirectory(Path.Combine(dir, "folder"));
        string[] args = verb == "predict" ? [verb, "--model", "folder", option, "folder"] : [verb, option, "folder"];

        var result = await ChurnProcess.RunAsync(dir, args);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("folder", result.Stderr);
        Assert.Contains("is a directory", result.Stderr);
        Assert.DoesNotContain("denied", result.Stderr);
    }

    [Fact]
    public async Task Completion_offers_the_definitions_verbs_options_and_values()
    {
        var script = await ChurnProcess.RunAsync(TestPaths.NewTempDirectory(), "completion", "bash");
        var options = await Suggest("churn run --str");
        var verbs = await Suggest("churn se");
        var values = await Suggest("churn run --balance ");

        Assert.True(script.ExitCode == 0, script.Stderr);
        Assert.Contains("complete -o default -F _churn_complete churn", script.Stdout);
        Assert.Equal(["--stratify"], options);
        Assert.Equal(["search"], verbs);
        Assert.Equal(["first", "none", "random", "weighted"], values.Order(StringComparer.Ordinal));
    }

    private static async Task<string[]> Suggest(string line)
    {
        var result = await ChurnProcess.RunAsync(TestPaths.NewTempDirectory(), $"[suggest:{line.Length}]", line);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var word = line.EndsWith(' ') ? "" : line.Split(' ')[^1];
        return [.. result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(s => s.StartsWith(word, StringComparison.Ordinal))];
    }

    [Fact]
    public void Flags_and_a_request_body_make_the_same_run()
    {
        var defaults = ChurnConfig.LoadNode(null).Unwrap();
        var parse = ChurnCommandLine.Command.Parse(["run", "--seed", "7", "--balance", "first", "--split", "0.7,0.2,0.1", "--stratify", "--log-features", "skewed", "--out", "o"]);
        var fromFlags = ChurnCli.Request(parse, RunMode.Full).Unwrap().Resolve(defaults).Unwrap().Settings;
        var body = """{"mode": "run", "seed": 7, "balance": "first", "split": "0.7,0.2,0.1", "stratify": true, "logFeatures": "skewed", "out": "o"}""";
        var fromBody = RunRequest.FromJson(body).Unwrap().Resolve(defaults).Unwrap().Settings;

        Assert.Empty(parse.Errors);
        Assert.Equal(RunRequest.ToNode(fromBody).ToJsonString(), RunRequest.ToNode(fromFlags).ToJsonString());
        Assert.Equal(7UL, fromFlags.Spec.Seed);
        Assert.Equal(7, fromFlags.Spec.LogFeatures.Length);
    }

    [Fact]
    public void Every_flag_that_sets_a_run_field_names_a_field_a_body_may_set()
    {
        foreach (var (option, field) in ChurnCommandLine.RunFields)
        {
            Assert.True(RunRequest.RunFields.Contains(field.Split('.')[0]), $"{option.Name} sets '{field}', which POST /runs does not take");
            var request = RunRequest.FromJson(new JsonObject { [field.Split('.')[0]] = null }.ToJsonString());
            Assert.True(request.IsOk, $"{field}: {request}");
        }
    }

    [Fact]
    public void Search_flags_choose_the_data_as_a_space_file_would()
    {
        var parse = ChurnCommandLine.Command.Parse(["search", "--trials", "16", "--balance", "none", "--balance", "weighted", "--log-features", "none", "--log-features", "skewed"]);
        Assert.Empty(parse.Errors);
        var submission = SearchCommand.Submission(parse).Unwrap();
        Assert.Equal("""{"balance":["none","weighted"],"logFeatures":["none","skewed"]}""", submission.Fields["space"]!.ToJsonString());

        var request = submission.Resolve(ChurnConfig.Load(null).Unwrap(), _ => TestPaths.NewTempDirectory(), "command line").Unwrap();

        Assert.Equal(
            ["none|", $"none|{string.Join(",", Churn.Numerics.Data.FeatureTransform.Skewed)}", "weighted|", $"weighted|{string.Join(",", Churn.Numerics.Data.FeatureTransform.Skewed)}"],
            request.Plan.DataChoices.Select(d => d.Key).Order(StringComparer.Ordinal));
        Assert.Equal(4, request.Preparations.Length);

        var bad = ChurnCommandLine.Command.Parse(["search", "--balance", "none", "--balance", "last"]);
        Assert.Contains(bad.Errors, e => e.Message.Contains("--balance takes", StringComparison.Ordinal) && e.Message.Contains("'last'", StringComparison.Ordinal));
    }

    [Fact]
    public void Readme_command_reference_matches_the_definition()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        var reference = readme[readme.IndexOf("## Commands", StringComparison.Ordinal)..];
        reference = reference[(reference.IndexOf("```bash", StringComparison.Ordinal) + 7)..];
        reference = reference[..reference.IndexOf("```", StringComparison.Ordinal)];
        var lines = reference.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith("./churn ", StringComparison.Ordinal))
            .ToDictionary(l => l.Split(' ')[1], l => l.Split('#')[0]);
        var documented = lines.ToDictionary(l => l.Key, l => OptionName().Matches(l.Value).Select(m => m.Value).Order(StringComparer.Ordinal).ToArray());

        foreach (var verb in UserVerbs)
        {
            Assert.True(documented.ContainsKey(verb.Name), $"README's command reference has no line for 'churn {verb.Name}'");
            Assert.Equal(OptionsOf(verb).Select(o => o.Name).Order(StringComparer.Ordinal), documented[verb.Name]);
            // An option with a fixed set of values shows exactly the definition's.
            foreach (var option in OptionsOf(verb).Where(o => o.HelpName?.Contains('|', StringComparison.Ordinal) == true))
            {
                Assert.Contains($"{option.Name} {option.HelpName}", lines[verb.Name], StringComparison.Ordinal);
            }
        }

        Assert.Equal(UserVerbs.Select(v => v.Name).Order(StringComparer.Ordinal), documented.Keys.Where(k => !k.StartsWith('-') && k is not ("help" or "completion")).Order(StringComparer.Ordinal));
    }

    [GeneratedRegex(@"--[a-z][a-z-]*")]
    private static partial Regex OptionName();
}
