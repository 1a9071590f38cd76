using System.CommandLine;
using System.Text.Json.Nodes;
using Churn.Actors;
using Churn.Host.Cli;
using Churn.Host.Configuration;

namespace Churn.Tests.Host;

/// <summary>The run specification's field table is the one definition the flags, bodies, config files and the run form come from.</summary>
public class RunSpecificationTests
{
    private static string RunHelp()
    {
        var output = new StringWriter();
        ChurnCommandLine.Command.Parse(["run", "--help"]).Invoke(new InvocationConfiguration { Output = output });
        return output.ToString();
    }

    private static JsonObject At(string name, JsonNode? value)
    {
        var parts = name.Split('.');
        JsonNode? node = value;
        for (var i = parts.Length - 1; i >= 0; i--)
        {
            node = new JsonObject { [parts[i]] = node };
        }
        return node!.AsObject();
    }

    [Fact]
    public void The_shipped_configuration_holds_every_field_of_the_table_at_its_default()
    {
        var shipped = ChurnConfig.ReadFile(Path.Combine(TestPaths.RepoRoot, "config", "churn.json")).Unwrap();

        foreach (var field in RunFields.All)
        {
            var parts = field.Name.Split('.');
            var value = parts.Aggregate<string, JsonNode?>(shipped, (node, part) => node?[part]);
            Assert.True(value is not null, $"config/churn.json lacks {field.Name}");
            Assert.Equal(field.Write(RunSpec.Default)!.ToJsonString(), value.ToJsonString());
        }
    }

    [Fact]
    public void Every_flag_of_the_table_is_in_the_run_verbs_help_and_every_requestable_field_in_a_body()
    {
        var help = RunHelp();
        var defaults = ChurnConfig.LoadNode(null).Unwrap();

        foreach (var field in RunFields.All)
        {
            if (field.Flag is { } flag)
            {
                Assert.Contains(flag, help, StringComparison.Ordinal);
            }

            var body = At(field.Name, field.Write(RunSpec.Default));
            var request = RunRequest.FromJson(body.ToJsonString());
            Assert.True(request.IsOk == field.Requestable, $"{field.Name}: {request}");
            if (field.Requestable)
            {
                var settings = request.Unwrap().Resolve(defaults).Unwrap().Settings;
                var stored = RunRequest.ToNode(settings);
                Assert.Equal(field.Write(settings.Spec)!.ToJsonString(), field.Name.Split('.').Aggregate<string, JsonNode?>(stored, (n, p) => n?[p])!.ToJsonString());
            }
        }
    }

    [Fact]
    public void A_model_field_set_in_a_body_or_a_config_file_reaches_the_run_and_a_wrong_value_names_it()
    {
        var defaults = ChurnConfig.LoadNode(null).Unwrap();
        var body = RunRequest.FromJson("""{"model": {"patience": 7}, "campaign": {"contactCost": 5}}""").Unwrap().Resolve(defaults).Unwrap().Settings;
        var config = ChurnConfig.FromNode(ChurnConfig.Merge(defaults, JsonNode.Parse("""{"model": {"patience": 7}}""")!), "user.json").Unwrap();
        var wrong = ChurnConfig.FromNode(ChurnConfig.Merge(defaults, JsonNode.Parse("""{"model": {"patience": 0}}""")!), "user.json");

        Assert.Equal(7, body.Spec.Model.Patience);
        Assert.Equal(5, body.Spec.Campaign.ContactCost);
        Assert.Equal(7, config.Run.Model.Patience);
        var problem = Assert.IsType<Churn.Numerics.Result<ChurnConfig>.Error>(wrong).Problem;
        Assert.Equal("model.patience", problem.Column);
        Assert.Equal("user.json", problem.File);
    }

    [Fact]
    public void A_flag_sets_its_field_as_the_body_field_does_and_a_bad_value_is_refused_before_anything_runs()
    {
        var parse = ChurnCommandLine.Command.Parse(["run", "--seed", "12", "--device", "cpu"]);
        var bad = ChurnCommandLine.Command.Parse(["run", "--seed", "-3"]);

        var settings = ChurnCli.Request(parse, RunMode.Full).Unwrap().Resolve(ChurnConfig.LoadNode(null).Unwrap()).Unwrap().Settings;

        Assert.Empty(parse.Errors);
        Assert.Equal(12UL, settings.Spec.Seed);
        Assert.Equal(Churn.Numerics.Model.DeviceChoice.Cpu, settings.Spec.Device);
        Assert.Contains(bad.Errors, e => e.Message == "--seed takes a whole number of 0 or more, not '-3'");
    }

    [Fact]
    public async Task The_host_serves_the_table_the_run_form_is_built_from_with_its_defaults()
    {
        await using var host = await TestHost.StartAsync(runSettings: new JsonObject { ["model"] = new JsonObject { ["patience"] = 4 } });

        var served = JsonNode.Parse(await host.Http.GetStringAsync("settings", TestContext.Current.CancellationToken))!["run"]!.AsArray();

        Assert.Equal(RunFields.All.Where(f => f.Requestable).Select(f => f.Name), served.Select(f => f!["name"]!.GetValue<string>()));
        var patience = served.Single(f => f!["name"]!.GetValue<string>() == "model.patience")!;
        Assert.Equal(4, patience["default"]!.GetValue<int>());
        Assert.Equal("number", patience["form"]!.GetValue<string>());
        var balance = served.Single(f => f!["name"]!.GetValue<string>() == "balance")!;
        Assert.Equal(["first", "random", "none", "weighted"], balance["choices"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.DoesNotContain(served, f => f!["name"]!.GetValue<string>().StartsWith("limits.", StringComparison.Ordinal));
    }
}
