using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Actors.Messages;
using Churn.Host.Api;
using Churn.Host.Search;
using Churn.Numerics;

namespace Churn.Host.Cli;

/// <summary>
/// <c>churn search --host URL</c>: submits the search to a running <c>churn host</c> and follows its event stream until
/// it ends, with the same live table (or plain lines) and the same report as a search run here.
/// </summary>
public static class SearchClient
{
    /// <summary>How the search ended, from the <c>finished</c> event's view of it; null when the view says no end.</summary>
    public static ISearchEvent? Outcome(string id, JsonObject? view)
    {
        var status = view?["status"]?.GetValue<string>();
        var summary = view?["summary"]?.Deserialize<SearchSummary>(JsonFormat.Options);
        return status switch
        {
            "completed" when summary is not null => new SearchCompleted(id, summary),
            "cancelled" when summary is not null => new SearchCancelled(id, summary),
            "failed" => new SearchFailed(id, view?["reason"]?.GetValue<string>() ?? "no reason given"),
            _ => null,
        };
    }

    public static async Task<int> RunAsync(string host, string? token, SearchSubmission submission, bool json)
    {
        // The space file and the flags were checked here first, so a mistake is reported with this machine's file name
        // and flag; the host then lays the same fields over its own defaults.
        var body = submission.Fields;
        using var http = new HttpClient { BaseAddress = new Uri(host.TrimEnd('/') + "/"), Timeout = Timeout.InfiniteTimeSpan };
        if ((token ?? Environment.GetEnvironmentVariable(RemoteRun.TokenVariable)) is { Length: > 0 } bearer)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }
        HttpResponseMessage posted;
        try
        {
            posted = await http.PostAsJsonAsync("searches", body);
        }
        catch (HttpRequestException ex)
        {
            return ChurnCli.Fail(new Problem($"cannot reach the host: {ex.Message}", host));
        }
        var answer = await posted.Content.ReadFromJsonAsync<JsonObject>() ?? [];
        if (!posted.IsSuccessStatusCode)
        {
            return ChurnCli.Fail(new Problem($"the host refused the search ({(int)posted.StatusCode}): {answer["detail"] ?? answer.ToJsonString()}", host));
        }
        var id = answer["id"]!.GetValue<string>();
        Console.Error.WriteLine($"churn search: {id} submitted to {host}; Ctrl-C cancels it there");

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCtrlC = (_, e) =>
        {
            e.Cancel = true;
            if (!cancel.IsCancellationRequested)
            {
                cancel.Cancel();
                Console.Error.WriteLine("churn: cancelling the search on the host…");
                _ = http.DeleteAsync($"searches/{id}");
            }
        };
        Console.CancelKeyPress += onCtrlC;
        try
        {
            using var response = await http.GetAsync($"searches/{id}/events", HttpCompletionOption.ResponseHeadersRead);
            if (!response.IsSuccessStatusCode)
            {
                return ChurnCli.Fail(new Problem($"the host refused to stream search {id} ({(int)response.StatusCode}): {await response.Content.ReadAsStringAsync()}", host));
            }
            await using var stream = await response.Content.ReadAsStreamAsync();
            await using var frames = RunEventStream.Read(stream, CancellationToken.None).GetAsyncEnumerator();
            if (!await frames.MoveNextAsync() || frames.Current.Name != SearchEventStream.Header || SearchEventStream.ReadHeader(frames.Current.Data) is not { } header)
            {
                return ChurnCli.Fail(new Problem($"the host's event stream for search {id} did not begin with what the search is", host));
            }
            JsonObject? finished = null;
            async IAsyncEnumerable<ISearchEvent> Events()
            {
                while (await frames.MoveNextAsync())
                {
                    var (name, data) = frames.Current;
                    if (name == SearchEventStream.Finished)
                    {
                        finished = SearchEventStream.ReadFinished(data);
                        if (Outcome(id, finished) is { } outcome)
                        {
                            yield return outcome;
                        }
                        yield break;
                    }
                    if (SearchEventStream.Decode(name, data) is { } e)
                    {
                        yield return e;
                    }
                }
            }

            var live = LiveProgress.Wanted(json) ? SearchLiveView.Start(header.Trials, header.Parallel, header.Criterion) : null;
            switch (await SearchCommand.FollowAsync(Events(), id, header.Seeds, header.Trials, 0, live, header.Criterion))
            {
                case SearchCompleted c:
                    SearchCommand.Report(c.Summary, json, finished?["summary"]);
                    return 0;
                case SearchCancelled c:
                    SearchCommand.Report(c.Summary, json, finished?["summary"]);
                    Console.Error.WriteLine($"churn: search {id} cancelled on the host; POST /searches/{id}/resume continues it there");
                    return 130;
                case SearchFailed f:
                    Console.Error.WriteLine($"churn: error: search {id}: {Logging.ConsoleText.Printable(f.Reason)}");
                    return 1;
                default:
                    return ChurnCli.Fail(new Problem($"the host's event stream ended before search {id} did (did the host stop?)", host));
            }
        }
        catch (HttpRequestException ex)
        {
            return ChurnCli.Fail(new Problem($"lost the host: {ex.Message}", host));
        }
        finally
        {
            Console.CancelKeyPress -= onCtrlC;
        }
    }
}
