using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Churn.Actors;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Model;
using static Churn.Host.Configuration.SettingKinds;

namespace Churn.Host.Configuration;

/// <summary>
/// The run specification's field table: every setting of a run (<see cref="RunSpec"/>), once. The command line's run
/// flags, <c>config/churn.json</c>'s reading, <c>POST /runs</c> bodies, a run's stored configuration
/// (<see cref="Write"/>), the dashboard's run form (<c>GET /settings</c>) and <c>--help</c> all come from it; a search
/// embeds the specification it reads. To add a setting: add its field to <see cref="RunSpec"/> (or to the core record
/// it belongs to, such as <see cref="ModelConfig"/>), add one row here, and use it in the core (CONTRIBUTING.md).
/// </summary>
public static class RunFields
{
    /// <summary>The rows, in the order of <c>config/churn.json</c>, <c>--help</c> and the form.</summary>
    public static readonly ImmutableArray<SettingField> All =
    [
        new SettingField<string>("data", "Data (CSV on the host)", "the customer file", Text, s => s.Data, (s, v) => s with { Data = v }, "--data", "CSV", SettingUse.Preparation),
        new SettingField<string>("out", "Output folder", "the output folder", Text, s => s.Out, (s, v) => s with { Out = v }, "--out", "DIR", hint: "empty: a folder of its own", blank: true),
        new SettingField<string>("prefix", "File prefix", "name of the .npz files", Text, s => s.Prefix, (s, v) => s with { Prefix = v }, "--prefix", "NAME"),
        new SettingField<ulong>("seed", "Seed", "seed of balancing, split and initialization: the same seed gives the same result", Natural, s => s.Seed, (s, v) => s with { Seed = v }, "--seed"),
        new SettingField<BalanceStrategy>(
            "balance", "Balancing", "how the classes are balanced: none keeps the natural mix, weighted weighs the loss instead, random and first drop non-buyers down to the buyers' count",
            Choice<BalanceStrategy>(), s => s.Balance, (s, v) => s with { Balance = v }, "--balance", use: SettingUse.Preparation, hint: "none and weighted keep the natural mix"),
        new SettingField<SplitRatios>("split", "Split (train,validation,test)", "split ratios", SettingKinds.Split, s => s.Split, (s, v) => s with { Split = v }, "--split", use: SettingUse.Preparation),
        new SettingField<bool>("stratify", "Stratify", "keep the buyer share equal in every split", Switch, s => s.Stratify, (s, v) => s with { Stratify = v }, "--stratify", use: SettingUse.Preparation),
        new SettingField<ImmutableArray<string>?>(
            "logFeatures", "Log features", "features standardized as ln(1 + x); auto: skewed, except none under --balance first (the notebook)",
            LogFeatures, s => s.LogFeatureNames, (s, v) => s with { LogFeatureNames = v }, "--log-features", use: SettingUse.Preparation, hint: "none, skewed, auto or names"),
        new SettingField<DeviceChoice>("device", "Device", "where to train (auto tries MPS, then CUDA, then the CPU)", Choice<DeviceChoice>(), s => s.Device, (s, v) => s with { Device = v }, "--device", use: SettingUse.Training),
        new SettingField<ModelKind>(
            "model.kind", "Network", "which network: plr (periodic embeddings, members trained as one with a one-cycle schedule, then distilled into one network) or plain (the notebook's multilayer perceptron and its settings)",
            Choice<ModelKind>(), s => s.Model.Kind, (s, v) => s with { Model = s.Model with { Kind = v } }, "--network", use: SettingUse.Training,
            hint: "plr: periodic embeddings, members averaged; plain: the notebook's network"),
        new SettingField<InputTransform>(
            "model.transform", "Input transform", "what the network sees of the standardized behaviours: standard takes them as they are, quantile maps each to normal scores by its rank among the training rows (the map is saved with the model)",
            Choice<InputTransform>(), s => s.Model.Transform, (s, v) => s with { Model = s.Model with { Transform = v } }, "--transform", use: SettingUse.Training,
            hint: "standard: as prepared; quantile: normal scores of the training ranks"),
        Model("depth", "Hidden layers", "hidden layers of the network", Whole, m => m.Depth, (m, v) => m with { Depth = v }),
        Model("width", "Units per layer", "units in each hidden layer", Whole, m => m.Width, (m, v) => m with { Width = v }),
        Model("activation", "Activation", "the hidden layers' activation", Choice<Activation>(), m => m.Activation, (m, v) => m with { Activation = v }),
        Model("learningRate", "Learning rate", "Adam's learning rate", Number, m => m.LearningRate, (m, v) => m with { LearningRate = v }),
        Model(
            "schedule", "Learning-rate schedule", "the plain network's learning rate: constant (learningRate, early stopping after patience) or oneCycle (up to peakLearningRate and down over cycleEpochs, the best epoch kept); PLR always uses oneCycle",
            Choice<LearningSchedule>(), m => m.Schedule, (m, v) => m with { Schedule = v }),
        Model("batchSize", "Batch size", "rows per training batch", Whole, m => m.BatchSize, (m, v) => m with { BatchSize = v }),
        Model("maxEpochs", "Max epochs", "the most epochs training runs", Whole, m => m.MaxEpochs, (m, v) => m with { MaxEpochs = v }),
        Model("patience", "Patience (epochs)", "epochs without improvement of the validation loss before training stops", Whole, m => m.Patience, (m, v) => m with { Patience = v }),
        Model("minDelta", "Min delta", "how much the validation loss must fall to count as an improvement", Number, m => m.MinDelta, (m, v) => m with { MinDelta = v }),
        Model("dropout", "Dropout", "share of hidden units dropped while training", Number, m => m.Dropout, (m, v) => m with { Dropout = v }),
        Model("weightDecay", "Weight decay", "Adam's weight decay", Number, m => m.WeightDecay, (m, v) => m with { WeightDecay = v }),
        Model("shuffleEachEpoch", "Reshuffle every epoch", "reshuffle the training rows before every epoch", Switch, m => m.ShuffleEachEpoch, (m, v) => m with { ShuffleEachEpoch = v }),
        Model("frequencies", "PLR: frequencies per behaviour", "PLR: learned frequencies per behaviour", Whole, m => m.Frequencies, (m, v) => m with { Frequencies = v }),
        Model("frequencyScale", "PLR: initial frequency scale", "PLR: standard deviation of the frequencies' initial values", Number, m => m.FrequencyScale, (m, v) => m with { FrequencyScale = v }),
        Model("embeddingSize", "PLR: embedding size", "PLR: values each behaviour's embedding has", Whole, m => m.EmbeddingSize, (m, v) => m with { EmbeddingSize = v }),
        Model("members", "PLR: members", "PLR: networks trained as one and averaged", Whole, m => m.Members, (m, v) => m with { Members = v }),
        Model("cycleEpochs", "One-cycle epochs", "epochs of the one-cycle schedule of PLR or of schedule oneCycle (maxEpochs caps it)", Whole, m => m.CycleEpochs, (m, v) => m with { CycleEpochs = v }),
        Model("peakLearningRate", "One-cycle peak learning rate", "the highest learning rate of the one-cycle schedule of PLR or of schedule oneCycle", Number, m => m.PeakLearningRate, (m, v) => m with { PeakLearningRate = v }),
        Model("distilEpochs", "PLR: distillation epochs", "PLR: epochs that train one network on the members' mean probabilities, the network then saved and scored (0: score the members)", Whole, m => m.DistilEpochs, (m, v) => m with { DistilEpochs = v }),
        new SettingField<double>(
            "campaign.contactCost", "Contact cost (campaign)", "what contacting one customer costs, in the campaign the evaluation plays",
            Number, s => s.Campaign.ContactCost, (s, v) => s with { Campaign = s.Campaign with { ContactCost = v } }, use: SettingUse.Training),
        new SettingField<double>(
            "campaign.conversionValue", "Value of a returning buyer (campaign)", "what a customer who buys again is worth, in the campaign the evaluation plays",
            Number, s => s.Campaign.ConversionValue, (s, v) => s with { Campaign = s.Campaign with { ConversionValue = v } }, use: SettingUse.Training),
        new SettingField<bool>(
            "skipExplain", "Skip explanations", "skip the explain stage and explain.png: a faster run whose metrics.json has no explanations (churn explain can still explain the saved model)",
            Switch, s => s.SkipExplain, (s, v) => s with { SkipExplain = v }, "--skip-explain", use: SettingUse.Training),
        new SettingField<long>(
            "limits.maxRows", "Most rows read", "rows a command that holds a file whole (run, prepare, the host) may read from it", PositiveLong,
            s => s.Limits.MaxRows, (s, v) => s with { Limits = s.Limits with { MaxRows = v } }, requestable: false),
        new SettingField<long>(
            "limits.maxBytes", "Most bytes read", "bytes a command that holds a file whole (run, prepare, the host) may read from it", PositiveLong,
            s => s.Limits.MaxBytes, (s, v) => s with { Limits = s.Limits with { MaxBytes = v } }, requestable: false),
        new SettingField<int>(
            "limits.maxBackgroundRows", "Most background rows", "customers an explanation's background may hold (each costs every explained customer about 140 network evaluations)", Positive,
            s => s.Limits.MaxBackgroundRows, (s, v) => s with { Limits = s.Limits with { MaxBackgroundRows = v } }, requestable: false),
        new SettingField<long>(
            "limits.scoringMaxBytes", "Most bytes scored", "bytes predict, target, drift and explain may read from one file (they stream it, so they have no row limit)", PositiveLong,
            s => s.Limits.ScoringMaxBytes, (s, v) => s with { Limits = s.Limits with { ScoringMaxBytes = v } }, requestable: false),
    ];

