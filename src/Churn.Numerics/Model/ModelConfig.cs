using System.Text.Json.Serialization;

namespace Churn.Numerics.Model;

public enum Activation
{
    Relu,
    Tanh,
}

/// <summary>
/// Which network: <see cref="Plain"/> is the original notebook's multilayer perceptron on the standardized inputs;
/// <see cref="Plr"/> puts periodic numerical embeddings in front of the same hidden layers and trains several members
/// at once with a one-cycle schedule (docs/model.md).
/// </summary>
public enum ModelKind
{
    Plain,
    Plr,
}

/// <summary>
/// What the network sees of the prepared (standardized) inputs: <see cref="Standard"/> takes them as they are;
/// <see cref="Quantile"/> maps each to normal scores by its rank among the training rows (<see cref="QuantileInputs"/>),
/// a map fitted when training starts and saved with the model.
/// </summary>
public enum InputTransform
{
    Standard,
    Quantile,
}

/// <summary>
/// How the plain network's learning rate moves: <see cref="Constant"/> is the notebook's (Adam at
/// <see cref="ModelConfig.LearningRate"/>, early stopping with <see cref="ModelConfig.Patience"/>); <see cref="OneCycle"/>
/// rises to <see cref="ModelConfig.PeakLearningRate"/> and falls back over <see cref="ModelConfig.CycleEpochs"/>, the
/// whole schedule run and its best epoch kept. The PLR network always trains with the one-cycle schedule.
/// </summary>
public enum LearningSchedule
{
    Constant,
    OneCycle,
}

/// <summary>Which device the network trains on; <see cref="Auto"/> tries MPS, then CUDA, then CPU.</summary>
public enum DeviceChoice
{
    Auto,
    Mps,
    Cuda,
    Cpu,
}

