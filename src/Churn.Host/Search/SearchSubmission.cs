using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Actors.Messages;
using Churn.Host.Configuration;
using Churn.Numerics;
using Churn.Numerics.Search;

namespace Churn.Host.Search;

/// <summary>
/// A search asked for: the fields of a space file (laid over <c>config/search.json</c>) plus the search's own
/// <see cref="OwnFields"/>. A <c>POST /searches</c> body, a <c>--space</c> file and the command line's flags all become
/// this one record (<see cref="FromJson"/>, <see cref="Cli.ChurnCommandLine.SearchFields"/>), and
/// <see cref="Resolve"/> checks and plans it, the same way for each.
/// </summary>
public sealed record SearchSubmission
{
    /// <summary>The fields a search request has besides a space file's.</summary>
    public static readonly ImmutableArray<string> OwnFields = ["seed", "parallel", "threads", "data", "out"];

    private readonly JsonObject _fields;

    private SearchSubmission(JsonObject fields) => _fields = fields;

    /// <summary>The fields it sets, as JSON (a copy).</summary>
    public JsonObject Fields => (JsonObject)_fields.DeepClone();

    public static SearchSubmission Of(JsonObject fields) => new((JsonObject)fields.DeepClone());

    /// <summary>
    /// This submission with <paramref name="field"/> set to <paramref name="value"/>; a dotted field (<c>space.balance</c>)
    /// is set inside its object, keeping the object's other fields.
    /// </summary>
    public SearchSubmission With(string field, JsonNode? value)
    {
        var fields = Fields;
        var parts = field.Split('.');
        var into = fields;
        foreach (var part in parts[..^1])
        {
            if (into[part] is not JsonObject inner)
            {
                inner = [];
                into[part] = inner;
            }
            into = inner;
        }
        // Through its text, as a request body's value would arrive: a value built from a CLR number (a flag's) reads as a
        // number only once parsed.
        into[parts[^1]] = value is null ? null : JsonNode.Parse(value.ToJsonString());
        return new(fields);
    }

    /// <summary>A request body or space file's text: one JSON object (empty text is an empty request).</summary>
    public static Result<SearchSubmission> FromJson(string text, string name) =>
        string.IsNullOrWhiteSpace(text)
            ? Result.Ok(new SearchSubmission([]))
            : JsonInput.ParseObject(text, null, lenient: true).Match(
                o => Result.Ok(new SearchSubmission(o)),
                problem => Result.Fail<SearchSubmission>(problem with { File = name }));

    /// <summary>
    /// The search this submission asks for, with the run configuration <paramref name="config"/> for what it does not set.
    /// A problem names the field in <see cref="Problem.Column"/> and <paramref name="name"/> as its file. Without
    /// <c>out</c>, the search writes to <paramref name="defaultOut"/> of its id. <paramref name="admit"/> may refuse the
    /// definition before it is planned (a host's limits). The first of <see cref="ResolveAll"/>'s problems.
    /// </summary>
    public Result<SearchRequest> Resolve(ChurnConfig config, Func<string, string> defaultOut, string name, Func<SearchDefinition, Problem?>? admit = null) =>
        ResolveAll(config, defaultOut, name, admit) is var (request, problems) && request is not null ? Result.Ok(request) : problems[0];

    /// <summary>
    /// As <see cref="Resolve"/>, with every problem of every field: the space file's, the search's own
    /// (<see cref="OwnFields"/>) and <paramref name="admit"/>'s. The request is null when there is any problem.
    /// </summary>
    public (SearchRequest? Request, ImmutableArray<Problem> Problems) ResolveAll(ChurnConfig config, Func<string, string> defaultOut, string name, Func<SearchDefinition, Problem?>? admit = null)
    {
        var (overrides, problems) = Overrides(name);
        var space = Fields;
        foreach (var field in OwnFields)
        {
            space.Remove(field);
        }
        var (definition, spaceProblems) = SpaceFile.LoadAll(SearchPlanner.DefaultSpacePath, space, name);
        var all = problems.AddRange(spaceProblems);
        if (definition is not null && admit?.Invoke(definition) is { } refused)
        {
            all = all.Add(refused);
        }
        return definition is not null && all.IsEmpty ? (SearchPlanner.Plan(config, definition, overrides, defaultOut), []) : (null, all);
    }

    /// <summary>The request's own fields: seed, parallel, threads, data and out; each bad one a problem, and left unset.</summary>
    private (SearchOverrides Overrides, ImmutableArray<Problem> Problems) Overrides(string name)
    {
        var problems = ImmutableArray.CreateBuilder<Problem>();
        ulong? seed = null;
        if (_fields["seed"] is { } s)
        {
            if (s is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<ulong>(out var value))
            {
                seed = value;
            }
            else
            {
                problems.Add(new Problem("must be a whole number of 0 or more", name, Column: "seed"));
            }
        }
        int? Count(string field)
        {
            if (_fields[field] is not { } n)
            {
                return null;
            }
            if (n is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var value) && value is >= 1 and <= 256)
            {
                return value;
            }
            problems.Add(new Problem("must be a whole number from 1 to 256", name, Column: field));
            return null;
        }
        var parallel = Count("parallel");
        var threads = Count("threads");
        string? Text(string field)
        {
            if (_fields[field] is null)
            {
                return null;
            }
            if (_fields[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                return v.GetValue<string>();
            }
            problems.Add(new Problem("must be a path (a string)", name, Column: field));
            return null;
        }
        var data = Text("data");
        var output = Text("out");
        return (new SearchOverrides(seed, parallel, data, output, threads), problems.ToImmutable());
    }
}
