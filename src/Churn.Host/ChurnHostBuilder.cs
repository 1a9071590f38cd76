using Akka.Hosting;
using Churn.Actors;
using Churn.Host.Configuration;
using Churn.Host.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Churn.Host;

/// <summary>The generic host with the actor system, shared by the one-shot commands and <c>churn host</c>.</summary>
public static class ChurnHostBuilder
{
    /// <summary>
    /// Akka logs through Microsoft.Extensions.Logging: always to the JSON-lines files under the configured logs
    /// directory, and as human-readable lines to stderr when <paramref name="consoleLevel"/> is not
    /// <see cref="LogLevel.None"/>. <paramref name="parts"/> says which actors this process runs (see
    /// <see cref="ChurnActorsSetup.WithChurn"/>), and nothing else is started. <paramref name="files"/> is the log-file writer
    /// when the caller writes to it too (one writer per file: appends from two would overwrite each other).
    /// </summary>
    public static void AddChurn(
        this IServiceCollection services,
        ILoggingBuilder logging,
        ChurnConfig config,
        LogLevel consoleLevel,
        ChurnParts parts,
        Func<LogEntry, bool>? keepInFiles = null,
        JsonLinesLoggerProvider? files = null,
        string? moreHocon = null)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Debug);
        logging.AddProvider(files ?? new JsonLinesLoggerProvider(config.Logs, LogLevel.Information, config.LogRetentionDays, keepInFiles));
        if (consoleLevel != LogLevel.None)
        {
            logging.AddProvider(new ConsoleLinesLoggerProvider(consoleLevel));

            // A host that cannot start logs the exception; the command already says why in one line.
            logging.AddFilter<ConsoleLinesLoggerProvider>("Microsoft.Extensions.Hosting", LogLevel.Critical);
        }

        logging.AddFilter("Microsoft", LogLevel.Warning);
        services.AddAkka("churn", (akka, _) =>
        {
            if (moreHocon is not null)
            {
                akka.AddHocon(moreHocon, HoconAddMode.Prepend);
            }

            akka.AddHocon("akka.stdout-loglevel = OFF\nakka.log-dead-letters-during-shutdown = off", HoconAddMode.Prepend)
                .ConfigureLoggers(loggers =>
                {
                    loggers.LogLevel = Akka.Event.LogLevel.InfoLevel;
                    loggers.ClearLoggers();
                    loggers.AddLoggerFactory();
                })
                .WithChurn(parts);
        });
    }

    /// <summary>A host for one command run in this process, with the actors of <paramref name="parts"/> only.</summary>
    /// <remarks><paramref name="keepInFiles"/> decides which log entries go to the JSON-lines files (all when null).</remarks>
    public static IHost Embedded(ChurnConfig config, bool verbose, ChurnParts parts, Func<LogEntry, bool>? keepInFiles = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        // The command owns Ctrl-C and SIGTERM (Cli.CancelSignals): neither the generic host nor Akka's own
        // process-exit hook may stop the actor system under a run that is still cancelling.
        builder.Services.AddChurn(
            builder.Logging, config, verbose ? LogLevel.Debug : LogLevel.None, parts, keepInFiles, moreHocon: "akka.coordinated-shutdown.run-by-clr-shutdown-hook = off");
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        return builder.Build();
    }

    /// <summary>The embedded host's lifetime: it starts and stops when the command says so and never listens to signals.</summary>
    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