/// <summary>
/// Architecture and training hyperparameters. The defaults are the original recipe: 3 hidden layers of 50 ReLU
/// units, Adam at 1e-3, batches of 100, up to 100 epochs, early stopping on validation loss with patience 2.
/// <see cref="Kind"/> defaults to the plain network, and PLR's own settings (<see cref="Frequencies"/> to
/// <see cref="PeakLearningRate"/>) to 0, left out of JSON at those values: a model description or search written before
/// kinds existed reads, and writes back, byte for byte as what it is. The shipped configuration carries the settings
/// of <see cref="Plr"/> for <c>--network plr</c>; they are checked only for PLR, and the plain network ignores them, as PLR ignores
/// <see cref="LearningRate"/> and <see cref="Patience"/> (<see cref="MaxEpochs"/> still caps it). The plain network with
/// <see cref="LearningSchedule.OneCycle"/> uses <see cref="CycleEpochs"/> and <see cref="PeakLearningRate"/> instead of
/// <see cref="LearningRate"/> and <see cref="Patience"/>.
/// </summary>
/// <remarks>
/// <see cref="ShuffleEachEpoch"/> reshuffles the training rows before every epoch, as Keras' <c>fit</c> does by default;
/// off, every epoch sees the batches in the same order, as the PyTorch reference does. It is off by default because
/// that gave the lower validation loss on the bundled data (0.328 against 0.335 over 40 seeds): patience 2 stops the
/// noisier shuffled runs after about 10 epochs instead of about 25.
/// </remarks>
public sealed record ModelConfig(
    int Depth = 3,
    int Width = 50,
    Activation Activation = Activation.Relu,
    double LearningRate = 1e-3,
    int BatchSize = 100,
    int MaxEpochs = 100,
    int Patience = 2,
    double MinDelta = 1e-4,
    double Dropout = 0,
    double WeightDecay = 0,
    bool ShuffleEachEpoch = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] ModelKind Kind = ModelKind.Plain,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Frequencies = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] double FrequencyScale = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int EmbeddingSize = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Members = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int CycleEpochs = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] double PeakLearningRate = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int DistilEpochs = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] InputTransform Transform = InputTransform.Standard,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] LearningSchedule Schedule = LearningSchedule.Constant)
{
    public static readonly ModelConfig Default = new();

    /// <summary>The shipped PLR network (config/churn.json's model section): the recipe's layers, batches and min-delta with PLR's own settings.</summary>
    public static readonly ModelConfig Plr = Default with
    {
        Kind = ModelKind.Plr,
        Frequencies = 16,
        FrequencyScale = 0.1,
        EmbeddingSize = 8,
        Members = 4,
        CycleEpochs = 24,
        PeakLearningRate = 3e-3,
        DistilEpochs = 24,
    };

    private const int MaxDepth = 10;
    private const int MaxWidth = 4096;
    private const int MaxMaxEpochs = 10_000;
    private const int MaxFrequencies = 256;
    private const int MaxEmbeddingSize = 256;
    private const int MaxMembers = 32;

    /// <summary>Whether the learning rate follows the one-cycle schedule: always for PLR, for the plain network with <see cref="LearningSchedule.OneCycle"/>.</summary>
    [JsonIgnore]
    public bool UsesOneCycle => Kind == ModelKind.Plr || Schedule == LearningSchedule.OneCycle;

    /// <summary>
    /// Epochs of the network itself: <see cref="MaxEpochs"/>, and with the one-cycle schedule at most the whole
    /// schedule (<see cref="CycleEpochs"/>).
    /// </summary>
    [JsonIgnore]
    public int TeacherEpochs => UsesOneCycle ? Math.Min(MaxEpochs, CycleEpochs) : MaxEpochs;

    /// <summary>
    /// Whether a PLR network's members are distilled into one network after they train (<see cref="DistilEpochs"/> &gt; 0):
    /// that network, trained on the members' mean probabilities, is the model that is calibrated, saved and scored.
    /// </summary>
    [JsonIgnore]
    public bool Distils => Kind == ModelKind.Plr && DistilEpochs > 0;

    /// <summary>
    /// Epochs trained at most: <see cref="TeacherEpochs"/>, then for a distilled PLR network <see cref="DistilEpochs"/>
    /// more (<see cref="MaxEpochs"/> caps each schedule).
    /// </summary>
    [JsonIgnore]
    public int EpochLimit => TeacherEpochs + (Distils ? Math.Min(MaxEpochs, DistilEpochs) : 0);

    /// <summary>
    /// Epochs without improvement that stop training: <see cref="Patience"/> for the plain network; a one-cycle schedule
    /// runs to its end (its learning rate only settles in the last epochs), keeping its best epoch.
    /// </summary>
    [JsonIgnore]
    public int StoppingPatience => UsesOneCycle ? EpochLimit : Patience;

    /// <summary>Members in the model that scores: one when they are distilled, else <see cref="Members"/>.</summary>
    [JsonIgnore]
    public int ScoredMembers => Distils ? 1 : Members;

    /// <summary>
    /// Early stopping for this network from its first epoch. Distillation trains a new network after the members', so
    /// the best loss starts again at its first epoch (<see cref="EarlyStopping.RestartAt"/>): the weights kept are the
    /// distilled network's best.
    /// </summary>
    public EarlyStopping StartStopping() =>
        EarlyStopping.Start(StoppingPatience, MinDelta) with { RestartAt = Distils ? TeacherEpochs + 1 : 0 };

    /// <summary>
    /// The settings the network of <see cref="Kind"/> uses: for the plain network PLR's own are cleared, so that a plain
    /// model's saved configuration names no embedding it does not have (the shipped configuration carries PLR's
    /// settings for <c>--network plr</c>), and the schedule's too unless it trained with the one-cycle schedule. PLR
    /// ignores <see cref="Schedule"/>, so its saved configuration leaves it out.
    /// </summary>
    public ModelConfig Used() => Kind == ModelKind.Plr
        ? this with { Schedule = LearningSchedule.Constant }
        : UsesOneCycle
            ? this with { Frequencies = 0, FrequencyScale = 0, EmbeddingSize = 0, Members = 0, DistilEpochs = 0 }
            : this with { Frequencies = 0, FrequencyScale = 0, EmbeddingSize = 0, Members = 0, CycleEpochs = 0, PeakLearningRate = 0, DistilEpochs = 0 };

    /// <summary>Networks trained and averaged: <see cref="Members"/> for PLR, one for the plain network.</summary>
    [JsonIgnore]
    public int NetworkCount => Kind == ModelKind.Plr ? Members : 1;

    /// <summary>
    /// The configuration itself, or the first field that is out of range and why; <see cref="Problem.Column"/> is the
    /// field's camelCase name as it appears in the configuration file.
    /// </summary>
    public Result<ModelConfig> Validate()
    {
        // Written as "!(inside range)" so that NaN, which fails every comparison, is rejected too.
        Problem? problem =
            !(Depth is >= 1 and <= MaxDepth) ? Out("depth", $"must be between 1 and {MaxDepth} hidden layers, got {Depth}")
            : !(Width is >= 1 and <= MaxWidth) ? Out("width", $"must be between 1 and {MaxWidth} units, got {Width}")
            : !Enum.IsDefined(Activation) ? Out("activation", $"must be relu or tanh, got {(int)Activation}")
            : !(LearningRate > 0 && LearningRate <= 1) ? Out("learningRate", $"must be in (0, 1], got {Show(LearningRate)}")
            : !(BatchSize >= 1) ? Out("batchSize", $"must be at least 1, got {BatchSize}")
            : !(MaxEpochs is >= 1 and <= MaxMaxEpochs) ? Out("maxEpochs", $"must be between 1 and {MaxMaxEpochs}, got {MaxEpochs}")
            : !(Patience >= 1) ? Out("patience", $"must be at least 1 epoch, got {Patience}")
            : !(MinDelta >= 0 && double.IsFinite(MinDelta)) ? Out("minDelta", $"must be 0 or more, got {Show(MinDelta)}")
            : !(Dropout >= 0 && Dropout < 1) ? Out("dropout", $"must be in [0, 1), got {Show(Dropout)}")
            : !(WeightDecay >= 0 && double.IsFinite(WeightDecay)) ? Out("weightDecay", $"must be 0 or more, got {Show(WeightDecay)}")
            : !Enum.IsDefined(Kind) ? Out("kind", $"must be plr or plain, got {(int)Kind}")
            : !Enum.IsDefined(Transform) ? Out("transform", $"must be standard or quantile, got {(int)Transform}")
            : !Enum.IsDefined(Schedule) ? Out("schedule", $"must be constant or oneCycle, got {(int)Schedule}")
            : !UsesOneCycle ? null
            : !(CycleEpochs is >= 1 and <= MaxMaxEpochs) ? Out("cycleEpochs", $"must be between 1 and {MaxMaxEpochs}, got {CycleEpochs}")
            : !(PeakLearningRate > 0 && PeakLearningRate <= 1) ? Out("peakLearningRate", $"must be in (0, 1], got {Show(PeakLearningRate)}")
            : Kind != ModelKind.Plr ? null
            : !(Frequencies is >= 1 and <= MaxFrequencies) ? Out("frequencies", $"must be between 1 and {MaxFrequencies}, got {Frequencies}")
            : !(FrequencyScale > 0 && FrequencyScale <= 100) ? Out("frequencyScale", $"must be in (0, 100], got {Show(FrequencyScale)}")
            : !(EmbeddingSize is >= 1 and <= MaxEmbeddingSize) ? Out("embeddingSize", $"must be between 1 and {MaxEmbeddingSize}, got {EmbeddingSize}")
            : !(Members is >= 1 and <= MaxMembers) ? Out("members", $"must be between 1 and {MaxMembers}, got {Members}")
            : !(DistilEpochs is >= 0 and <= MaxMaxEpochs) ? Out("distilEpochs", $"must be between 0 (no distillation) and {MaxMaxEpochs}, got {DistilEpochs}")
            : null;
        return problem is null ? Result.Ok(this) : Result.Fail<ModelConfig>(problem);
    }

    private static Problem Out(string column, string reason) => new(reason, Column: column);

    private static string Show(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
