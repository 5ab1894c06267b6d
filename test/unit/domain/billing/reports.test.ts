import { insightsReport, monthsEnding, overviewReport, percentOf } from '../../../../domain/billing/reports';
import { mrrOn, monthlyMinor, yearlyMinor } from '../../../../domain/billing/mrr';
import { AS_OF, PLANS, SUBSCRIPTIONS } from '../../../fixtures/billing-dataset';

/*
 * The subscription reports (S7.2) on the hand-checked dataset of test/fixtures/billing-dataset.ts (S1 … S10
 * below are its subscriptions). Every expected figure is worked out by hand in the comment beside it.
 */

const input = { subscriptions: SUBSCRIPTIONS, plans: PLANS, asOf: AS_OF };

describe('MRR arithmetic', () => {
  it.each([
    // [amount minor, months per interval, MRR, ARR]
    [1000, 1, 1000, 12000], // 10.00 a month: 10.00 MRR, 120.00 ARR
    [24000, 12, 2000, 24000], // 240.00 a year: 20.00 MRR, ARR the price itself
    [10000, 12, 833, 10000], // 100.00 / 12 = 8.333… → 8.33 (half up); ARR 100.00, not 12 × 8.33 = 99.96
    [1000, 3, 333, 4000], // 10.00 a quarter: 3.333… → 3.33; 10.00 × 4 = 40.00
    [2000, 3, 667, 8000], // 20.00 a quarter: 6.666… → 6.67
  ])('%i minor every %i month(s): MRR %i, ARR %i', (amount, months, mrr, arr) => {
    expect(monthlyMinor(amount, months)).toBe(mrr);
    expect(yearlyMinor(amount, months)).toBe(arr);
  });

  it('a subscription pays from its activation up to, not including, its cancellation day', () => {
    const s4 = SUBSCRIPTIONS[3]!; // Basic 10.00, 2025-07-05 … cancelled 2026-04-15
    expect([
      mrrOn(s4, '2025-07-04'),
      mrrOn(s4, '2025-07-05'),
      mrrOn(s4, '2026-04-14'),
      mrrOn(s4, '2026-04-15'),
    ]).toEqual([0, 1000, 1000, 0]);
  });

  it('a plan change applies from its day, and is undone for the days before', () => {
    const s3 = SUBSCRIPTIONS[2]!; // Pro × 2 = 50.00, Basic × 2 = 20.00 from 2026-03-10
    expect([mrrOn(s3, '2026-03-09'), mrrOn(s3, '2026-03-10')]).toEqual([5000, 2000]);
  });

  it('writes percentages with two places, rounded half up, and none over nothing', () => {
    expect([percentOf(1, 6), percentOf(1, 5), percentOf(2, 8), percentOf(0, 0)]).toEqual([
      '16.67', // 1/6 = 16.666…%
      '20.00',
      '25.00',
      null,
    ]);
  });
});

describe('overview report (hand-checked)', () => {
  const overview = overviewReport(input);

  it('covers the 12 months ending with the month of the report', () => {
    expect(monthsEnding(AS_OF)).toEqual(overview.months.map((m) => m.month));
    expect(overview.months[0]!.month).toBe('2025-07');
    expect(overview.months[11]!.month).toBe('2026-06');
  });

  it('counts paying, new and churned subscriptions and MRR per currency month by month', () => {
    const rows = overview.months.map((m) => [m.month, m.active, m.new, m.churned, m.mrr]);
    expect(rows).toEqual([
      // S1 Basic 10 + S4 10 = 20.00 USD; S5 15.00 EUR; S4 new
      ['2025-07', 3, 1, 0, { EUR: '15.00', USD: '20.00' }],
      // + S3 Pro × 2 = 50 → 70.00
      ['2025-08', 4, 1, 0, { EUR: '15.00', USD: '70.00' }],
      // + S2 240/12 = 20 → 90.00
      ['2025-09', 5, 1, 0, { EUR: '15.00', USD: '90.00' }],
      ['2025-10', 5, 0, 0, { EUR: '15.00', USD: '90.00' }],
      // + S6 Starter 15 → 30.00 EUR
      ['2025-11', 6, 1, 0, { EUR: '30.00', USD: '90.00' }],
      ['2025-12', 6, 0, 0, { EUR: '30.00', USD: '90.00' }],
      // S6 upgraded 15 → 40: 15 + 40 = 55.00 EUR
      ['2026-01', 6, 0, 0, { EUR: '55.00', USD: '90.00' }],
      // S1 upgraded 10 → 25: 90 + 15 = 105.00 USD
      ['2026-02', 6, 0, 0, { EUR: '55.00', USD: '105.00' }],
      // S3 downgraded 50 → 20: 105 − 30 = 75.00 USD
      ['2026-03', 6, 0, 0, { EUR: '55.00', USD: '75.00' }],
      // S4 cancelled on the 15th: 75 − 10 = 65.00 USD; S8's lapsed trial is no churn
      ['2026-04', 5, 0, 1, { EUR: '55.00', USD: '65.00' }],
      // S6 cancelled (−40), S7 converted (+40): 55.00 EUR
      ['2026-05', 5, 1, 1, { EUR: '55.00', USD: '65.00' }],
      // + S10 100/12 = 8.33: 63.33 EUR
      ['2026-06', 6, 1, 0, { EUR: '63.33', USD: '65.00' }],
    ]);
  });

  it('gives ARR from each amount, not from the rounded MRR', () => {
    // USD: S1 25 × 12 = 300 + S2 240 + S3 20 × 12 = 240 → 780.00
    // EUR: S5 15 × 12 = 180 + S7 40 × 12 = 480 + S10 100 → 760.00 (12 × 63.33 would be 759.96)
    expect(overview.current).toEqual({
      active: 6,
      trials: 1, // S9
      mrr: { EUR: '63.33', USD: '65.00' },
      arr: { EUR: '760.00', USD: '780.00' },
    });
  });

  it('splits MRR and ARR by plan and currency, largest first within a currency', () => {
    expect(overview.byPlan.map((p) => [p.planCode, p.planName, p.currency, p.active, p.mrr, p.arr])).toEqual([
      ['team-eu', 'Team EU', 'EUR', 1, '40.00', '480.00'], // S7
      ['starter-eu', 'Starter EU', 'EUR', 1, '15.00', '180.00'], // S5
      ['annual-eu', 'Annual EU', 'EUR', 1, '8.33', '100.00'], // S10
      ['pro-m', 'Pro', 'USD', 1, '25.00', '300.00'], // S1
      ['basic-m', 'Basic', 'USD', 1, '20.00', '240.00'], // S3: Basic × 2 (ties with pro-y: by code)
      ['pro-y', 'Pro yearly', 'USD', 1, '20.00', '240.00'], // S2
    ]);
  });
});