    /// <summary>The top-level fields a request may set (<c>model</c> for every <c>model.*</c> row).</summary>
    public static readonly ImmutableArray<string> RequestFields = [.. All.Where(f => f.Requestable).Select(f => f.Top).Distinct()];

    /// <summary>Every top-level field of the table, requestable or not.</summary>
    public static readonly ImmutableArray<string> TopFields = [.. All.Select(f => f.Top).Distinct()];

    /// <summary>The row named <paramref name="name"/>.</summary>
    public static SettingField Named(string name) => All.Single(f => f.Name == name);

    /// <summary>
    /// <paramref name="start"/> with every field <paramref name="node"/> sets read over it; fields outside the table
    /// are left to the caller. An unknown field inside an object of the table (<c>model.colour</c>), a value of the
    /// wrong kind or out of range is a problem naming the field in <see cref="Problem.Column"/>: the first of
    /// <see cref="ReadAll"/>'s.
    /// </summary>
    public static Result<RunSpec> Read(JsonObject node, RunSpec start)
    {
        var (spec, problems) = ReadAll(node, start);
        return problems.IsEmpty ? Result.Ok(spec) : problems[0];
    }

    /// <summary>
    /// Every problem of the fields <paramref name="node"/> sets, each naming its field, in the table's order: what a
    /// form marks all at once. A field of the wrong kind keeps <paramref name="start"/>'s value; then the core's own
    /// checks and <paramref name="checks"/> (a host's bounds, paths) run over the rest, and each field one of them
    /// refuses is put back to <paramref name="start"/>'s value (which they accept) and they run again, so a problem
    /// does not hide the next. <paramref name="checks"/> return the first problem they see, naming a field of the table.
    /// </summary>
    public static (RunSpec Spec, ImmutableArray<Problem> Problems) ReadAll(JsonObject node, RunSpec start, params Func<RunSpec, Problem?>[] checks)
    {
        var problems = new List<Problem>();
        foreach (var (key, value) in node)
        {
            var group = All.Where(f => f.Name.Contains('.') && f.Top.Equals(key, StringComparison.OrdinalIgnoreCase)).ToList();
            if (group.Count == 0)
            {
                continue;
            }
            if (value is not JsonObject inner)
            {
                problems.Add(new Problem(value is null ? "expected an object, not null" : "expected an object", Column: key));
                continue;
            }
            problems.AddRange(inner
                .Where(p => !group.Any(f => f.Name[(f.Top.Length + 1)..].Equals(p.Key, StringComparison.OrdinalIgnoreCase)))
                .Select(p => new Problem("unknown field", Column: $"{group[0].Top}.{p.Key}")));
        }

        var spec = start;
        foreach (var field in All)
        {
            if (Find(node, field.Name) is { } found)
            {
                switch (field.Read(spec, found.Value))
                {
                    case Result<RunSpec>.Error error:
                        problems.Add(error.Problem);
                        break;
                    case var read:
                        spec = read.Unwrap();
                        break;
                }
            }
        }

        var putBack = new HashSet<string>(problems.Select(p => p.Column ?? ""));
        while ((Check(spec) ?? checks.Select(check => check(spec)).FirstOrDefault(p => p is not null)) is { } refused)
        {
            // A field refused again after it was put back is refused for the start's value: said once, then no further.
            if (refused.Column is { } again && putBack.Contains(again) && problems.Any(p => p.Column == again))
            {
                break;
            }
            problems.Add(refused);
            if (refused.Column is not { } column || !putBack.Add(column) || All.FirstOrDefault(f => f.Name == column) is not { } field)
            {
                break;
            }
            spec = field.Read(spec, field.Write(start)).Match(s => s, _ => spec);
        }

        // In the table's order (the form's); a field of an object the table does not know goes with the object's first.
        int Place(Problem p) => All.IndexOf(All.FirstOrDefault(f => f.Name == p.Column) ?? All.FirstOrDefault(f => f.Top == (p.Column ?? "").Split('.')[0])!) is var i and >= 0 ? i : All.Length;
        return (spec, [.. problems.OrderBy(Place)]);
    }

