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
    /// sums the plan up. <paramref name="targets"/> (empty when the file has none) adds the realized outcome.
    /// </summary>
    public static CampaignPlan Plan(
        ImmutableArray<long> ids, ImmutableArray<double> probabilities, ImmutableArray<int> targets, ContactPolicy policy, CampaignEconomics economics)
    {
        if (ids.Length != probabilities.Length || (!targets.IsDefaultOrEmpty && targets.Length != probabilities.Length))
        {
            throw new ArgumentException("ids, probabilities and targets differ in length");
        }
        var n = probabilities.Length;
        var order = Metrics.DescendingOrder(probabilities);
        var rank = new int[n];
        for (var k = 0; k < n; k++)
        {
            rank[order[k]] = k + 1;
        }
        var contacts = policy switch
        {
            ContactPolicy.Budget b => Math.Min(b.Customers, n),
            ContactPolicy.Top t => (int)Math.Round(t.Share * n, MidpointRounding.AwayFromZero),
            _ => -1,
        };
        var rows = ImmutableArray.CreateBuilder<ContactRow>(n);
        double expectedBuyers = 0, allExpected = 0;
        var contacted = 0;
        for (var i = 0; i < n; i++)
        {
            var p = probabilities[i];
            var value = (p * economics.ConversionValue) - economics.ContactCost;
            var contact = contacts < 0 ? value > 0 : rank[i] <= contacts;
            rows.Add(new ContactRow(ids[i], p, value, rank[i], contact));
            allExpected += p;
            if (contact)
            {
                contacted++;
                expectedBuyers += p;
            }
        }
        RealizedOutcome? realized = null;
        if (!targets.IsDefaultOrEmpty)
        {
            int buyers = 0, buyersContacted = 0;
            double running = 0, best = 0;
            for (var i = 0; i < n; i++)
            {
                buyers += targets[i];
                buyersContacted += rows[i].Contact ? targets[i] : 0;
            }
            foreach (var i in order)
            {
                running += (targets[i] * economics.ConversionValue) - economics.ContactCost;
                best = Math.Max(best, running);
            }
            realized = new RealizedOutcome(buyers, buyersContacted, (buyersContacted * economics.ConversionValue) - (contacted * economics.ContactCost), best);
        }
        double Profit(double buyers, double customers) => (buyers * economics.ConversionValue) - (customers * economics.ContactCost);
        var summary = new CampaignSummary(
            policy.Describe(economics),
            economics.ContactCost,
            economics.ConversionValue,
            n,
            contacted,
            expectedBuyers,
            Profit(expectedBuyers, contacted),
            allExpected == 0 ? 0 : expectedBuyers / allExpected,
            Profit(allExpected, n),
            n == 0 ? 0 : Profit(allExpected * contacted / n, contacted),
            realized);
        var curve = Population.Curve(probabilities, [], default, economics, realized: false);
        return new CampaignPlan(rows.MoveToImmutable(), summary, curve);
    }
}
