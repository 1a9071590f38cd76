using System.Collections.Immutable;

namespace Churn.Numerics.Evaluation;

/// <summary>
/// A campaign planned one customer at a time, most likely buyer first (highest probability, ties in file order): each
/// customer's rank and contact decision, and at the end the summary and the profit curve. What it keeps does not
/// grow with the customers, so a customer base streamed past it in rank order is planned exactly as
/// <see cref="Campaign.Plan"/> plans one held whole (which feeds it the same way). Mutable, but it lives inside one
/// planning.
/// </summary>
public sealed class CampaignTally
{
    private readonly ContactPolicy _policy;
    private readonly CampaignEconomics _economics;
    private readonly int _customers;
    private readonly double _allExpected;
    private readonly int _steps;
    private readonly ImmutableArray<CurvePoint>.Builder _curve;
    private int _rank;
    private int _contacted;
    private double _expectedBuyers;
    private int _buyers;
    private int _buyersContacted;
    private double _running;
    private double _best;
    private bool _targets = true;
    private double _profit;
    private double _reached;
    private CurvePoint _last = new(0, 0, 0);

    /// <param name="customers">How many customers will be fed.</param>
    /// <param name="allExpected">The sum of their probabilities in file order (the buyers expected among them all).</param>
    /// <param name="policy">Whom to contact.</param>
    /// <param name="economics">Cost and value.</param>
    /// <param name="steps">Points of the curve past its start.</param>
    public CampaignTally(int customers, double allExpected, ContactPolicy policy, CampaignEconomics economics, int steps = 100)
    {
        (_customers, _allExpected, _policy, _economics, _steps) = (customers, allExpected, policy, economics, steps);
        Contacts = policy switch
        {
            ContactPolicy.Budget b => Math.Min(b.Customers, customers),
            ContactPolicy.Top t => (int)Math.Round(t.Share * customers, MidpointRounding.AwayFromZero),
            _ => -1,
        };
        _curve = ImmutableArray.CreateBuilder<CurvePoint>(steps + 1);
    }

    /// <summary>How many the policy contacts when it is a count (budget, top share); -1 for the expected-value rule.</summary>
    public int Contacts { get; }

    /// <summary>Whether the customer of <paramref name="rank"/> (1-based) with <paramref name="probability"/> is contacted.</summary>
    public bool Contacted(int rank, double probability) =>
        Contacts < 0 ? (probability * _economics.ConversionValue) - _economics.ContactCost > 0 : rank <= Contacts;

    /// <summary>
    /// The next customer in rank order: its row of the contact list. <paramref name="target"/> is its real outcome, or
    /// null when the file has none (then no realized outcome is reported).
    /// </summary>
    public ContactRow Next(long id, double probability, int? target)
    {
        var rank = ++_rank;
        var value = (probability * _economics.ConversionValue) - _economics.ContactCost;
        var contact = Contacted(rank, probability);
        if (contact)
        {
            _contacted++;
            _expectedBuyers += probability;
        }
        if (target is { } t)
        {
            _buyers += t;
            _buyersContacted += contact ? t : 0;
            _running += (t * _economics.ConversionValue) - _economics.ContactCost;
            _best = Math.Max(_best, _running);
        }
        else
        {
            _targets = false;
        }
        // The curve: after rank k, share k / n contacted; a step takes the last point at or before its share.
        _profit += value;
        _reached += probability;
        var point = new CurvePoint((double)rank / _customers, _profit, _allExpected == 0 ? 0 : _reached / _allExpected);
        while (_curve.Count <= _steps && point.ContactedShare > ((double)_curve.Count / _steps) + 1e-12)
        {
            _curve.Add(_last with { ContactedShare = (double)_curve.Count / _steps });
        }
        _last = point;
        return new ContactRow(id, probability, value, rank, contact);
    }

    /// <summary>The summary and curve once every customer was fed.</summary>
    public (CampaignSummary Summary, ImmutableArray<CurvePoint> Curve) Finish()
    {
        while (_curve.Count <= _steps)
        {
            _curve.Add(_last with { ContactedShare = (double)_curve.Count / _steps });
        }
        double Profit(double buyers, double customers) => (buyers * _economics.ConversionValue) - (customers * _economics.ContactCost);
        var realized = _targets && _customers > 0
            ? new RealizedOutcome(_buyers, _buyersContacted, (_buyersContacted * _economics.ConversionValue) - (_contacted * _economics.ContactCost), _best)
            : null;
        var summary = new CampaignSummary(
            _policy.Describe(_economics),
            _economics.ContactCost,
            _economics.ConversionValue,
            _customers,
            _contacted,
            _expectedBuyers,
            Profit(_expectedBuyers, _contacted),
            _allExpected == 0 ? 0 : _expectedBuyers / _allExpected,
            Profit(_allExpected, _customers),
            _customers == 0 ? 0 : Profit(_allExpected * _contacted / _customers, _contacted),
            realized);
        return (summary, _curve.MoveToImmutable());
    }
}
