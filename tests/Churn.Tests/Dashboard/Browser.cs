using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Churn.Tests.Dashboard;

/// <summary>
/// Debian's Chromium, headless, driven by Selenium WebDriver through Debian's chromedriver (./test installs both):
/// nothing is downloaded. Screenshots go to <c>screenshots/</c> in the test output folder.
/// </summary>
public sealed class Browser : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private const string DriverFolder = "/usr/bin";

    private Browser(ChromeDriver driver, string downloads)
    {
        Driver = driver;
        Downloads = downloads;
    }

    public ChromeDriver Driver { get; }

    /// <summary>Where the browser saves what the page downloads.</summary>
    public string Downloads { get; }

    public static string Screenshots => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public static Browser Start()
    {
        Assert.True(File.Exists(Chromium) && File.Exists(Path.Combine(DriverFolder, "chromedriver")),
            "the browser tests need Debian's chromium and chromium-driver (./test installs them: apt-get install chromium chromium-driver)");

        // Selenium Manager would otherwise look for drivers on the internet.
        Environment.SetEnvironmentVariable("SE_OFFLINE", "true");
        Environment.SetEnvironmentVariable("SE_AVOID_STATS", "true");
        var downloads = TestPaths.NewTempDirectory();
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps");
        options.AddUserProfilePreference("download.default_directory", downloads);
        options.AddUserProfilePreference("download.prompt_for_download", false);
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        options.SetLoggingPreference("performance", LogLevel.All);
        var service = ChromeDriverService.CreateDefaultService(DriverFolder, "chromedriver");
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(90));
        driver.ExecuteCdpCommand("Browser.setDownloadBehavior", new Dictionary<string, object?> { ["behavior"] = "allow", ["downloadPath"] = downloads });
        driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(30);
        Directory.CreateDirectory(Screenshots);
        return new Browser(driver, downloads);
    }

    /// <summary>Waits up to <paramref name="seconds"/> for <paramref name="condition"/>, failing with <paramref name="what"/> and the page's text.</summary>
    public T Wait<T>(Func<IWebDriver, T> condition, string what, int seconds = 30)
    {
        var wait = new WebDriverWait(Driver, TimeSpan.FromSeconds(seconds)) { PollingInterval = TimeSpan.FromMilliseconds(200) };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        try
        {
            return wait.Until(condition);
        }
        catch (WebDriverTimeoutException)
        {
            Screenshot($"timeout-{DateTime.UtcNow:HHmmss}");
            var text = Driver.FindElement(By.TagName("body")).Text;
            Assert.Fail($"waited {seconds} s for {what}; the page shows:\n{text[..Math.Min(text.Length, 3000)]}");
            throw;
        }
    }

    public IWebElement Find(string css) => Driver.FindElement(By.CssSelector(css));

    public IReadOnlyCollection<IWebElement> FindAll(string css) => Driver.FindElements(By.CssSelector(css));

    /// <summary>The whole page (up to 4000 pixels high) as <c>screenshots/NAME.png</c>.</summary>
    public void Screenshot(string name)
    {
        var window = Driver.Manage().Window;
        var size = window.Size;
        var height = Convert.ToInt32(Driver.ExecuteScript("return document.documentElement.scrollHeight;"), System.Globalization.CultureInfo.InvariantCulture);
        window.Size = new System.Drawing.Size(size.Width, Math.Clamp(height + 140, size.Height, 4000));
        Driver.GetScreenshot().SaveAsFile(Path.Combine(Screenshots, $"{name}.png"));

        // A half-size copy of the top of the page, small enough to keep in the repository (docs/screenshots).
        Driver.ExecuteScript("window.scrollTo(0, 0);");
        var shot = Driver.ExecuteCdpCommand("Page.captureScreenshot", new Dictionary<string, object?>
        {
            ["format"] = "png",
            ["clip"] = new Dictionary<string, object?> { ["x"] = 0, ["y"] = 0, ["width"] = size.Width, ["height"] = Math.Min(height, 1400), ["scale"] = 0.5 },
        });
        var data = System.Text.Json.JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize(shot)).RootElement.GetProperty("data").GetString()!;
        File.WriteAllBytes(Path.Combine(Screenshots, $"{name}-small.png"), Convert.FromBase64String(data));
        window.Size = size;
    }

    /// <summary>The browser console's errors since the last call (the log is drained as it is read).</summary>
    public IReadOnlyList<string> ConsoleErrors() =>
        [.. Driver.Manage().Logs.GetLog(LogType.Browser).Where(e => e.Level >= LogLevel.Severe).Select(e => e.Message)];

    /// <summary>Every URL the page has loaded or fetched so far.</summary>
    public IReadOnlyList<string> RequestedUrls() =>
        [.. ((IEnumerable<object>)Driver.ExecuteScript("return performance.getEntriesByType('resource').map(e => e.name).concat([location.href]);")!).Select(o => o.ToString()!)];

    /// <summary>
    /// The requests the page has sent since the last call (the performance log is drained as it is read), with the
    /// headers the page gave them: what left the browser, as Chromium's network layer saw it.
    /// </summary>
    public IReadOnlyList<(string Url, IReadOnlyDictionary<string, string> Headers)> SentRequests()
    {
        var sent = new List<(string, IReadOnlyDictionary<string, string>)>();
        foreach (var entry in Driver.Manage().Logs.GetLog("performance"))
        {
            var message = System.Text.Json.Nodes.JsonNode.Parse(entry.Message)?["message"];
            if (message?["method"]?.GetValue<string>() != "Network.requestWillBeSent" || message["params"]?["request"] is not { } request)
            {
                continue;
            }
            var headers = (request["headers"]?.AsObject() ?? []).ToDictionary(h => h.Key, h => h.Value?.ToString() ?? "", StringComparer.OrdinalIgnoreCase);
            sent.Add((request["url"]!.GetValue<string>(), headers));
        }
        return sent;
    }

    /// <summary>Whether the image has been loaded and drawn with some size.</summary>
    public bool Drawn(string css) =>
        Driver.ExecuteScript($"const i = document.querySelector({System.Text.Json.JsonSerializer.Serialize(css)}); return !!i && i.complete && i.naturalWidth > 0 && i.src.startsWith('blob:');") is true;

    public void Dispose() => Driver.Quit();
}
