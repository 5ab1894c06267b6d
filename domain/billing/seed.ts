import type { BillingPlan, BillingSubscription, BillingUser } from './billing-schemas';

/*
 * Seed data for the billing side (issue 19): a plan catalogue in two currencies, one user per scope, and one
 * subscription per customer given, spread over the 18 months before `asOf` with upgrades, downgrades,
 * cancellations, trials and yearly plans. Deterministic: the same input gives the same documents, so seeding
 * twice writes nothing the second time.
 */

export const SEED_PLANS: BillingPlan[] = [
  {
    plan_code: 'basic-m',
    name: 'Basic',
    recurring_price: 10,
    currency_code: 'USD',
    interval: 1,
    interval_unit: 'months',
    status: 'active',
  },
  {
    plan_code: 'pro-m',
    name: 'Pro',
    recurring_price: 25,
    currency_code: 'USD',
    interval: 1,
    interval_unit: 'months',
    status: 'active',
  },
  {
    plan_code: 'pro-y',
    name: 'Pro yearly',
    recurring_price: 240,
    currency_code: 'USD',
    interval: 1,
    interval_unit: 'years',
    status: 'active',
  },
  {
    plan_code: 'starter-eu',
    name: 'Starter EU',
    recurring_price: 15,
    currency_code: 'EUR',
    interval: 1,
    interval_unit: 'months',
    status: 'active',
  },
  {
    plan_code: 'team-eu',
    name: 'Team EU',
    recurring_price: 40,
    currency_code: 'EUR',
    interval: 1,
    interval_unit: 'months',
    status: 'active',
  },
];

export const SEED_USERS: BillingUser[] = [
  {
    user_id: 'bu-admin',
    name: 'Billing Admin',
    email: 'billing.admin@example.com',
    status: 'active',
    scope: 'all',
    can_create_subscriptions: true,
  },
  {
    user_id: 'bu-lead',
    name: 'Team Lead',
    email: 'team.lead@example.com',
    status: 'active',
    scope: 'team',
    team_id: 'north',
    can_create_subscriptions: true,
  },
  {
    user_id: 'bu-rep',
    name: 'Sales Rep',
    email: 'sales.rep@example.com',
    status: 'active',
    scope: 'own',
    team_id: 'north',
    can_create_subscriptions: false,
  },
];

/** A small deterministic generator (LCG): seeds must not depend on Math.random. */
function generator(seed: number) {
  let state = seed >>> 0;
  return (n: number) => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state % n;
  };
}

const addDays = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** One subscription per customer id, the n-th numbered SUB-S{n}. */
export function seedSubscriptions(
  customerIds: readonly string[],
  asOf: string,
  seed = 19,
): BillingSubscription[] {
  const next = generator(seed);
  return customerIds.map((customerId, i): BillingSubscription => {
    const plan = SEED_PLANS[next(SEED_PLANS.length)]!;
    const quantity = 1 + next(3);
    const start = addDays(asOf, -(1 + next(540)));
    const roll = next(10);
    const base = {
      subscription_id: `seed-${i + 1}`,
      subscription_number: `SUB-S${String(i + 1).padStart(5, '0')}`,
      customer_id: customerId,
      plan: { plan_code: plan.plan_code, name: plan.name, quantity, price: plan.recurring_price },
      amount: plan.recurring_price * quantity,
      currency_code: plan.currency_code,
      interval: plan.interval,
      interval_unit: plan.interval_unit,
      created_at: start,
      salesperson_id: SEED_USERS[1 + next(2)]!.user_id,
    };
    // 1 in 10 in trial, 2 cancelled part-way, 1 non-renewing, 1 with a quantity change; the rest live.
    if (roll === 0) {
      // A trial has not paid yet: no activation day.
      return {
        ...base,
        status: 'trial',
        trial_starts_at: asOf,
        trial_ends_at: addDays(asOf, 14),
      };
    }
    const paying = { ...base, activated_at: start };
    if (roll <= 2) {
      const cancelled = addDays(start, 1 + next(Math.max(1, daysBetween(start, asOf))));
      return {
        ...paying,
        status: 'cancelled',
        cancelled_at: cancelled,
        cancel_reason: 'seeded cancellation',
      };
    }
    if (roll === 3) return { ...paying, status: 'non_renewing', expires_at: addDays(asOf, 30) };
    if (roll === 4 && quantity > 1) {
      const changed = addDays(start, Math.max(1, Math.floor(daysBetween(start, asOf) / 2)));
      const fromAmount = plan.recurring_price * (quantity - 1);
      return {
        ...paying,
        status: 'live',
        plan_changes: [
          {
            changed_on: changed,
            from_plan_code: plan.plan_code,
            to_plan_code: plan.plan_code,
            from_amount: fromAmount,
            to_amount: paying.amount,
          },
        ],
      };
    }
    return { ...paying, status: 'live' };
  });
}

const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
