using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Files;
using Microsoft.AspNetCore.Http;

namespace Churn.Host.Api;

/// <summary>
/// A finished run's model, loaded for an endpoint that scores or explains with it, or the answer to give instead: 404
/// for an unknown run, 409 for a run with no model (not finished, or a mode that saves none) or one that cannot be read.
/// The problems speak of the run, never of the host's paths. One lookup for every endpoint under <c>/runs/{id}/</c>.
/// </summary>
internal sealed record RunModel(string RunId, string Directory, ModelArtifact Model)
{
    /// <summary>The model of run <paramref name="id"/>, to <paramref name="purpose"/> (<c>"score with"</c>, <c>"explain with"</c>).</summary>
    public static (RunModel? Model, IResult? Refusal) Of(SqliteRunStore store, string id, string purpose)
    {
        if (store.Get(id) is not { } run)
        {
            return (null, ApiProblem.Of(StatusCodes.Status404NotFound, "unknown run", $"no run with id '{id}'"));
        }
        var directory = run.Artifacts.IsDefault ? null : run.Artifacts.FirstOrDefault(a => Path.GetFileName(a) == RunFiles.ModelDirectoryName);
        if (run.Status != RunStatus.Succeeded || directory is null)
        {
            return (null, ApiProblem.Of(StatusCodes.Status409Conflict, "no model", $"run {id} has no model to {purpose} (status {run.Status}, mode {run.Mode})"));
        }
        var loaded = ModelArtifact.Load(directory);
        return loaded is Result<ModelArtifact>.Ok { Value: var model }
            ? (new RunModel(id, directory, model), null)
            : (null, ApiProblem.Of(StatusCodes.Status409Conflict, "no model", $"run {id}'s model cannot be read: {loaded.Match(_ => "", p => p.Reason)}"));
    }

    /// <summary>
    /// The model of run <paramref name="id"/> and the request body read as <see cref="ApiBody.ReadAsync{T}"/> reads it,
    /// or the answer to give instead; the run is looked up first, so an unknown run is a 404 whatever was posted.
    /// </summary>
    public static async Task<(RunModel? Model, T? Request, IResult? Refusal)> WithRequestAsync<T>(
        SqliteRunStore store, string id, string purpose, HttpContext context, long limit, string setting, string title)
        where T : class
    {
        var (run, refusal) = Of(store, id, purpose);
        if (run is null)
        {
            return (null, null, refusal);
        }
        var (request, bad) = await ApiBody.ReadAsync<T>(context, limit, setting, title);
        return request is null ? (null, null, bad) : (run, request, null);
    }

    /// <summary>The 409 for a model trained from <c>.npz</c> files that recorded no scaler, asked to take raw customers.</summary>
    public IResult NoScaler(string advice, string? field = null) =>
        ApiProblem.Of(StatusCodes.Status409Conflict, "model has no scaler",
            $"run {RunId}'s model was trained from .npz files that recorded no scaler, so it cannot standardize raw customer data{advice}", field);
}
