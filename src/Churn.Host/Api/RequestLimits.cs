using System.Collections.Immutable;
using Churn.Host.Configuration;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Model;

namespace Churn.Host.Api;

/// <summary>
/// The host's bounds on what one request may ask for (<see cref="HostLimits"/>), checked before anything is queued:
/// a network the host can train in reasonable memory and time, a search it can plan and show quickly. Each refusal
/// names the field and the limit.
/// </summary>
public static class RequestLimits
{
    /// <summary>
    /// Weights and biases of a network with <paramref name="model"/>'s shape: 10 inputs, the hidden layers, 2 outputs;
    /// for PLR every member's, embeddings included.
    /// </summary>
    public static long Parameters(ModelConfig model)
    {
        long width = model.Width;
        if (model.Kind != ModelKind.Plr)
        {
            return (Schema.FeatureCount * width) + width + ((model.Depth - 1) * ((width * width) + width)) + (2 * width) + 2;
        }
        long features = Schema.FeatureCount, k = model.Frequencies, d = model.EmbeddingSize;
        var embedding = (features * k) + (features * 2 * k * d) + (features * d);
        var layers = (features * d * width) + width + ((model.Depth - 1) * ((width * width) + width)) + (2 * width) + 2;
        return model.Members * (embedding + layers);
    }

    /// <summary>The model itself, or the first field over a limit; <paramref name="prefix"/> is how the request spells the model's fields.</summary>
    public static Result<ModelConfig> Check(ModelConfig model, HostLimits limits, string prefix = "model.") =>
        CheckAll(model, limits, prefix) is [var first, ..] ? first : Result.Ok(model);

    /// <summary>Every field of <paramref name="model"/> over a limit, each named as <paramref name="prefix"/> spells the model's fields.</summary>
    public static ImmutableArray<Problem> CheckAll(ModelConfig model, HostLimits limits, string prefix = "model.")
    {
        Problem? Over(string field, long value, long max, string limit) =>
            value > max ? new Problem($"{value} is over this host's limit of {max} (host.limits.{limit})", Column: prefix + field) : null;

        Problem?[] over =
        [
            Over("width", model.Width, limits.MaxWidth, "maxWidth"),
            Over("depth", model.Depth, limits.MaxDepth, "maxDepth"),
            Over("maxEpochs", model.MaxEpochs, limits.MaxEpochs, "maxEpochs"),
            Over("cycleEpochs", model.CycleEpochs, limits.MaxEpochs, "maxEpochs"),
            Over("distilEpochs", model.DistilEpochs, limits.MaxEpochs, "maxEpochs"),
            Over("patience", model.Patience, limits.MaxPatience, "maxPatience"),
        ];
        var problems = over.OfType<Problem>().ToImmutableArray();
        if (problems.IsEmpty && Parameters(model) > limits.MaxParameters)
        {
            problems = [new Problem(
                $"a network of depth {model.Depth} and width {model.Width}{(model.Kind == ModelKind.Plr ? $" with {model.Members} members" : "")} has {Parameters(model)} parameters, over this host's limit of {limits.MaxParameters} (host.limits.maxParameters)",
                Column: prefix + "width")];
        }
        return problems;
    }

    /// <summary>
    /// A model field's range problem with this host's bound where it is tighter than the model's own: a width of 5000
    /// is "between 1 and 1024" on a host whose limit is 1024, not the model's 4096. Other problems pass unchanged.
    /// </summary>
    public static Problem Explain(Problem problem, HostLimits limits, string prefix = "model.")
    {
        (long Max, string Name)? bound = problem.Column?.StartsWith(prefix, StringComparison.Ordinal) is true ? problem.Column[prefix.Length..] switch
        {
            "width" => (limits.MaxWidth, "maxWidth"),
            "depth" => (limits.MaxDepth, "maxDepth"),
            "maxEpochs" => (limits.MaxEpochs, "maxEpochs"),
            _ => null,
        } : null;
        var range = System.Text.RegularExpressions.Regex.Match(problem.Reason, @"between (\d+) and (\d+)");
        if (bound is not { } b || !range.Success || long.Parse(range.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) <= b.Max)
        {
            return problem;
        }

        var reason = problem.Reason[..range.Index] + $"between {range.Groups[1].Value} and {b.Max}" + problem.Reason[(range.Index + range.Length)..];
        return problem with { Reason = $"{reason} (this host's limit, host.limits.{b.Name})" };
    }
}
