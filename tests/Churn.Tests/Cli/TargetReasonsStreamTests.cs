using Churn.Host.Cli;
using Churn.Host.Scores;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Evaluation;
using Churn.Tests.Explanation;

namespace Churn.Tests.Cli;

/// <summary>
/// <c>churn target --reasons</c> over a streamed file: the second pass explains exactly the customers the streamed plan
/// contacts, ties at the cut included, with the reasons the whole file explained at once gives them.
/// </summary>
[Collection(Churn.Tests.Model.TorchCollection.Name)]
public sealed class TargetReasonsStreamTests(ExplainFixture fixture) : IClassFixture<ExplainFixture>
{
    [Fact]
    public void Streamed_reasons_are_those_of_the_whole_file_for_exactly_the_contacted_customers()
    {
        var model = ModelArtifact.Load(fixture.Model).Unwrap();
        var file = TargetStreamTests.RandomFile(1_500, 7, withTargets: false);
        var whole = CustomerCsv.Load(file, TargetPolicy.Optional).Unwrap().Data;
        var scores = model.Score(whole).Unwrap();
        var policy = TargetStreamTests.Policy("budget 25", scores.Probabilities);
        var economics = new CampaignEconomics(2, 10);
        var plan = Campaign.Plan(whole.Ids, scores.Probabilities, [], policy, economics);
        var why = CustomerScoring.ContactReasons(model, fixture.Model, InputScaling.ModelsOwn, scores, plan, 2, null).Unwrap();

        using var written = new MemoryStream();
        var scoring = new ScoringModel(new ModelReference.Resolved(fixture.Model, null, ""), model, InputScaling.ModelsOwn, null, DataLimits.Default);
        TargetScores.Plan(scoring, file, policy, economics, 2, TableFormat.Csv, written, chunkRows: 100, runRows: 400).Unwrap();

        var text = System.Text.Encoding.UTF8.GetString(written.ToArray());
        Assert.Equal(System.Text.Encoding.UTF8.GetString(ScoreLists.ContactList(plan, why, 2)), text);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(plan.Summary.Contacted, lines.Count(f => f[4] == "1" && f[5].Length > 0));
        Assert.All(lines.Where(f => f[4] == "0"), f => Assert.Equal("", f[5]));
    }
}
