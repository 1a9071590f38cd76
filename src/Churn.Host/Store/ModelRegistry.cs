using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;
using Churn.Numerics;
using Churn.Numerics.Artifacts;

namespace Churn.Host.Store;

/// <summary>One registered version of a named model: where its copy lives, what it was copied from, its content's SHA-256.</summary>
public sealed record ModelVersion(string Name, int Version, string Sha256, string Directory, string Source, string? RunId, DateTimeOffset RegisteredAt);

/// <summary>A named model: its versions, oldest first, and the one in production (null before the first promotion).</summary>
public sealed record RegisteredModel(string Name, ImmutableArray<ModelVersion> Versions, int? Production);

/// <summary>One scoring with a registered version: which file (its SHA-256), when, and the summary it gave.</summary>
public sealed record ModelScoring(string Name, int Version, string Command, string Input, string InputSha256, DateTimeOffset At, string Summary);

/// <summary>
/// The model registry in the run store: named models, their numbered versions (each a content-addressed copy of the
/// model folder under the store's <c>models/</c> folder, so that deleting a run's output leaves it intact), the
/// production alias as an append-only history of promotions (a rollback promotes the version before the current one
/// again), and every scoring a registered version did.
/// </summary>
public sealed partial class SqliteRunStore
{
    /// <summary>The registry's tables: a schema step of their own.</summary>
    private const string ModelRegistrySchema = """
        CREATE TABLE model_versions (
            name          TEXT NOT NULL,
            version       INTEGER NOT NULL,
            sha256        TEXT NOT NULL,
            directory     TEXT NOT NULL,
            source        TEXT NOT NULL,
            run_id        TEXT,
            registered_at TEXT NOT NULL,
            PRIMARY KEY (name, version)
        );
        CREATE TABLE model_promotions (
            seq         INTEGER PRIMARY KEY AUTOINCREMENT,
            name        TEXT NOT NULL,
            version     INTEGER NOT NULL,
            promoted_at TEXT NOT NULL,
            FOREIGN KEY (name, version) REFERENCES model_versions (name, version)
        );
        CREATE TABLE model_scorings (
            seq          INTEGER PRIMARY KEY AUTOINCREMENT,
            name         TEXT NOT NULL,
            version      INTEGER NOT NULL,
            command      TEXT NOT NULL,
            input        TEXT NOT NULL,
            input_sha256 TEXT NOT NULL,
            scored_at    TEXT NOT NULL,
            summary      TEXT NOT NULL
        );
        """;

    /// <summary>The folder registered models are copied into: <c>models/</c> beside the store file.</summary>
    public string ModelArea => Path.Combine(Path.GetDirectoryName(FilePath)!, "models");

    /// <summary>A model name: letters, digits, '-', '_' and '.', at most 64, starting with a letter or digit.</summary>
    public static bool IsModelName(string name) => ModelName().IsMatch(name);

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial System.Text.RegularExpressions.Regex ModelName();

