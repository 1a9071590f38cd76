using System.Net;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Hosting;
using Churn.Actors;
using Churn.Actors.Cluster;
using Churn.Actors.Messages;
using Churn.Actors.Runs;
using Churn.Actors.Search;
using Churn.Host.Configuration;
using Churn.Host.Logging;
using Churn.Host.Search;
using Churn.Host.Store;
using Churn.Numerics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Churn.Host.Api;

/// <summary>
/// <c>churn host</c>: the long-running actor system (the same <see cref="ChurnHostBuilder.AddChurn"/> wiring as the
/// one-shot commands) behind an HTTP API, with every run kept in the run store. Stopping it (SIGTERM, Ctrl-C,
/// <see cref="StopAsync"/>) cancels the queued and running runs, records them as cancelled, then stops the actors.
/// </summary>
public sealed class ChurnServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HostLock _lock;
    private readonly bool _clustered;

    private ChurnServer(WebApplication app, SqliteRunStore store, HostLock hostLock, bool clustered)
    {
        _app = app;
        Store = store;
        _lock = hostLock;
        _clustered = clustered;
    }

    public SqliteRunStore Store { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Where the server listens, once started (the real port when the configuration asked for port 0).</summary>
    public Uri Address =>
        new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("the server has not started"));

    /// <summary>
    /// A server for <paramref name="config"/> (whose <see cref="HostSettings"/> say where to listen and store runs);
    /// run requests are laid over <paramref name="defaults"/>. Fails when the settings are out of range or the store
    /// cannot be opened.
    /// </summary>
    public static Result<ChurnServer> Create(ChurnConfig config, JsonNode defaults, LogLevel consoleLevel, Func<IUntypedActorContext, IActorRef>? trainerFactory = null)
    {
        var host = config.Host;
        var invalid = host switch
        {
            { Port: < 0 or > 65535 } => new Problem($"must be from 0 to 65535, got {host.Port}", Column: "host.port"),
            { MaxConcurrentRuns: < 1 or > 64 } => new Problem($"must be from 1 to 64, got {host.MaxConcurrentRuns}", Column: "host.maxConcurrentRuns"),
            { MaxRequestBytes: < 1024 } => new Problem($"must be at least 1024, got {host.MaxRequestBytes}", Column: "host.maxRequestBytes"),
            { MaxScoreBytes: < 1024 or > 1L << 30 } => new Problem($"must be from 1024 to 1073741824, got {host.MaxScoreBytes}", Column: "host.maxScoreBytes"),
            { TrialSlots: < 0 or > 256 } => new Problem($"must be from 0 to 256, got {host.TrialSlots}", Column: "host.trialSlots"),
            _ when !IsBindable(host.Bind) => new Problem($"must be an IP address or 'localhost', got '{host.Bind}'", Column: "host.bind"),
            { ApiToken: { Length: > 0 } t } when t.Length < HostSettings.MinTokenLength =>
                new Problem($"must be at least {HostSettings.MinTokenLength} characters (got {t.Length}); a short token can be guessed", Column: "host.apiToken"),
            _ when !IsLoopback(host.Bind) && host.ApiToken is not { Length: > 0 } && !host.TrustedNetwork =>
                new Problem(
                    $"binding to {host.Bind} lets every machine that reaches it use the API: set host.apiToken (at least {HostSettings.MinTokenLength} characters), " +
                    "or say the network is trusted with --trusted-network (host.trustedNetwork)",
                    Column: "host.bind"),
            _ => LimitProblem(host.Limits),
        };
        if (invalid is not null)
        {
            return invalid;
        }

        ClusterNode? clusterNode = null;
        if (host.ClusterPort is { } clusterPort)
        {
            string[] roles = host.OwnTrialSlots > 0 ? [WorkerAgentActor.CoordinatorRole, WorkerAgentActor.TrainerRole] : [WorkerAgentActor.CoordinatorRole];
            var checkedNode = new ClusterNode(host.ClusterBind, clusterPort, null, [.. roles], host.ClusterCertificate).Check();
            if (checkedNode is Result<ClusterNode>.Error clusterError)
            {
                return clusterError.Problem;
            }
            clusterNode = checkedNode.Unwrap();
        }
        var confined = ConfinedPaths.For(config);
        if (confined is Result<ConfinedPaths>.Error confinedError)
        {
            return confinedError.Problem;
        }
        var paths = confined.Unwrap();

        // Before the store is opened: opening marks unfinished runs interrupted, which must never hit a live host's runs.
        var locked = HostLock.Acquire(host.Store);
        if (locked is Result<HostLock>.Error lockError)
        {
            return lockError.Problem;
        }
        var hostLock = locked.Unwrap();
        var server = CreateLocked(config, defaults, consoleLevel, trainerFactory, paths, hostLock, clusterNode);
        if (server is Result<ChurnServer>.Error)
        {
            hostLock.Dispose();
        }
        return server;
    }

    private static Result<ChurnServer> CreateLocked(
        ChurnConfig config, JsonNode defaults, LogLevel consoleLevel, Func<IUntypedActorContext, IActorRef>? trainerFactory, ConfinedPaths paths, HostLock hostLock, ClusterNode? clusterNode)
    {
        var host = config.Host;

        return SqliteRunStore.Open(host.Store, DateTimeOffset.UtcNow).Bind(store => SearchStore.Open(host.Store).Map(searchStore =>
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = Directory.GetCurrentDirectory() });
            builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = host.MaxRequestBytes;
                Listen(kestrel, host.Bind, host.Port);
            });
            builder.Services.AddRoutingCore();
            var files = new JsonLinesLoggerProvider(config.Logs, LogLevel.Information, config.LogRetentionDays);
            var nodeLogs = clusterNode is null ? null : new NodeLogSink(files, ClusterSetup.Scheme(clusterNode));
            // With a cluster port, the cluster's trials run on the nodes' slots (the host's own with host.trialSlots), not in each search's own node.
            var parts = new ChurnParts
            {
                Pipeline = new PipelinePart(host.MaxConcurrentRuns, trainerFactory, store, MaxQueuedRuns: host.Limits.MaxQueuedRuns),
                Search = new SearchPart(searchStore),
                Node = clusterNode,
                ClusterHost = clusterNode is null ? null : new ClusterHostPart(host.OwnTrialSlots, nodeLogs!),
            };
            builder.Services.AddChurn(builder.Logging, config, consoleLevel, parts, files: files);
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
            var app = builder.Build();
            app.UseRouting();
            new RequestGuard(host).Use(app);
            var streams = new EventStreams(config.Host.Limits.MaxEventStreams, app.Lifetime.ApplicationStopping);
            var runs = app.Services.GetRequiredService<IRequiredActor<RunsActor>>();
            new RunApi(app.Services, runs, store, defaults, config, paths, streams).Map(app);
            new TargetApi(store, config).Map(app);
            new ExplainApi(store, config).Map(app);
            var loadedModels = new LoadedModels(store, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<LoadedModels>());
            new ModelsApi(store, config, loadedModels).Map(app);
            new ScoreApi(store, config, loadedModels).Map(app);
            new RunRecordsApi(store, paths, runs).Map(app);
            var searchApi = new SearchApi(app.Services, app.Services.GetRequiredService<IRequiredActor<SearchesActor>>(), searchStore, config, paths, streams);
            searchApi.Map(app);
            new Dashboard.DashboardApi(store, searchStore, defaults, config.Logs, streams, embedRuns: host.ApiToken is not { Length: > 0 }).Map(app);
            new ClusterApi(clusterNode is null ? null : app.Services.GetRequiredService<IRequiredActor<ClusterNodesActor>>()).Map(app);

            // A search whose process died (this host, killed) picks up where it was once the actors run.
            app.Lifetime.ApplicationStarted.Register(() => searchApi.ResumeOrphans(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<SearchApi>()));
            app.Lifetime.ApplicationStarted.Register(loadedModels.FitProductionAhead);

            // Runs are cancelled as soon as the host begins to stop, while the HTTP server still runs, so that event
            // streams can tell their clients how the runs ended; CoordinatedShutdown asks again and waits for them.
            app.Lifetime.ApplicationStopping.Register(() => runs.ActorRef.Tell(new StopAllRuns(ChurnActorsSetup.StopGrace)));
            return new ChurnServer(app, store, hostLock, clusterNode is not null);
        }));
    }

    /// <summary>The cluster node's address (<c>churn@127.0.0.1:4053</c>), or null for a host started without a cluster port.</summary>
    public string? ClusterAddress =>
        _clustered
            ? ClusterNodesActor.NodeName(Akka.Cluster.Cluster.Get(_app.Services.GetRequiredService<ActorSystem>()).SelfAddress)
            : null;

    public Task StartAsync(CancellationToken cancel) => _app.StartAsync(cancel);

    public Task StopAsync(CancellationToken cancel) => _app.StopAsync(cancel);

    /// <summary>Returns when the host has stopped: on SIGTERM or Ctrl-C, or after <see cref="StopAsync"/>.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancel) => _app.WaitForShutdownAsync(cancel);

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        Store.Dispose();
        _lock.Dispose();
    }

    private static bool IsBindable(string bind) => bind == "localhost" || IPAddress.TryParse(bind, out _);

    private static bool IsLoopback(string bind) => bind == "localhost" || (IPAddress.TryParse(bind, out var address) && IPAddress.IsLoopback(address));

    private static Problem? LimitProblem(HostLimits limits)
    {
        foreach (var (name, value) in new (string, long)[]
        {
            ("maxQueuedRuns", limits.MaxQueuedRuns), ("maxTrialsPerSearch", limits.MaxTrialsPerSearch), ("maxConcurrentSearches", limits.MaxConcurrentSearches),
            ("maxWidth", limits.MaxWidth), ("maxDepth", limits.MaxDepth), ("maxParameters", limits.MaxParameters), ("maxEpochs", limits.MaxEpochs),
            ("maxPatience", limits.MaxPatience), ("maxEventStreams", limits.MaxEventStreams), ("maxScoreRows", limits.MaxScoreRows),
        })
        {
            if (value < 1)
            {
                return new Problem($"must be at least 1, got {value}", Column: $"host.limits.{name}");
            }
        }
        return null;
    }

    private static void Listen(KestrelServerOptions kestrel, string bind, int port)
    {
        if (bind == "localhost" && port != 0)
        {
            kestrel.ListenLocalhost(port);
        }
        else
        {
            kestrel.Listen(bind == "localhost" ? IPAddress.Loopback : IPAddress.Parse(bind), port);
        }
    }
}
