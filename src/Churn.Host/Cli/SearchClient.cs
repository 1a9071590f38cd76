using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Churn.Actors.Messages;
using Churn.Host.Search;
using Churn.Numerics;

namespace Churn.Host.Cli;

/// <summary><c>churn search --host URL</c>: submits the search to a running <c>churn host</c> and follows it until it ends.</summary>
public static class SearchClient
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(string host, string? token, SearchSubmission submission, bool json)
    {
        // The space file and the flags were checked here first, so a mistake is reported with this machine's file name
        // and flag; the host then lays the same fields over its own defaults.
        var body = submission.Fields;
        using var http = new HttpClient { BaseAddress = new Uri(host.TrimEnd('/') + "/") };
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
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCtrlC;
        try
        {
            var cancelSent = false;
            var lastEnded = -1;
            while (true)
            {
                if (cancel.IsCancellationRequested && !cancelSent)
                {
                    Console.Error.WriteLine("churn: cancelling the search on the host…");
                    await http.DeleteAsync($"searches/{id}");
                    cancelSent = true;
                }
                var view = await http.GetFromJsonAsync<JsonObject>($"searches/{id}") ?? [];
                var status = view["status"]?.GetValue<string>() ?? "unknown";
                var ended = view["trials"]?["ended"]?.GetValue<int>() ?? 0;
                if (ended != lastEnded)
                {
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {status,-10} {ended}/{view["trials"]?["total"]} trials ended, {view["epochsSpent"]} epochs"));
                    lastEnded = ended;
                }
                switch (status)
                {
                    case "completed" or "cancelled":
                        var summary = view["summary"].Deserialize<SearchSummary>(JsonFormat.Options);
                        if (summary is not null)
                        {
                            SearchCommand.Report(summary, json);
                        }
                        return status == "completed" ? 0 : 130;
                    case "failed":
                        Console.Error.WriteLine($"churn: error: search {id}: {view["reason"]}");
                        return 1;
                }
                await Task.Delay(PollEvery, CancellationToken.None);
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
