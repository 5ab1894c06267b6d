import { BillingSubscriptionDocSchema } from '../../../../domain/billing/billing-schemas';
import { overviewReport } from '../../../../domain/billing/reports';
import { ScopeError, billingUserOf, visibleTo } from '../../../../domain/billing/scope';
import { SEED_PLANS, seedSubscriptions } from '../../../../domain/billing/seed';
import { AS_OF, PLANS, SUBSCRIPTIONS, USERS } from '../../../fixtures/billing-dataset';

/*
 * What a CRM user sees of billing (S7.3), one case per scope, on the hand-checked dataset: S1–S3 are Olga's,
 * S4, S5, S10 her team-mate Max's, S6–S8 Otto's (another team), S9 nobody's.
 */

const numbers = (email: string) =>
  visibleTo(billingUserOf(USERS, email), SUBSCRIPTIONS, USERS).map((s) => s.subscription_id);

describe('billing scope (S7.3)', () => {
  it.each([
    ['all: every subscription', 'ada@example.com', SUBSCRIPTIONS.map((s) => s.subscription_id)],
    [
      "team: the team's customers",
      'tom@example.com',
      ['sub-1', 'sub-2', 'sub-3', 'sub-4', 'sub-5', 'sub-10'],
    ],
    ['own: their own customers', 'olga@example.com', ['sub-1', 'sub-2', 'sub-3']],
  ])('%s', (_scope, email, expected) => {
    expect(numbers(email)).toEqual(expected);
  });

  it('matches the CRM user by email, whatever its case', () => {
    expect(billingUserOf(USERS, 'Olga@Example.com').user_id).toBe('u-own');
  });

  it.each([
    ['unknown', 'eve@example.com', USERS],
    ['inactive', 'ada@example.com', USERS.map((u) => ({ ...u, status: 'inactive' as const }))],
  ])('refuses an %s billing user', (_what, email, users) => {
    expect(() => billingUserOf(users, email)).toThrow(ScopeError);
  });

  it('scopes the reports: Olga sees only her own MRR', () => {
    const olga = visibleTo(billingUserOf(USERS, 'olga@example.com'), SUBSCRIPTIONS, USERS);
    // S1 Pro 25 + S2 240/12 = 20 + S3 Basic × 2 = 20 → 65.00 USD, no EUR
    expect(overviewReport({ subscriptions: olga, plans: PLANS, asOf: AS_OF }).current.mrr).toEqual({
      USD: '65.00',
    });
  });
});

describe('billing seed', () => {
  const customers = Array.from({ length: 40 }, (_, i) => `c-${i}`);

  it('is deterministic and valid, with every kind of subscription', () => {
    const seeded = seedSubscriptions(customers, AS_OF);
    expect(seedSubscriptions(customers, AS_OF)).toEqual(seeded);
    for (const s of seeded) expect(BillingSubscriptionDocSchema.safeParse(s).success).toBe(true);
    expect(new Set(seeded.map((s) => s.status))).toEqual(
      new Set(['live', 'trial', 'cancelled', 'non_renewing']),
    );
    expect(() => overviewReport({ subscriptions: seeded, plans: SEED_PLANS, asOf: AS_OF })).not.toThrow();
  });
});
