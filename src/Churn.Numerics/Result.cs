namespace Churn.Numerics;

/// <summary>
/// What went wrong with the user's input, as a value. <paramref name="File"/>, <paramref name="Line"/> and
/// <paramref name="Column"/> are filled where they are known so the message can point at the exact field.
/// </summary>
public sealed record Problem(string Reason, string? File = null, long? Line = null, string? Column = null)
{
    /// <summary>One line for a human: <c>file:line: column 'name': reason</c>.</summary>
    public override string ToString()
    {
        var where = File is null ? "" : Line is null ? $"{File}: " : $"{File}:{Line}: ";
        var column = Column is null ? "" : $"column '{Column}': ";
        return where + column + Reason;
    }

    /// <summary>
    /// Why <paramref name="path"/> could not be read, in its user's terms: a directory where a file was expected, a
    /// missing file, or the system's reason (e.g. permissions). <paramref name="what"/> names the kind of file.
    /// </summary>
    public static Problem CannotRead(string path, Exception e, string what = "file") =>
        System.IO.Directory.Exists(path) ? new($"is a directory, not a {what}", path)
        : e is FileNotFoundException or DirectoryNotFoundException ? new($"{what} not found", path)
        : new($"cannot read the {what}: {e.Message}", path);

    /// <summary>Opens <paramref name="path"/> for reading; a file that cannot be opened is its <see cref="CannotRead"/> problem.</summary>
    public static Result<FileStream> OpenRead(string path, FileOptions options)
    {
        try
        {
            return new Result<FileStream>.Ok(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, options));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return CannotRead(path, e);
        }
    }
}

/// <summary>The outcome of a core function at the edge of the core: a value or a <see cref="Problem"/>.</summary>
public abstract record Result<T>
{
    private Result() { }

    /// <summary>Success carrying a value.</summary>
    public sealed record Ok(T Value) : Result<T>;

    /// <summary>Failure carrying the reason.</summary>
    public sealed record Error(Problem Problem) : Result<T>;

    public bool IsOk => this is Ok;

    public TOut Match<TOut>(Func<T, TOut> ok, Func<Problem, TOut> error) => this switch
    {
        Ok o => ok(o.Value),
        Error e => error(e.Problem),
        _ => throw new InvalidOperationException("unreachable"),
    };

    public Result<TOut> Map<TOut>(Func<T, TOut> f) => Match<Result<TOut>>(v => new Result<TOut>.Ok(f(v)), p => new Result<TOut>.Error(p));

    public Result<TOut> Bind<TOut>(Func<T, Result<TOut>> f) => Match(f, p => new Result<TOut>.Error(p));

    /// <summary>The value, for callers that have already checked <see cref="IsOk"/>; a bug otherwise.</summary>
    public T Unwrap() => this is Ok o ? o.Value : throw new InvalidOperationException($"no value: {((Error)this).Problem}");

    public static implicit operator Result<T>(Problem problem) => new Error(problem);
}

/// <summary>Constructors that read better at call sites than the nested record names.</summary>
public static class Result
{
    public static Result<T> Ok<T>(T value) => new Result<T>.Ok(value);

    public static Result<T> Fail<T>(Problem problem) => new Result<T>.Error(problem);

    public static Result<T> Fail<T>(string reason, string? file = null, long? line = null, string? column = null) =>
        new Result<T>.Error(new Problem(reason, file, line, column));
}
