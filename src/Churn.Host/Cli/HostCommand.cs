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
    public static readonly string[] Options = ["port", "bind", "store", "config"];

    /// <summary><c>--trusted-network</c> lets a host bound beyond loopback run without a token (<c>host.trustedNetwork</c>).</summary>
    public static readonly string[] Flags = ["verbose", "trusted-network"];

    public static async Task<int> RunAsync(Arguments a)
    {
        var port = a.Int32("port", 0, 65535);
        if (port is Result<int?>.Error portError)
        {
            return ChurnCli.Fail(portError.Problem);
        }

        var loaded = ChurnConfig.LoadNode(a.Get("config"))
            .Bind(node => ChurnConfig.FromNode(node, a.Get("config") ?? ChurnConfig.DefaultPath).Map(config => (node, config)));
        if (loaded is Result<(System.Text.Json.Nodes.JsonNode, ChurnConfig)>.Error error)
        {
            return ChurnCli.Fail(error.Problem);
        }

        var (defaults, config) = loaded.Unwrap();
        config = config with
        {
            Host = config.Host with
            {
                Port = port.Unwrap() ?? config.Host.Port,
                Bind = a.Get("bind") ?? config.Host.Bind,
                Store = a.Get("store") ?? config.Host.Store,
                TrustedNetwork = a.Flags.Contains("trusted-network") || config.Host.TrustedNetwork,
            },
        };

        var created = ChurnServer.Create(config, defaults, a.Verbose ? LogLevel.Debug : LogLevel.Information);
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
        await server.WaitForShutdownAsync(CancellationToken.None);
        StandardOutput.Writer.WriteLine("churn host: stopped");
        return 0;
    }
}
