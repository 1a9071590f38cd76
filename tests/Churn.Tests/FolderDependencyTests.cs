using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Churn.Tests;

/// <summary>
/// The layers of src/ stay acyclic: a folder (its namespace: project name plus folder path) depends on another when
/// one of its files imports it (<c>using Churn.X.Y;</c>) or names it in full (<c>Churn.X.Y.Type</c>). No folder may
/// depend, directly or through others, on a folder that depends on it.
/// </summary>
public partial class FolderDependencyTests
{
    [Fact]
    public void No_folder_in_src_depends_on_a_folder_that_depends_on_it()
    {
        var graph = Dependencies(SourceFiles(Path.Combine(TestPaths.RepoRoot, "src")));

        var cycles = Cycles(graph);

        Assert.True(cycles.IsEmpty, "folder cycles in src/: " + string.Join("; ", cycles.Select(c => string.Join(" -> ", c.Append(c[0])))));
        Assert.Contains("Churn.Numerics.Data", graph["Churn.Host.Api"]);
    }

    [Fact]
    public void A_cycle_through_three_folders_is_found_and_imports_of_outside_namespaces_are_ignored()
    {
        var graph = Dependencies(
        [
            ("Churn.A", "namespace Churn.A;\nusing Churn.B;\nusing System.Text;"),
            ("Churn.B", "using Churn.C;\nnamespace Churn.B;"),
            ("Churn.C", "namespace Churn.C;\n/// <summary>Not Churn.D.Other.</summary>\nclass X { object y = Churn.A.Thing.Make(); }"),
            ("Churn.D", "using Churn.A;\nnamespace Churn.D;"),
        ]);

        var cycles = Cycles(graph);

        Assert.Equal(["Churn.A", "Churn.B", "Churn.C"], Assert.Single(cycles).Order(StringComparer.Ordinal));
        Assert.Empty(Cycles(graph.SetItem("Churn.C", [])));
    }

    /// <summary>Every .cs file under <paramref name="src"/> (build output left out) with its folder's namespace.</summary>
    private static IEnumerable<(string Folder, string Text)> SourceFiles(string src) =>
        from project in Directory.GetDirectories(src)
        from file in Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories)
        let relative = Path.GetRelativePath(project, Path.GetDirectoryName(file)!)
        where !relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj")
        select (string.Join('.', new[] { Path.GetFileName(project) }.Concat(relative == "." ? [] : relative.Split(Path.DirectorySeparatorChar))), File.ReadAllText(file));

    /// <summary>For each folder, the other folders (of <paramref name="files"/>) it imports or names in full.</summary>
    private static ImmutableDictionary<string, ImmutableHashSet<string>> Dependencies(IEnumerable<(string Folder, string Text)> files)
    {
        var all = files.ToList();
        var folders = all.Select(f => f.Folder).ToHashSet(StringComparer.Ordinal);
        return all.GroupBy(f => f.Folder, StringComparer.Ordinal).ToImmutableDictionary(
            g => g.Key,
            g => g.SelectMany(f => Referenced(f.Text))
                .Select(name => Longest(name, folders))
                .OfType<string>()
                .Where(target => target != g.Key && !g.Key.StartsWith(target + ".", StringComparison.Ordinal))
                .ToImmutableHashSet(StringComparer.Ordinal),
            StringComparer.Ordinal);
    }

    /// <summary>The namespaces a file imports, and the dotted names its code (comments left out) writes in full from <c>Churn.</c> on.</summary>
    private static IEnumerable<string> Referenced(string text) =>
        Import().Matches(text).Select(m => m.Groups[1].Value)
            .Concat(FullName().Matches(Comment().Replace(Import().Replace(Namespace().Replace(text, ""), ""), "")).Select(m => m.Value));

    /// <summary>The longest folder that <paramref name="name"/> is or lies in, if any.</summary>
    private static string? Longest(string name, HashSet<string> folders)
    {
        for (var candidate = name; candidate.Length > 0; candidate = candidate.Contains('.', StringComparison.Ordinal) ? candidate[..candidate.LastIndexOf('.')] : "")
        {
            if (folders.Contains(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The strongly connected groups of more than one folder (Tarjan): each one is a cycle of imports.</summary>
    private static ImmutableArray<ImmutableArray<string>> Cycles(ImmutableDictionary<string, ImmutableHashSet<string>> graph)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var cycles = ImmutableArray.CreateBuilder<ImmutableArray<string>>();

        void Visit(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v);
            foreach (var w in graph.GetValueOrDefault(v, []).Order(StringComparer.Ordinal))
            {
                if (!index.TryGetValue(w, out var seen))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (stack.Contains(w))
                {
                    low[v] = Math.Min(low[v], seen);
                }
            }

            if (low[v] == index[v])
            {
                var group = new List<string>();
                string w;
                do
                {
                    w = stack.Pop();
                    group.Add(w);
                }
                while (w != v);
                if (group.Count > 1)
                {
                    cycles.Add([.. group]);
                }
            }
        }

        foreach (var v in graph.Keys.Order(StringComparer.Ordinal).Where(v => !index.ContainsKey(v)))
        {
            Visit(v);
        }

        return cycles.ToImmutable();
    }

    [GeneratedRegex(@"^\s*using\s+(?:static\s+)?(Churn(?:\.\w+)*)\s*;", RegexOptions.Multiline)]
    private static partial Regex Import();

    [GeneratedRegex(@"^\s*namespace\s+[\w.]+\s*;", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"//.*$", RegexOptions.Multiline)]
    private static partial Regex Comment();

    [GeneratedRegex(@"(?<![\w.])Churn(?:\.[A-Z]\w*)+")]
    private static partial Regex FullName();
}
