using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Actors.Messages;
using Churn.Host.Api;
using Churn.Host.Configuration;
using Churn.Host.Store;
using Churn.Numerics;
using Churn.Numerics.Data;
using Churn.Numerics.Files;
using Churn.Numerics.Model;

namespace Churn.Host.Cli;

/// <summary>
/// <c>churn run --host URL</c>: sends the run to a host, follows its event stream with the same progress lines as an
/// embedded run, then prints the same summary and exits with the same code. Ctrl-C cancels the run on the host.
/// </summary>
public static class RemoteRun
{
    public const string TokenVariable = "CHURN_API_TOKEN";

    /// <summary>The request as the host should see it: paths that exist here are sent in full, so a host on this machine finds them.</summary>
    public static RunRequest ForHost(RunRequest request)
    {
        foreach (var name in new[] { "data", "out" })
        {
            if (request.Fields[name] is JsonValue value && value.TryGetValue<string>(out var path)
                && (File.Exists(path) || Directory.Exists(path) || name == "out"))
            {
                request = request.With(name, Path.GetFullPath(path));
            }
        }

        return request;
    }

    /// <summary>
    /// Sends the run and follows it; with <paramref name="live"/> (the model as resolved here, in case the host does
    /// not say its own) the progress is the live bar of a run on this terminal, otherwise plain lines.
    /// </summary>
    public static async Task<int> ExecuteAsync(string host, string? token, RunRequest request, bool json, ModelConfig? live = null)
    {
        using var client = new HttpClient { BaseAddress = new Uri(host.EndsWith('/') ? host : host + "/"), Timeout = Timeout.InfiniteTimeSpan };
        if (token is { Length: > 0 })
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        RunSubmitted submitted;
        try
        {
            using var posted = await client.PostAsync("runs", new StringContent(request.ToJson(), Encoding.UTF8, "application/json"));
            if (posted.StatusCode != HttpStatusCode.Accepted)
            {
                return ChurnCli.Fail(new Problem(await ProblemText(posted)));
            }

            submitted = (await posted.Content.ReadFromJsonAsync<RunSubmitted>(JsonFormat.Options))!;
        }
        catch (HttpRequestException ex)
        {
            return ChurnCli.Fail(new Problem($"cannot reach the host at {client.BaseAddress}: {ex.Message}"));
        }

        Console.Error.WriteLine(submitted.Position == 0
            ? $"churn run: run {submitted.Id} started on {client.BaseAddress}"
            : $"churn run: run {submitted.Id} queued on {client.BaseAddress} at position {submitted.Position}");

        using var cancelled = new CancellationTokenSource();
        ConsoleCancelEventHandler onCtrlC = (_, e) =>
        {
            if (cancelled.IsCancellationRequested)
            {
                return;
            }

            e.Cancel = true;
            cancelled.Cancel();
            Console.Error.WriteLine("churn: cancelling…");
            _ = client.DeleteAsync($"runs/{submitted.Id}");
        };
        Console.CancelKeyPress += onCtrlC;
        try
        {
            var finished = live is null
                ? await FollowAsync(client, submitted.Id, ConsoleOutput.Progress)
                : await LiveProgress.RunAsync(LiveProgress.Stderr(), await HostModelAsync(client, submitted.Id) ?? live, show => FollowAsync(client, submitted.Id, show));
            return finished is null
                ? ChurnCli.Fail(new Problem($"the host's event stream ended before run {submitted.Id} finished (did the host stop?)"))
                : Report(finished, json);
        }
        catch (HttpRequestException ex)
        {
            return ChurnCli.Fail(new Problem($"lost the host at {client.BaseAddress} while following run {submitted.Id}: {ex.Message}"));
        }
        finally
        {
            Console.CancelKeyPress -= onCtrlC;
        }
    }

    /// <summary>The model the host resolved for the run (its defaults may differ from this machine's); null when it does not say.</summary>
    private static async Task<ModelConfig?> HostModelAsync(HttpClient client, string runId)
    {
        try
        {
            var run = await client.GetFromJsonAsync<JsonObject>($"runs/{runId}");
            return run?["config"]?["model"]?.Deserialize<ModelConfig>(JsonFormat.Options);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Shows progress as the events come; returns the run as the <c>finished</c> event has it.</summary>
    private static async Task<RunView?> FollowAsync(HttpClient client, string runId, Action<IRunEvent> show)
    {
        using var response = await client.GetAsync($"runs/{runId}/events", HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(await ProblemText(response));
        }

        await using var stream = await response.Content.ReadAsStreamAsync();
        await foreach (var (name, data) in RunEventStream.Read(stream, CancellationToken.None))
        {
            if (name == RunEventStream.Finished)
            {
                return JsonSerializer.Deserialize<RunView>(data, RunEventStream.Json);
            }

            if (RunEventStream.Decode(name, data) is { } e)
            {
                show(e);
            }
        }

        return null;
    }

    /// <summary>The summary and exit code of a finished run, as an embedded run would give them.</summary>
    private static int Report(RunView run, bool json)
    {
        switch (run.Status)
        {
            case RunStatus.Succeeded when run.Mode == "prepare" && run.Manifest is not null:
                ConsoleOutput.PrepareSummary(run.Manifest.Deserialize<PrepareManifest>(JsonFormat.Options)!, run.Artifacts);
                return 0;
            case RunStatus.Succeeded when json:
                StandardOutput.Writer.WriteLine(run.Metrics?.ToJsonString() ?? "{}");
                return 0;
            case RunStatus.Succeeded:
                ConsoleOutput.TrainingSummary(
                    run.Manifest?.Deserialize<PrepareManifest>(JsonFormat.Options),
                    run.Metrics?.Deserialize<RunMetrics>(JsonFormat.Options),
                    run.Artifacts);
                return 0;
            case RunStatus.Cancelled:
                var why = run.Error is null ? "" : $" ({run.Error})";
                Console.Error.WriteLine($"churn: cancelled during {run.Stage}{why}; files written before that stage are intact");
                return 130;
            case RunStatus.Failed:
                Console.Error.WriteLine($"churn: error: stage {run.Stage}: {run.Error}");
                return 1;
            default:
                Console.Error.WriteLine($"churn: error: run {run.Id} ended {run.Status}: {run.Error}");
                return 1;
        }
    }

    /// <summary>The detail of a problem-details reply, or the status line when there is none.</summary>
    private static async Task<string> ProblemText(HttpResponseMessage response)
    {
        var status = string.Create(CultureInfo.InvariantCulture, $"{(int)response.StatusCode} {response.ReasonPhrase}");
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            return $"the host refused the request ({status}): give its API token with --token or {TokenVariable}";
        }

        try
        {
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync());
            return problem?["detail"]?.GetValue<string>() is { } detail ? $"the host refused the run ({status}): {detail}" : $"the host answered {status}";
        }
        catch (JsonException)
        {
            return $"the host answered {status}";
        }
    }
}
