using System.Text.Json;
using Churn.Actors;

namespace Churn.Host.Store;

/// <summary>The store's writes of what people say of runs (names, tags, notes, archived) and its removal of a run.</summary>
public sealed partial class SqliteRunStore
{
    /// <summary>Sets a run's labels, whether or not its own row exists yet.</summary>
    public void Label(string runId, RunLabels labels) =>
        Write("""
            INSERT INTO run_labels (run_id, name, tags, notes, archived) VALUES ($id, $name, $tags, $notes, $archived)
                ON CONFLICT (run_id) DO UPDATE SET name = excluded.name, tags = excluded.tags, notes = excluded.notes, archived = excluded.archived
            """,
            ("$id", runId), ("$name", labels.Name), ("$tags", JsonSerializer.Serialize(labels.Tags.IsDefault ? [] : labels.Tags, Compact)),
            ("$notes", labels.Notes), ("$archived", labels.Archived ? 1 : 0));

    /// <summary>Forgets a run: its row, stages, epochs and labels. Its files are the caller's business.</summary>
    public void Remove(string runId) =>
        Write("""
            DELETE FROM run_epochs WHERE run_id = $id;
            DELETE FROM run_stages WHERE run_id = $id;
            DELETE FROM run_labels WHERE run_id = $id;
            DELETE FROM runs WHERE id = $id;
            """,
            ("$id", runId));
}
