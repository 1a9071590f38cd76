using System.Collections.Immutable;
using Churn.Host.Store;
using Churn.Numerics;
using Microsoft.AspNetCore.StaticFiles;

namespace Churn.Host.Api;

/// <summary>A file a run wrote, as <c>GET /runs/{id}/artifacts</c> lists it.</summary>
public sealed record RunArtifact(string Name, long? Bytes, string ContentType, string Href);

/// <summary>
/// The files a run wrote, named by their path below the folder they share (<c>metrics.json</c>, <c>model/model.json</c>).
/// Only these names are served, each from the path the run recorded: a request's name is looked up, never joined to
/// a folder, so no name can reach another file.
/// </summary>
public static class RunArtifacts
{
    private static readonly FileExtensionContentTypeProvider Types = new();

    /// <summary>Name to full path, for the files of one run; a folder it recorded (the model) stands for the files in it.</summary>
    public static ImmutableSortedDictionary<string, string> Named(ImmutableArray<string> recorded)
    {
        if (recorded.IsDefaultOrEmpty)
        {
            return ImmutableSortedDictionary<string, string>.Empty;
        }

        var root = recorded.Select(f => Path.GetDirectoryName(f) ?? "").Aggregate(CommonFolder);
        var files = recorded.SelectMany(f => Directory.Exists(f)
            ? Directory.EnumerateFiles(f, "*", SearchOption.AllDirectories).Where(e => new FileInfo(e).LinkTarget is null)
            : (IEnumerable<string>)[f]).Distinct();
        return files.ToImmutableSortedDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), f => f, StringComparer.Ordinal);
    }

    /// <summary>
    /// The files of a run: those it recorded at its end, or for a run that ended without recording any (cancelled, failed,
    /// interrupted) what its output folder holds, as long as that folder is inside the host's output root.
    /// </summary>
    public static ImmutableArray<string> Of(StoredRun run, ConfinedPaths paths)
    {
        if (!run.Artifacts.IsDefaultOrEmpty || !RunStatus.IsFinished(run.Status)
            || run.Config?["out"] is not System.Text.Json.Nodes.JsonValue value || !value.TryGetValue<string>(out var folder)
            || paths.Output(folder, "out") is not Result<string>.Ok { Value: var confined } || !Directory.Exists(confined))
        {
            return run.Artifacts.IsDefault ? [] : run.Artifacts;
        }

        return [.. Directory.EnumerateFileSystemEntries(confined).Where(e => new FileInfo(e).LinkTarget is null).Order(StringComparer.Ordinal)];
    }

    public static ImmutableArray<RunArtifact> List(string runId, ImmutableArray<string> files) =>
        [.. Named(files).Select(p => new RunArtifact(p.Key, File.Exists(p.Value) ? new FileInfo(p.Value).Length : null, ContentType(p.Key), Href(runId, p.Key)))];

    public static string Href(string runId, string name) => $"/runs/{Uri.EscapeDataString(runId)}/artifacts/{string.Join('/', name.Split('/').Select(Uri.EscapeDataString))}";

    public static string ContentType(string name) =>
        Path.GetExtension(name) switch
        {
            ".json" => "application/json",
            ".csv" => "text/csv; charset=utf-8",
            ".npz" => "application/zip",
            _ => Types.TryGetContentType(name, out var type) ? type : "application/octet-stream",
        };

    private static string CommonFolder(string a, string b)
    {
        while (!IsWithin(b, a))
        {
            a = Path.GetDirectoryName(a) ?? "";
        }

        return a;
    }

    private static bool IsWithin(string path, string folder) =>
        folder.Length == 0 || path == folder || path.StartsWith(folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