describe('insights report (hand-checked)', () => {
  const insights = insightsReport(input);

  it('moves MRR by new, expansion, contraction and churn, netting to the change of MRR', () => {
    expect(insights.from).toBe('2025-07-01');
    expect(insights.movement).toEqual({
      // new S6 15 + S7 40 + S10 8.33 = 63.33; expansion S6 +25; churn S6 40
      // net 63.33 + 25 − 40 = 48.33 = MRR 63.33 now − 15.00 on 2025-06-30
      EUR: { new: '63.33', expansion: '25.00', contraction: '0.00', churn: '40.00', net: '48.33' },
      // new S4 10 + S3 50 + S2 20 = 80; expansion S1 +15; contraction S3 30; churn S4 10
      // net 80 + 15 − 30 − 10 = 55.00 = MRR 65.00 now − 10.00 on 2025-06-30 (S1 on Basic)
      USD: { new: '80.00', expansion: '15.00', contraction: '30.00', churn: '10.00', net: '55.00' },
    });
  });

  it('puts each movement in its month', () => {
    const may = insights.monthlyMovement.find((m) => m.month === '2026-05')!;
    // S7 converts (+40), S6 churns (−40) in May
    expect(may.byCurrency).toEqual({
      EUR: { new: '40.00', expansion: '0.00', contraction: '0.00', churn: '40.00', net: '0.00' },
    });
  });

  it('rates churn over those that paid in the window, and per month over those paying before it', () => {
    // 2 churned (S4, S6) over 2 paying on 2025-06-30 (S1, S5) + 6 new (S2, S3, S4, S6, S7, S10) = 25.00%
    expect(insights.churnRate).toEqual({ churned: 2, base: 8, percent: '25.00' });
    const byMonth = Object.fromEntries(
      insights.monthlyChurn.map((m) => [m.month, [m.churned, m.base, m.percent]]),
    );
    expect(byMonth['2026-04']).toEqual([1, 6, '16.67']); // S4 of S1–S6 paying on 2026-03-31
    expect(byMonth['2026-05']).toEqual([1, 5, '20.00']); // S6 of S1, S2, S3, S5, S6
    expect(byMonth['2026-06']).toEqual([0, 5, '0.00']);
  });

  it('converts trials: S7 converted, S8 lapsed, S9 open → 1 of the 2 decided', () => {
    expect(insights.trialConversion).toEqual({
      started: 3,
      converted: 1,
      lapsed: 1,
      open: 1,
      percent: '50.00',
    });
  });

  it('ranks the top plans of each currency by MRR', () => {
    expect(insights.topPlans.map((p) => `${p.currency} ${p.planCode} ${p.mrr}`)).toEqual([
      'EUR team-eu 40.00',
      'EUR starter-eu 15.00',
      'EUR annual-eu 8.33',
      'USD pro-m 25.00',
      'USD basic-m 20.00',
      'USD pro-y 20.00',
    ]);
  });

  it('leaves out what a report made earlier could not know', () => {
    // On 2026-04-30: S6 (cancelled 05-20) still pays 40; S7, S10 not yet; USD 65 after S4's churn
    const earlier = overviewReport({ ...input, asOf: '2026-04-30' });
    expect(earlier.current.mrr).toEqual({ EUR: '55.00', USD: '65.00' });
    expect(earlier.months.at(-1)).toMatchObject({ month: '2026-04', churned: 1, new: 0 });
  });
});
