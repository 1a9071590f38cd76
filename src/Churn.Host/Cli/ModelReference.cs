using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using Churn.Host.Configuration;
using Churn.Host.Store;
using Churn.Numerics;

namespace Churn.Host.Cli;

/// <summary>
/// What <c>--model</c> (and <c>churn models compare</c>'s A and B) name: a model folder as written by a run, or a
/// registered model: <c>NAME</c> for its production version, <c>NAME@VERSION</c> for a given one. A folder of that name
/// wins, as it always has.
/// </summary>
public static class ModelReference
{
    /// <summary>The model folder to load, and the registered version it is when it is one.</summary>
    public sealed record Resolved(string Directory, ModelVersion? Registered, string StorePath);

    public static Result<Resolved> Resolve(ParseResult parse, string reference)
    {
        var configFile = parse.CommandResult.Command.Options.Contains(ChurnCommandLine.Config) ? parse.GetValue(ChurnCommandLine.Config) : null;
        var configured = ChurnConfig.Load(configFile);
        if (configured is Result<ChurnConfig>.Error error)
        {
            return error.Problem;
        }
        var storePath = ChurnCli.StorePath(parse, configured.Unwrap());
        if (Directory.Exists(reference) || !SqliteRunStore.IsModelReference(reference))
        {
            return Result.Ok(new Resolved(reference, null, storePath));
        }
        if (!File.Exists(storePath))
        {
            return Result.Fail<Resolved>($"'{reference}' is neither a model folder nor a registered model: there is no run store here yet", storePath);
        }
        var opened = SqliteRunStore.Open(storePath, DateTimeOffset.UtcNow);
        if (opened is Result<SqliteRunStore>.Error storeError)
        {
            return storeError.Problem;
        }
        using var store = opened.Unwrap();
        var name = reference.Split('@')[0];
        if (store.Model(name) is null)
        {
            return Result.Fail<Resolved>($"'{reference}' is neither a model folder nor a registered model", column: "--model");
        }
        return store.ResolveModel(reference, "--model").Map(version => new Resolved(version.Directory, version, storePath));
    }

    /// <summary>
    /// Records in the run store that a registered version scored <paramref name="input"/>: the file's SHA-256, the time
    /// and <paramref name="summary"/> (<paramref name="sha256"/> when the caller has it already). A folder scored nothing to record; a store that cannot be written loses only the
    /// record, which a warning says.
    /// </summary>
    public static void Record(Resolved model, string command, string input, object summary, string? sha256 = null)
    {
        if (model.Registered is not { } version)
        {
            return;
        }
        try
        {
            // A streamed scoring hashed the file as it read it; otherwise it is read again here.
            var sha = sha256;
            if (sha is null)
            {
                using var file = File.OpenRead(input);
                sha = Convert.ToHexStringLower(SHA256.HashData(file));
            }
            var opened = SqliteRunStore.Open(model.StorePath, DateTimeOffset.UtcNow);
            if (opened is Result<SqliteRunStore>.Error error)
            {
                Console.Error.WriteLine($"churn {command}: warning: the scoring was not recorded: {error.Problem}");
                return;
            }
            using var store = opened.Unwrap();
            store.ScoringRecorded(new ModelScoring(version.Name, version.Version, command, Path.GetFullPath(input), sha, DateTimeOffset.UtcNow,
                JsonSerializer.Serialize(summary, SqliteRunStore.Compact)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            Console.Error.WriteLine($"churn {command}: warning: the scoring was not recorded: {e.Message}");
        }
    }
}
