using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Churn.Host.Store;

/// <summary>
/// The one place the stores open the SQLite database (<c>churn.db</c>) and keep its schema versions. Every connection is
/// configured here the same way, and the database has one schema-version scheme: the table <c>schema_versions</c>, one
/// row per part (<see cref="RunsPart"/>, <see cref="SearchesPart"/>), each part migrated by its own steps.
/// </summary>
/// <remarks>
/// Databases written before the table existed kept the runs' version in <c>PRAGMA user_version</c> and the searches'
/// in a table <c>search_schema</c>. Each part adopts its old version the first time it opens (in the same transaction
/// as its migration), the <c>search_schema</c> table is dropped, and <c>user_version</c> is set to
/// <see cref="OlderBuildsRefuse"/> so that a build from before the table refuses the file instead of misreading it.
/// </remarks>
public static class StoreDatabase
{
    /// <summary>The part of the database the run store (with the model registry) keeps.</summary>
    public const string RunsPart = "runs";

    /// <summary>The part of the database the search store keeps.</summary>
    public const string SearchesPart = "searches";

    /// <summary>What <c>user_version</c> holds once the versions live in <c>schema_versions</c>: above any version an older build reads.</summary>
    public const int OlderBuildsRefuse = 1000;

    /// <summary>How long a connection waits for another process's write lock before it fails.</summary>
    private const int BusySeconds = 30;

    /// <summary>The connection string of the database at <paramref name="fullPath"/> (pooled: opening a connection is cheap).</summary>
    public static string ConnectionString(string fullPath) =>
        new SqliteConnectionStringBuilder { DataSource = fullPath, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = BusySeconds }.ToString();

    /// <summary>
    /// An open connection, configured as every store's: synchronous NORMAL (in WAL mode a crash never corrupts the
    /// database; a power loss may only lose the last commits) and foreign keys checked.
    /// </summary>
    public static SqliteConnection Connect(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            Execute(connection, null, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The first connection of a store: as <see cref="Connect"/>, with the file in WAL mode, which lets readers (the
    /// HTTP API, a second process) look while a run or a search writes.
    /// </summary>
    public static SqliteConnection ConnectFirst(string connectionString)
    {
        var connection = Connect(connectionString);
        Execute(connection, null, "PRAGMA journal_mode = WAL;");
        return connection;
    }

    /// <summary>
    /// The schema version of <paramref name="part"/> in this database, 0 when the part has no tables yet. A database
    /// written by the older schemes has its version adopted here (see the remarks of <see cref="StoreDatabase"/>).
    /// </summary>
    public static int Version(SqliteConnection connection, SqliteTransaction transaction, string part)
    {
        Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_versions (part TEXT PRIMARY KEY, version INTEGER NOT NULL);");
        if (Scalar(connection, transaction, "SELECT version FROM schema_versions WHERE part = $part", ("$part", part)) is { } stored and not DBNull)
        {
            return Convert.ToInt32(stored, CultureInfo.InvariantCulture);
        }
        // The first part to open since the table exists takes the runs' version out of user_version and fences it.
        var userVersion = Convert.ToInt32(Scalar(connection, transaction, "PRAGMA user_version"), CultureInfo.InvariantCulture);
        if (userVersion != OlderBuildsRefuse)
        {
            SetVersion(connection, transaction, RunsPart, userVersion);
            Execute(connection, transaction, $"PRAGMA user_version = {OlderBuildsRefuse};");
            if (part == RunsPart)
            {
                return userVersion;
            }
        }
        var older = part == SearchesPart ? OlderSearchesVersion(connection, transaction) : 0;
        SetVersion(connection, transaction, part, older);
        return older;
    }

    /// <summary>Records that <paramref name="part"/> is now at <paramref name="version"/> (inside the migration's transaction).</summary>
    public static void SetVersion(SqliteConnection connection, SqliteTransaction transaction, string part, int version) =>
        Execute(connection, transaction, "INSERT INTO schema_versions (part, version) VALUES ($part, $version) ON CONFLICT (part) DO UPDATE SET version = excluded.version",
            ("$part", part), ("$version", version));

    /// <summary>The searches' version as the older scheme kept it (its own table, dropped now), 0 for a database without search tables.</summary>
    private static int OlderSearchesVersion(SqliteConnection connection, SqliteTransaction transaction)
    {
        if (!TableExists(connection, transaction, "search_schema"))
        {
            return TableExists(connection, transaction, "searches") ? throw new InvalidOperationException("the search tables exist without a recorded schema version") : 0;
        }
        var version = Scalar(connection, transaction, "SELECT MAX(version) FROM search_schema");
        Execute(connection, transaction, "DROP TABLE search_schema;");
        return version is null or DBNull ? 0 : Convert.ToInt32(version, CultureInfo.InvariantCulture);
    }

    private static bool TableExists(SqliteConnection connection, SqliteTransaction transaction, string table) =>
        Scalar(connection, transaction, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $name", ("$name", table)) is not null;

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteScalar();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command;
    }
}