    /// <summary>
    /// Registers the model in <paramref name="modelDir"/> as the next version of <paramref name="name"/>: checks that it
    /// loads, copies its files into <see cref="ModelArea"/> under the SHA-256 of its <c>model.json</c> (which names its
    /// weights by their hashes), and records the version. The same content registered again shares one copy.
    /// </summary>
    public Result<ModelVersion> RegisterModel(string name, string modelDir, string? runId, DateTimeOffset at)
    {
        if (!IsModelName(name))
        {
            return Result.Fail<ModelVersion>($"'{name}' is not a model name: letters, digits, '.', '-' and '_', up to 64, starting with a letter or digit", column: "name");
        }
        if (ModelArtifact.Load(modelDir) is Result<ModelArtifact>.Error broken)
        {
            return broken.Problem;
        }
        string sha;
        string copy;
        try
        {
            var full = Path.GetFullPath(modelDir);
            sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(full, ModelArtifact.ManifestFile))));
            copy = Path.Combine(ModelArea, sha);
            if (!Directory.Exists(copy))
            {
                // Copied whole into a temporary folder, then renamed: a copy is there entirely or not at all.
                var temp = Path.Combine(ModelArea, $".{sha}.{Guid.NewGuid():N}.tmp");
                Directory.CreateDirectory(temp);
                var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(full, ModelArtifact.ManifestFile)));
                foreach (var file in WeightsFiles(manifest.RootElement).Append(ModelArtifact.ManifestFile))
                {
                    File.Copy(Path.Combine(full, Path.GetFileName(file)), Path.Combine(temp, Path.GetFileName(file)));
                }
                try
                {
                    Directory.Move(temp, copy);
                }
                catch (IOException) when (Directory.Exists(copy))
                {
                    // Another registration of the same content got there first: its copy is the same files.
                    Directory.Delete(temp, recursive: true);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return Result.Fail<ModelVersion>($"cannot copy the model into the store: {e.Message}", modelDir);
        }
        if (ModelArtifact.Load(copy) is Result<ModelArtifact>.Error copied)
        {
            return copied.Problem;
        }
        lock (_gate)
        {
            using var transaction = _writer.BeginTransaction();
            using var next = Command(_writer, "SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE name = $name", ("$name", name));
            next.Transaction = transaction;
            var version = Convert.ToInt32(next.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            using var insert = Command(_writer,
                "INSERT INTO model_versions (name, version, sha256, directory, source, run_id, registered_at) VALUES ($name, $version, $sha, $dir, $source, $run, $at)",
                ("$name", name), ("$version", version), ("$sha", sha), ("$dir", copy), ("$source", Path.GetFullPath(modelDir)), ("$run", runId), ("$at", Time(at)));
            insert.Transaction = transaction;
            insert.ExecuteNonQuery();
            transaction.Commit();
            return Result.Ok(new ModelVersion(name, version, sha, copy, Path.GetFullPath(modelDir), runId, at));
        }
    }

    /// <summary>Makes version <paramref name="version"/> of <paramref name="name"/> the production one.</summary>
    public Result<ModelVersion> Promote(string name, int version, DateTimeOffset at)
    {
        if (Model(name) is not { } model)
        {
            return Result.Fail<ModelVersion>($"no model named '{name}' is registered", column: "name");
        }
        if (model.Versions.FirstOrDefault(v => v.Version == version) is not { } chosen)
        {
            return Result.Fail<ModelVersion>($"model '{name}' has no version {version} (it has {string.Join(", ", model.Versions.Select(v => v.Version))})", column: "version");
        }
        Write("INSERT INTO model_promotions (name, version, promoted_at) VALUES ($name, $version, $at)", ("$name", name), ("$version", version), ("$at", Time(at)));
        return Result.Ok(chosen);
    }

    /// <summary>Puts back in production the version that was there before the current one.</summary>
    public Result<ModelVersion> Rollback(string name, DateTimeOffset at)
    {
        var history = Promotions(name);
        if (history.Length == 0)
        {
            return Result.Fail<ModelVersion>($"model '{name}' has never been promoted: nothing to roll back", column: "name");
        }
        // The current version's reign began with the last promotion to it after a different one; what came before it is restored.
        var current = history[^1];
        var previous = history.Reverse().SkipWhile(v => v == current).FirstOrDefault();
        return previous == 0
            ? Result.Fail<ModelVersion>($"model '{name}' has had only version {current} in production: nothing to roll back to", column: "name")
            : Promote(name, previous, at);
    }

    /// <summary>The versions promoted to production for <paramref name="name"/>, in order; rollbacks are promotions too.</summary>
    private ImmutableArray<int> Promotions(string name)
    {
        using var connection = Reader();
        using var command = Command(connection, "SELECT version FROM model_promotions WHERE name = $name ORDER BY seq", ("$name", name));
        using var reader = command.ExecuteReader();
        var versions = ImmutableArray.CreateBuilder<int>();
        while (reader.Read())
        {
            versions.Add(reader.GetInt32(0));
        }
        return versions.ToImmutable();
    }

    /// <summary>Every registered model, by name.</summary>
    public ImmutableArray<RegisteredModel> Models()
    {
        using var connection = Reader();
        using var command = Command(connection, "SELECT DISTINCT name FROM model_versions ORDER BY name");
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }
        return [.. names.Select(n => Model(n)!)];
    }

    /// <summary>The model named <paramref name="name"/>, or null.</summary>
    public RegisteredModel? Model(string name)
    {
        using var connection = Reader();
        using var command = Command(connection,
            "SELECT name, version, sha256, directory, source, run_id, registered_at FROM model_versions WHERE name = $name ORDER BY version", ("$name", name));
        using var reader = command.ExecuteReader();
        var versions = ImmutableArray.CreateBuilder<ModelVersion>();
        while (reader.Read())
        {
            versions.Add(new ModelVersion(
                reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), ParseTime(reader.GetString(6))));
        }
        if (versions.Count == 0)
        {
            return null;
        }
        var promotions = Promotions(name);
        return new RegisteredModel(name, versions.ToImmutable(), promotions.IsEmpty ? null : promotions[^1]);
    }

    /// <summary>
    /// The version <paramref name="reference"/> names: <c>NAME</c> for the production one, <c>NAME@VERSION</c> for a
    /// given one. A problem (its column <paramref name="field"/>) when the text is no such reference, the model is not
    /// registered, has no production version yet, or lacks the version.
    /// </summary>
    public Result<ModelVersion> ResolveModel(string reference, string field = "model")
    {
        if (Reference().Match(reference) is not { Success: true } match)
        {
            return Result.Fail<ModelVersion>($"'{reference}' is not NAME or NAME@VERSION (a registered model)", column: field);
        }
        var name = match.Groups["name"].Value;
        if (Model(name) is not { } model)
        {
            return Result.Fail<ModelVersion>($"no model named '{name}' is registered", column: field);
        }
        int? wanted = match.Groups["version"].Success ? int.Parse(match.Groups["version"].Value, System.Globalization.CultureInfo.InvariantCulture) : model.Production;
        if (wanted is null)
        {
            return Result.Fail<ModelVersion>($"model '{name}' has no production version yet: promote one with 'churn models promote {name}@VERSION', or name a version", column: field);
        }
        return model.Versions.FirstOrDefault(v => v.Version == wanted) is { } version
            ? Result.Ok(version)
            : Result.Fail<ModelVersion>($"model '{name}' has no version {wanted} (it has {string.Join(", ", model.Versions.Select(v => v.Version))})", column: field);
    }

    /// <summary>Whether <paramref name="text"/> has the shape of <c>NAME</c> or <c>NAME@VERSION</c>.</summary>
    public static bool IsModelReference(string text) => Reference().IsMatch(text);

    [System.Text.RegularExpressions.GeneratedRegex("^(?<name>[A-Za-z0-9][A-Za-z0-9._-]{0,63})(?:@(?<version>[1-9][0-9]{0,8}))?$")]
    private static partial System.Text.RegularExpressions.Regex Reference();

    /// <summary>Records that a registered version scored a file.</summary>
    public void ScoringRecorded(ModelScoring scoring) =>
        Write("""
            INSERT INTO model_scorings (name, version, command, input, input_sha256, scored_at, summary)
                VALUES ($name, $version, $command, $input, $sha, $at, $summary)
            """,
            ("$name", scoring.Name), ("$version", scoring.Version), ("$command", scoring.Command), ("$input", scoring.Input),
            ("$sha", scoring.InputSha256), ("$at", Time(scoring.At)), ("$summary", scoring.Summary));

    /// <summary>The newest <paramref name="limit"/> scorings of <paramref name="name"/>'s versions, newest first.</summary>
    public ImmutableArray<ModelScoring> Scorings(string name, int limit = 20)
    {
        using var connection = Reader();
        using var command = Command(connection,
            "SELECT name, version, command, input, input_sha256, scored_at, summary FROM model_scorings WHERE name = $name ORDER BY seq DESC LIMIT $limit",
            ("$name", name), ("$limit", limit));
        using var reader = command.ExecuteReader();
        var scorings = ImmutableArray.CreateBuilder<ModelScoring>();
        while (reader.Read())
        {
            scorings.Add(new ModelScoring(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), ParseTime(reader.GetString(5)), reader.GetString(6)));
        }
        return scorings.ToImmutable();
    }

    /// <summary>The weights files a <c>model.json</c> names: its one network's, or every member's.</summary>
    private static IEnumerable<string> WeightsFiles(JsonElement manifest) =>
        manifest.TryGetProperty("members", out var members) && members.ValueKind == JsonValueKind.Array
            ? members.EnumerateArray().Select(m => m.GetProperty("weightsFile").GetString()!)
            : [manifest.GetProperty("weightsFile").GetString()!];
}