    /// <summary>The specification's values as JSON, in the table's shape; <paramref name="requestOnly"/> leaves out what a request may not set.</summary>
    public static JsonObject Write(RunSpec spec, bool requestOnly = false)
    {
        var node = new JsonObject();
        foreach (var field in All.Where(f => f.Requestable || !requestOnly))
        {
            Set(node, field.Name, field.Write(spec));
        }
        return node;
    }

    /// <summary>This table as the dashboard's run form builds from it: the fields a request may set, with <paramref name="defaults"/>' values.</summary>
    public static JsonArray Describe(RunSpec defaults) =>
    [
        .. All.Where(f => f.Requestable).Select(f => (JsonNode)new JsonObject
        {
            ["name"] = f.Name,
            ["label"] = f.Label,
            ["help"] = f.Help,
            ["hint"] = f.Hint,
            ["form"] = f.Form,
            ["choices"] = f.Choices.IsEmpty ? null : new JsonArray([.. f.Choices.Select(c => (JsonNode?)JsonValue.Create(c))]),
            ["flag"] = f.Flag,
            ["default"] = f.Blank ? null : f.Form == "text" ? f.Text(defaults) : f.Write(defaults),
            ["placeholder"] = f.Blank ? $"{f.Text(defaults)}/<run id>" : null,
        }),
    ];

