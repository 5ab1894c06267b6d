import { subscriptionViews, toCrmSubscription } from '../../../../domain/billing/crm-subscriptions';
import { CrmSubscriptionDocSchema } from '../../../../domain/crm-schemas';
import { compileView } from '../../../../domain/views';
import { SUBSCRIPTIONS } from '../../../fixtures/billing-dataset';

/** The CRM records of the hand-checked dataset and the predefined views over them (S7.1). */
const records = SUBSCRIPTIONS.map((s) =>
  toCrmSubscription(s, { account: { id: `acc-${s.customer_id}`, name: null } }),
);

const inView = (name: keyof ReturnType<typeof subscriptionViews>, today: string) => {
  const view = compileView(subscriptionViews(today)[name], {
    module: 'Subscriptions',
    currentUserId: 'u',
    now: `${today}T00:00:00Z`,
  });
  return records.filter((r) => view.matches(r)).map((r) => r.Subscription_Number);
};

describe('subscriptions in the CRM', () => {
  it('maps every subscription to a valid CRM record under a derived id, MRR exact', () => {
    for (const r of records) expect(CrmSubscriptionDocSchema.safeParse(r).success).toBe(true);
    expect(records[9]).toMatchObject({ id: 'bs-sub-10', Amount: 100, MRR: 8.33, Interval_Unit: 'years' });
  });

  it.each([
    ['all', '2026-06-30', records.map((r) => r.Subscription_Number)],
    ['live', '2026-06-30', ['SUB-00001', 'SUB-00002', 'SUB-00003', 'SUB-00005', 'SUB-00007']],
    ['trials', '2026-06-30', ['SUB-00009']],
    ['non-renewing', '2026-06-30', ['SUB-00010']],
    ['cancelled-this-month', '2026-05-31', ['SUB-00006']], // cancelled 2026-05-20
    ['cancelled-this-month', '2026-04-30', ['SUB-00004']], // cancelled 2026-04-15
    ['cancelled-this-month', '2026-06-30', []],
  ] as const)('view %s on %s', (name, today, expected) => {
    expect(inView(name, today)).toEqual(expected);
  });
});
