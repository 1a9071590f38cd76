using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Churn.Actors.Cluster;
using Churn.Tests.Cli;

namespace Churn.Tests.Host;

/// <summary>
/// The cluster port with TLS: a host and a worker holding the cluster's certificate (self-signed, made here) train a
/// search together; a worker with another certificate and one without any are refused and never become members.
/// </summary>
public class ClusterTlsTests
{
    private const string Password = "cluster-test-password";

    private const string Space = """
        {
          "trials": 2, "seeds": 1, "maxEpochs": 2,
          "space": { "depth": [1], "width": [16, 32], "batchSize": [128], "patience": [30], "dropout": [0], "weightDecay": [0], "kind": ["plain"], "transform": ["standard"] }
        }
        """;

    /// <summary>A self-signed certificate with its private key, as a PKCS#12 file under <paramref name="password"/>.</summary>
    private static string Certificate(string directory, string name, string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(directory, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }

    private static string Config(string directory, string name, string logs, string? certificate, int? trialSlots = null)
    {
        var host = new JsonObject { ["clusterCertificate"] = certificate };
        if (trialSlots is { } slots)
        {
            host["trialSlots"] = slots;
        }
        File.WriteAllText(Path.Combine(directory, name), new JsonObject { ["host"] = host, ["logs"] = Path.Combine(directory, logs) }.ToJsonString());
        return name;
    }

    private static string Logs(string directory) =>
        string.Join("\n", Directory.Exists(directory) ? Directory.GetFiles(directory, "*.jsonl").Select(File.ReadAllText) : []);

    [Fact]
    public async Task Nodes_with_the_cluster_certificate_train_over_tls_and_others_are_refused()
    {
        var dir = TestPaths.NewTempDirectory();
        var cluster = Certificate(dir, "cluster", Password);
        var stranger = Certificate(dir, "stranger", Password);
        var secret = new Dictionary<string, string> { [ClusterNode.CertificatePasswordVariable] = Password };
        var clusterPort = HostProcess.FreePort();

        await using var host = await HostProcess.StartAsync(dir, Path.Combine(dir, "runs.db"), secret, Config(dir, "host.json", "logs", cluster, trialSlots: 0),
            "--cluster-port", clusterPort.ToString(CultureInfo.InvariantCulture));
        using var member = new WorkerProcess(dir, clusterPort, Config(dir, "member.json", "member-logs", cluster), secret);
        using var impostor = new WorkerProcess(dir, clusterPort, Config(dir, "impostor.json", "impostor-logs", stranger), secret);
        using var plain = new WorkerProcess(dir, clusterPort, Config(dir, "plain.json", "plain-logs", null));
        await WorkerProcess.Until(host, "cluster", c => c["nodes"]!.AsArray().Count == 1, "the worker with the certificate did not join", member, impostor, plain);

        // A search trains on the worker over TLS: the splits, the trials and their results cross the encrypted port.
        var body = JsonNode.Parse(Space)!.AsObject();
        body["data"] = TestPaths.BundledData;
        body["out"] = Path.Combine(dir, "search");
        body["seed"] = 3;
        using var response = await host.Http.PostAsync("searches", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["id"]!.GetValue<string>();
        var search = await WorkerProcess.Until(host, $"searches/{id}", s => s["status"]!.GetValue<string>() != "running", "the search did not end", member, impostor, plain);
        Assert.Equal("completed", search["status"]!.GetValue<string>());
        Assert.All(search["trialNodes"]!.AsArray(), t => Assert.Equal(member.Name, t!["node"]!.GetValue<string>()));
        Assert.Contains($"akka.ssl.tcp://{member.Name}/user/trial-node/", Logs(Path.Combine(dir, "logs")), StringComparison.Ordinal);

        // The refusals are logged where the handshake failed: the impostor's certificate is not the cluster's.
        await WorkerProcess.Until(host, "cluster", _ => (Logs(Path.Combine(dir, "logs")) + Logs(Path.Combine(dir, "impostor-logs")) + impostor.Output).Contains("did not present the cluster certificate", StringComparison.Ordinal),
            "no refusal of the impostor was logged", member, impostor, plain);
        var view = await host.GetAsync("cluster");
        var members = view["members"]!.AsArray().Select(m => m!["address"]!.GetValue<string>()).ToList();
        Assert.Equal(2, members.Count);
        Assert.Contains(member.Name, members);
        Assert.DoesNotContain(impostor.Name, members);
        Assert.DoesNotContain(plain.Name, members);
        Assert.False(impostor.Output.Contains("is up", StringComparison.Ordinal), impostor.Output);
        Assert.False(plain.Output.Contains("is up", StringComparison.Ordinal), plain.Output);
    }

    [Fact]
    public async Task A_certificate_that_cannot_be_read_is_a_clear_error()
    {
        var dir = TestPaths.NewTempDirectory();
        var cluster = Certificate(dir, "cluster", Password);
        File.WriteAllText(Path.Combine(dir, "worker.json"), new JsonObject { ["host"] = new JsonObject { ["clusterCertificate"] = cluster } }.ToJsonString());

        var result = await ChurnProcess.RunAsync(dir, "worker", "--join", "127.0.0.1:4053", "--config", "worker.json");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot read the cluster certificate", result.Stderr);
        Assert.Contains(ClusterNode.CertificatePasswordVariable, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }
}
