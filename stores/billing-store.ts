import type { Db } from 'mongodb';
import {
  BillingAddonDocSchema,
  BillingPlanDocSchema,
  BillingSubscriptionDocSchema,
  BillingUserDocSchema,
  type BillingAddon,
  type BillingPlan,
  type BillingSubscription,
  type BillingUser,
} from '../domain/billing/billing-schemas';
import {
  createRecordCollection,
  createSettingsCollection,
  type MongoRecordCollection,
  type SettingsCollection,
} from './record-collection';
import type { StoredRecord } from './record-store';
import type { StoreOptions } from './server-capabilities';

/*
 * The billing side of the Books store (issue 19, S7): Zoho Billing's plans, add-ons and subscriptions as
 * record collections in the Books database — delta reads feed the one-way sync into the CRM — and the billing
 * users (their scope, S7.3) as settings beside them.
 */

export const BILLING_COLLECTIONS = {
  plans: 'billing_plans',
  addons: 'billing_addons',
  subscriptions: 'billing_subscriptions',
  users: 'billing_users',
} as const;

/** How many records one page of a whole-org read holds. */
const PAGE = 1_000;

export interface BillingStore {
  readonly plans: MongoRecordCollection<BillingPlan>;
  readonly addons: MongoRecordCollection<BillingAddon>;
  readonly subscriptions: MongoRecordCollection<BillingSubscription>;
  readonly users: SettingsCollection<BillingUser>;
  /** Creates every index of the store. Idempotent; awaited once at start-up; fails on a server error. */
  ensureIndexes(): Promise<void>;
  /** Every live plan of `org`. Read-only; pages through the delta index. */
  listPlans(org: string): Promise<BillingPlan[]>;
  /** Every live subscription of `org`, with its envelope. Read-only; pages through the delta index. */
  listSubscriptions(org: string): Promise<StoredRecord<BillingSubscription>[]>;
}

/** Every live record of a collection, in delta order: reports, list views and the sync read the org whole. */
export async function listLive<T>(
  collection: MongoRecordCollection<T>,
  org: string,
): Promise<StoredRecord<T>[]> {
  const records: StoredRecord<T>[] = [];
  let page = await collection.findChangedSince(org, null, PAGE);
  records.push(...page.records);
  while (page.next) {
    page = await collection.findChangedSince(org, page.next, PAGE);
    records.push(...page.records);
  }
  return records.filter((r) => !r.deleted);
}

/** The MongoDB implementation over the injected Books `Db`; `now` and capabilities as for every store. */
export function createBillingStore(db: Db, options: StoreOptions = {}): BillingStore {
  const plans = createRecordCollection<BillingPlan>(db, {
    name: BILLING_COLLECTIONS.plans,
    schema: BillingPlanDocSchema,
    displayName: (p) => p.name,
    modifiedField: 'last_modified_time',
    idKey: 'plan_code',
    ...options,
  });
  const addons = createRecordCollection<BillingAddon>(db, {
    name: BILLING_COLLECTIONS.addons,
    schema: BillingAddonDocSchema,
    displayName: (a) => a.name,
    modifiedField: 'last_modified_time',
    idKey: 'addon_code',
    ...options,
  });
  const subscriptions = createRecordCollection<BillingSubscription>(db, {
    name: BILLING_COLLECTIONS.subscriptions,
    schema: BillingSubscriptionDocSchema,
    displayName: (s) => s.subscription_number,
    nameField: 'subscription_number',
    modifiedField: 'last_modified_time',
    idKey: 'subscription_id',
    ...options,
  });
  const users = createSettingsCollection<BillingUser>(db, {
    name: BILLING_COLLECTIONS.users,
    schema: BillingUserDocSchema,
    idOf: (u) => u.user_id,
    ...options,
  });
  return {
    plans,
    addons,
    subscriptions,
    users,
    async ensureIndexes() {
      for (const c of [plans, addons, subscriptions, users]) await c.ensureIndexes();
    },
    listPlans: async (org) => (await listLive(plans, org)).map((p) => p.data),
    listSubscriptions: (org) => listLive(subscriptions, org),
  };
}
