using System.CommandLine;
using Churn.Host.Api;
using Churn.Host.Configuration;
using Churn.Numerics;
using Microsoft.Extensions.Logging;

namespace Churn.Host.Cli;

/// <summary>
/// <c>churn host</c>: starts the long-running host and serves until SIGTERM or Ctrl-C, then cancels the runs still
/// queued or running, records them, and exits 0.
/// </summary>
public static class HostCommand
{
    public static async Task<int> RunAsync(ParseResult parse)
    {
        var configFile = parse.GetValue(ChurnCommandLine.Config);
        var loaded = ChurnConfig.LoadNode(configFile)
            .Bind(node => ChurnConfig.FromNode(node, configFile ?? ChurnConfig.DefaultPath).Map(config => (node, config)));
        if (loaded is Result<(System.Text.Json.Nodes.JsonNode, ChurnConfig)>.Error error)
        {
            return ChurnCli.Fail(error.Problem);
        }

        var (defaults, config) = loaded.Unwrap();
        config = config with
        {
            Host = config.Host with
            {
                Port = parse.Given(ChurnCommandLine.Port) ? parse.GetValue(ChurnCommandLine.Port) : config.Host.Port,
                Bind = parse.Given(ChurnCommandLine.Bind) ? parse.GetRequiredValue(ChurnCommandLine.Bind) : config.Host.Bind,
                Store = parse.Given(ChurnCommandLine.Store) ? parse.GetRequiredValue(ChurnCommandLine.Store) : config.Host.Store,
                TrustedNetwork = parse.GetValue(ChurnCommandLine.TrustedNetwork) || config.Host.TrustedNetwork,
                ClusterPort = parse.Given(ChurnCommandLine.ClusterPort) ? parse.GetValue(ChurnCommandLine.ClusterPort) : config.Host.ClusterPort,
            },
        };

        var created = ChurnServer.Create(config, defaults, parse.GetValue(ChurnCommandLine.Verbose) ? LogLevel.Debug : LogLevel.Information);
        if (created is Result<ChurnServer>.Error createError)
        {
            return ChurnCli.Fail(createError.Problem);
        }

        await using var server = created.Unwrap();
        try
        {
            await server.StartAsync(CancellationToken.None);
        }
        catch (IOException ex)
        {
            return ChurnCli.Fail(new Problem($"cannot listen on {config.Host.Bind}:{config.Host.Port}: {ex.Message}"));
        }

        var token = config.Host.ApiToken is { Length: > 0 } ? ", API token required" : "";
        StandardOutput.Writer.WriteLine($"churn host: listening on {server.Address} (store {server.Store.FilePath}, logs {Path.GetFullPath(config.Logs)}, " +
            $"up to {config.Host.MaxConcurrentRuns} run(s) at a time{token})");
        if (server.ClusterAddress is { } cluster)
        {
            StandardOutput.Writer.WriteLine($"churn host: cluster node {cluster} (role coordinator, {config.Host.OwnTrialSlots} trial slot(s) of its own); workers join with: churn worker --join {cluster[(cluster.IndexOf('@') + 1)..]}");
        }
        await server.WaitForShutdownAsync(CancellationToken.None);
        StandardOutput.Writer.WriteLine("churn host: stopped");
        return 0;
    }
}
