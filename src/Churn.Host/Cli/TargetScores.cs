using System.Collections.Immutable;
using Churn.Host.Scores;
using Churn.Numerics;
using Churn.Numerics.Artifacts;
using Churn.Numerics.Data;
using Churn.Numerics.Drift;
using Churn.Numerics.Evaluation;
using Churn.Numerics.Explanation;

namespace Churn.Host.Cli;

/// <summary>
/// <c>churn target</c> over a customer file streamed past it, with memory that does not grow with the file. Pass 1
/// scores the file a chunk at a time and keeps of each customer only its row, ID, probability and outcome, in an
/// external merge sort (<see cref="RankedCustomers"/>: sorted runs of a million customers in a temporary file);
/// drift, the file's SHA-256 and the sum of the probabilities come along. The customer count then makes a top share a
/// count. Merging the runs feeds the customers in rank order to a <see cref="CampaignTally"/>, which decides each
/// contact exactly as a whole-file plan does (ties in file order), and the contact list is written as they come. With
/// reasons, a second pass over the file explains the contacted customers, known by the last one contacted (or by the
/// expected-value rule), before the merge; those reasons are held until written, so that memory grows with the
/// customers contacted, never with the file.
/// </summary>
public static class TargetScores
{
    /// <summary>What a planning sums up: the plan, its curve, the file's drift and SHA-256.</summary>
    public sealed record Planned(CampaignSummary Summary, ImmutableArray<CurvePoint> Curve, DriftReport? Drift, string Sha256);

    /// <summary>
    /// Plans the campaign over <paramref name="input"/> and writes its contact list (every customer, most likely buyer
    /// first, with rank and contact flag, and <paramref name="reasons"/> reasons of the contacted) to
    /// <paramref name="output"/> as <paramref name="format"/>.
    /// </summary>
    public static Result<Planned> Plan(
        ScoringModel model, string input, ContactPolicy policy, CampaignEconomics economics, int reasons, TableFormat format, Stream output,
        int chunkRows = ScoringStream.ChunkRows, int runRows = RankedCustomers.RunRows)
    {
        using var ranked = new RankedCustomers(runRows);
        var allExpected = 0.0;
        var hasTargets = true;
        var tally = model.Artifact.Drift is { } profile && !model.Scaling.ScaledInputs ? new DriftTally(profile) : null;
        var read = ScoringStream.Run(
            input, model.Limits.ForScoring(), model.Scaling.ScaledInputs, model.Score,
            scores =>
            {
                var customers = scores.Customers;
                hasTargets &= customers.HasTargets;
                for (var i = 0; i < customers.Rows; i++)
                {
                    var p = scores.Probabilities[i];
                    ranked.Add(customers.Ids[i], p, customers.HasTargets ? customers.Targets[i] : 0);
                    allExpected += p;
                }
                tally?.Add(customers.Inputs, scores.Raw);
                return ranked.Count > int.MaxValue ? new Problem($"more than {int.MaxValue:N0} customers: split the file", input) : null;
            },
            chunkRows);
        if (read is Result<LoadedData>.Error error)
        {
            return error.Problem;
        }
        var campaign = new CampaignTally((int)ranked.Count, allExpected, policy, economics);
        var why = ImmutableDictionary<long, ImmutableArray<Reason>>.Empty;
        if (reasons > 0)
        {
            var explained = ContactReasons(model, input, Contacted(campaign, ranked), reasons, chunkRows);
            if (explained is Result<ImmutableDictionary<long, ImmutableArray<Reason>>>.Error unexplained)
            {
                return unexplained.Problem;
            }
            why = explained.Unwrap();
        }
        var table = ScoreTableWriter.Create(format, output, ScoreLists.ContactColumns(reasons));
        var rows = new List<(ContactRow Row, ImmutableArray<Reason> Why)>(chunkRows);
        foreach (var customer in ranked.InOrder())
        {
            var row = campaign.Next(customer.Id, customer.Probability, hasTargets ? customer.Target : null);
            rows.Add((row, row.Contact ? why.GetValueOrDefault(customer.Row, []) : []));
            if (rows.Count == chunkRows)
            {
                table.Write(ScoreLists.ContactChunk(rows, reasons));
                rows.Clear();
            }
        }
        table.Write(ScoreLists.ContactChunk(rows, reasons));
        table.Finish();
        var (summary, curve) = campaign.Finish();
        return Result.Ok(new Planned(summary, curve, tally?.Report(), read.Unwrap().Sha256));
    }

    /// <summary>
    /// Whether the customer of a row and probability is contacted: by the expected-value rule, or (a count) when it
    /// ranks at or above the last one contacted, found by merging the runs that far.
    /// </summary>
    private static Func<long, double, bool> Contacted(CampaignTally campaign, RankedCustomers ranked)
    {
        if (campaign.Contacts < 0)
        {
            return (_, p) => campaign.Contacted(0, p);
        }
        if (campaign.Contacts == 0)
        {
            return (_, _) => false;
        }
        var last = ranked.InOrder().ElementAt(campaign.Contacts - 1);
        return (row, p) => p > last.Probability || (p == last.Probability && row <= last.Row);
    }

    /// <summary>
    /// The <paramref name="count"/> strongest reasons of each contacted customer, by row: the file is read a second
    /// time, scored again (the same chunks give the same probabilities) and only the contacted rows are explained.
    /// </summary>
    private static Result<ImmutableDictionary<long, ImmutableArray<Reason>>> ContactReasons(
        ScoringModel model, string input, Func<long, double, bool> contacted, int count, int chunkRows)
    {
        var found = ImmutableDictionary.CreateBuilder<long, ImmutableArray<Reason>>();
        var start = 0L;
        var read = ScoringStream.Run(
            input,
            model.Limits.ForScoring(),
            model.Scaling.ScaledInputs,
            chunk =>
            {
                var first = start;
                start += chunk.Rows;
                var p = model.Score(chunk).Probabilities;
                int[] chosen = [.. Enumerable.Range(0, chunk.Rows).Where(r => contacted(first + r, p[r]))];
                return Explained.TopReasons(model.Artifact, chunk.Inputs, chosen, count, model.BaseRate)
                    .Map(reasons => chosen.Select((r, i) => KeyValuePair.Create(first + r, reasons[i])).ToArray());
            },
            explained =>
            {
                if (explained is Result<KeyValuePair<long, ImmutableArray<Reason>>[]>.Error error)
                {
                    return error.Problem with { File = error.Problem.File ?? Path.Combine(model.Directory, ModelArtifact.ManifestFile) };
                }
                found.AddRange(explained.Unwrap());
                return null;
            },
            chunkRows);
        return read.Map(_ => found.ToImmutable());
    }
}
