using System.Collections.Concurrent;
using System.Diagnostics;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Explanation;
using Microsoft.Extensions.Logging;

namespace Churn.Host.Api;

/// <summary>
/// A registered version loaded for scoring: the model, the background its reasons are measured against (null when it
/// saved none, with <see cref="NoReasons"/> saying why), and its table of fast reasons, fitted once: ahead of need when
/// the version becomes the production one (<see cref="LoadedModels.FitAhead"/>), else on first use.
/// </summary>
internal sealed record LoadedModel(ModelVersion Version, ModelArtifact Model, Background? Background, string? NoReasons, Lazy<Result<ReasonTable>> FastReasons);

/// <summary>
/// Registered versions kept in memory for real-time scoring, so that a request reads neither the disk nor, most of the
/// time, the store. A version's files never change (they are a content-addressed copy), so a loaded version is kept
/// as long as the host runs; only which version a bare name means changes. That is remembered for
/// <see cref="AliasLifetime"/> and forgotten at once on a promotion through this host, so a promotion by another
/// process (<c>churn models promote</c>) is seen within that time.
/// </summary>
internal sealed class LoadedModels(SqliteRunStore store, ILogger? log = null)
{
    /// <summary>How long the production version of a name is trusted without asking the store again.</summary>
    public static readonly TimeSpan AliasLifetime = TimeSpan.FromSeconds(2);

    /// <summary>Versions kept at most; beyond it the cache starts afresh (a host scores with a handful).</summary>
    private const int MaxVersions = 64;

    private readonly ConcurrentDictionary<(string Name, int Version), Lazy<Result<LoadedModel>>> _versions = new();
    private readonly ConcurrentDictionary<string, (int Version, long At)> _production = new(StringComparer.Ordinal);

    // A fit takes a few CPU-seconds: one at a time, so that fitting ahead never takes more than one core from requests.
    private readonly Lock _gate = new();
    private Task _fits = Task.CompletedTask;

    // Names waiting to be fitted ahead; a second promotion of a waiting name adds nothing (the wait resolves it afresh).
    private readonly ConcurrentDictionary<string, byte> _waiting = new(StringComparer.Ordinal);

    /// <summary>The version <paramref name="reference"/> (<c>NAME</c> or <c>NAME@VERSION</c>) names, loaded.</summary>
    public Result<LoadedModel> Get(string reference)
    {
        var at = reference.IndexOf('@');
        var name = at < 0 ? reference : reference[..at];
        int version;
        if (at >= 0)
        {
            if (!int.TryParse(reference.AsSpan(at + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out version) || version < 1)
            {
                return Result.Fail<LoadedModel>($"'{reference}' is not NAME or NAME@VERSION (a registered model)", column: "model");
            }
        }
        else if (_production.TryGetValue(name, out var known) && Stopwatch.GetElapsedTime(known.At) < AliasLifetime)
        {
            version = known.Version;
        }
        else
        {
            var resolved = store.ResolveModel(reference);
            if (resolved is Result<ModelVersion>.Error error)
            {
                return error.Problem;
            }
            version = resolved.Unwrap().Version;
            _production[name] = (version, Stopwatch.GetTimestamp());
        }
        if (_versions.Count > MaxVersions)
        {
            _versions.Clear();
        }
        var loaded = _versions.GetOrAdd((name, version), key => new Lazy<Result<LoadedModel>>(() => Load(key.Name, key.Version)));
        var result = loaded.Value;
        if (result is Result<LoadedModel>.Error)
        {
            // A failure (a version not registered yet, a copy damaged on disk) is not remembered: it may be mended.
            _versions.TryRemove(new KeyValuePair<(string, int), Lazy<Result<LoadedModel>>>((name, version), loaded));
        }
        return result;
    }

    /// <summary>
    /// Forgets which version <paramref name="name"/> means (it was just promoted or rolled back) and fits the new
    /// production version's fast reasons ahead of need.
    /// </summary>
    public void Promoted(string name)
    {
        _production.TryRemove(name, out _);
        FitAhead(name);
    }

    /// <summary>Fits ahead the fast reasons of every registered model's production version (when the host starts).</summary>
    public void FitProductionAhead()
    {
        foreach (var model in store.Models().Where(m => m.Production is not null))
        {
            FitAhead(model.Name);
        }
    }

    /// <summary>
    /// Fits the fast reasons of <paramref name="name"/>'s production version off the request path, one fit at a time,
    /// so that the first request for fast reasons does not wait seconds for it. A request that comes before the fit ends
    /// waits for that same fit (a version's table is fitted once). A failure is logged; the request path then does what
    /// it would have done without this (fits on first use, or answers the problem).
    /// </summary>
    public Task FitAhead(string name)
    {
        if (!_waiting.TryAdd(name, 0))
        {
            return Task.CompletedTask;
        }
        lock (_gate)
        {
            _fits = After(_fits, name);
            return _fits;
        }
    }

    private async Task After(Task previous, string name)
    {
        await previous.ConfigureAwait(false);
        await Task.Run(() =>
        {
            _waiting.TryRemove(name, out _);
            try
            {
                if (Get(name) is Result<LoadedModel>.Ok { Value: { Background: not null } loaded })
                {
                    _ = loaded.FastReasons.Value;
                }
            }
            catch (Exception e)
            {
                // Only a bug or a host stopping under it gets here: requests meet the same failure as they would have.
                log?.LogWarning("{RunId}{Stage}{Message}", name, "reasons", $"{name}: fast reasons not fitted ahead: {e.Message}");
            }
        }).ConfigureAwait(false);
    }

    private Result<LoadedModel> Load(string name, int version) =>
        store.ResolveModel($"{name}@{version}").Bind(registered => ModelArtifact.Load(registered.Directory).Match(
            model =>
            {
                var background = Explained.Background(model, null, null, DataLimits.Default);
                return Result.Ok(new LoadedModel(registered, model, background.Match<Background?>(b => b, _ => null),
                    background is Result<Background>.Error { Problem: var p } ? p.Reason : null,
                    new Lazy<Result<ReasonTable>>(() => background.Bind(b => Fit(registered, model, b)))));
            },
            // The reason only: where the store keeps its copies is the host's business.
            problem => Result.Fail<LoadedModel>($"{name}@{version} cannot be read: {problem.Reason}", column: "model")));

    /// <summary>
    /// The version's table of fast reasons: its saved sample explained exactly, once, ahead of need or when a request
    /// first asks for fast reasons (a version's copy never changes, so neither does its table). Logged with what it cost.
    /// </summary>
    private Result<ReasonTable> Fit(ModelVersion version, ModelArtifact model, Background background)
    {
        var started = Stopwatch.GetTimestamp();
        var table = ReasonTable.ForModel(model, background);
        if (log is not null && log.IsEnabled(LogLevel.Information))
        {
            var name = $"{version.Name}@{version.Version}";
            var message = table.Match(
                t => $"{name}: fast reasons fitted on the exact values of {t.Customers} customers against {background.Total} in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms",
                p => $"{name}: no fast reasons: {p.Reason}");
            log.LogInformation("{RunId}{Stage}{Message}", version.RunId ?? name, "reasons", message);
        }
        return table;
    }
}
