using System.Collections.Immutable;

namespace Churn.Numerics.Evaluation;

/// <summary>Whom a campaign contacts.</summary>
public abstract record ContactPolicy
{
    private ContactPolicy() { }

    /// <summary>Exactly the customers whose expected value (p · value) exceeds the contact cost.</summary>
    public sealed record ByExpectedValue : ContactPolicy;

    /// <summary>The <paramref name="Customers"/> most likely buyers (all of them when fewer).</summary>
    public sealed record Budget(int Customers) : ContactPolicy;

    /// <summary>The top <paramref name="Share"/> (0..1) of customers by probability, rounded to whole customers.</summary>
    public sealed record Top(double Share) : ContactPolicy;

    public static readonly ContactPolicy ExpectedValue = new ByExpectedValue();

    /// <summary>How the summary names the policy.</summary>
    public string Describe(CampaignEconomics economics) => this switch
    {
        ByExpectedValue => $"contact where p x {economics.ConversionValue:G} > {economics.ContactCost:G} (p > {economics.Threshold:G4})",
        Budget b => $"contact the {b.Customers:N0} most likely buyers",
        Top t => $"contact the top {t.Share * 100:G4} %",
        _ => throw new InvalidOperationException("unknown policy"),
    };
}

/// <summary>One customer of the contact list: rank 1 is the most likely buyer.</summary>
public sealed record ContactRow(long CustomerId, double Probability, double ExpectedValue, int Rank, bool Contact);

/// <summary>What the customers' real outcomes say of the plan, when the file holds them (a back-test).</summary>
public sealed record RealizedOutcome(int Buyers, int BuyersContacted, double Profit, double BestCutoffProfit);

/// <summary>
/// The plan in numbers: customers contacted, the buyers expected among them, the expected profit and the share of
/// all expected buyers reached, against contacting everyone and contacting the same number at random.
/// </summary>
public sealed record CampaignSummary(
    string Policy,
    double ContactCost,
    double ConversionValue,
    int Customers,
    int Contacted,
    double ExpectedBuyers,
    double ExpectedProfit,
    double ExpectedBuyersReachedShare,
    double EveryoneExpectedProfit,
    double RandomExpectedProfit,
    RealizedOutcome? Realized);

/// <summary>The contact list (in the input's order), its summary and the profit curve the chart draws.</summary>
public sealed record CampaignPlan(ImmutableArray<ContactRow> Rows, CampaignSummary Summary, ImmutableArray<CurvePoint> Curve);

/// <summary>Plans a campaign from calibrated probabilities.</summary>
public static class Campaign
{
    /// <summary>
    /// Ranks the customers by probability (ties keep input order), marks whom <paramref name="policy"/> contacts and
    /// sums the plan up, feeding them to a <see cref="CampaignTally"/> in rank order as a streamed file is. <paramref name="targets"/> (empty when the file has none) adds the realized outcome.
    /// </summary>
    public static CampaignPlan Plan(
        ImmutableArray<long> ids, ImmutableArray<double> probabilities, ImmutableArray<int> targets, ContactPolicy policy, CampaignEconomics economics)
    {
        if (ids.Length != probabilities.Length || (!targets.IsDefaultOrEmpty && targets.Length != probabilities.Length))
        {
            throw new ArgumentException("ids, probabilities and targets differ in length");
        }
        var n = probabilities.Length;
        var allExpected = 0.0;
        foreach (var p in probabilities)
        {
            allExpected += p;
        }
        var tally = new CampaignTally(n, allExpected, policy, economics);
        var rows = new ContactRow[n];
        foreach (var i in Metrics.DescendingOrder(probabilities))
        {
            rows[i] = tally.Next(ids[i], probabilities[i], targets.IsDefaultOrEmpty ? null : targets[i]);
        }
        var (summary, curve) = tally.Finish();
        return new CampaignPlan(System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(rows), summary, curve);
    }
}