    /// <summary>The first problem of the core's own records' checks, naming the field as the table does.</summary>
    private static Problem? Check(RunSpec spec)
    {
        if (spec.Model.Validate() is Result<ModelConfig>.Error { Problem: var model })
        {
            return model with { Column = model.Column is null ? null : $"model.{model.Column}" };
        }
        if (spec.Campaign.Check() is { } campaign)
        {
            return campaign with { Column = $"campaign.{campaign.Column}" };
        }
        return null;
    }

    private static SettingField<T> Model<T>(string name, string label, string help, SettingKind<T> kind, Func<ModelConfig, T> get, Func<ModelConfig, T, ModelConfig> set) =>
        new($"model.{name}", label, help, kind, s => get(s.Model), (s, v) => s with { Model = set(s.Model, v) }, use: SettingUse.Training);

    private static KeyValuePair<string, JsonNode?>? Find(JsonObject node, string name)
    {
        var parts = name.Split('.');
        var at = node;
        for (var i = 0; i < parts.Length; i++)
        {
            var match = at.FirstOrDefault(p => p.Key.Equals(parts[i], StringComparison.OrdinalIgnoreCase));
            if (match.Key is null)
            {
                return null;
            }
            if (i == parts.Length - 1)
            {
                return match;
            }
            if (match.Value is not JsonObject inner)
            {
                return null;
            }
            at = inner;
        }
        return null;
    }

    private static void Set(JsonObject node, string name, JsonNode? value)
    {
        var parts = name.Split('.');
        var at = node;
        foreach (var part in parts[..^1])
        {
            if (at[part] is not JsonObject inner)
            {
                inner = [];
                at[part] = inner;
            }
            at = inner;
        }
        at[parts[^1]] = value;
    }
}
