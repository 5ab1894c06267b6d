import type { Db } from 'mongodb';
import type { BillingSubscription } from '../domain/billing/billing-schemas';
import { toCrmSubscription, type CrmOwners } from '../domain/billing/crm-subscriptions';
import { CrmSubscriptionDocSchema, type CrmSubscription } from '../domain/crm-schemas';
import { integrationIdOf, type Environment } from '../domain/sync-state-schemas';
import { listLive, type BillingStore } from './billing-store';
import { CRM_COLLECTIONS, type CrmStore } from './crm-store';
import {
  MAX_BATCH,
  createRecordCollection,
  type MongoRecordCollection,
  type RecordIndexSpec,
} from './record-collection';
import type { StoredRecord } from './record-store';
import type { StoreOptions } from './server-capabilities';
import type { SyncStateStore } from './sync-state-store';

/*
 * The CRM Subscriptions module (S7.1) as the related lists of accounts and contacts read it: the same
 * `crm_subscriptions` collection as the CRM store's module, with the two lookups of a related list indexed.
 */

export const SUBSCRIPTION_ACCOUNT_INDEX: RecordIndexSpec = {
  name: 'org_accountId',
  key: { org: 1, 'data.Account_Name.id': 1 },
};
export const SUBSCRIPTION_CONTACT_INDEX: RecordIndexSpec = {
  name: 'org_contactId',
  key: { org: 1, 'data.Contact_Name.id': 1 },
};

export interface CrmSubscriptions {
  readonly records: MongoRecordCollection<CrmSubscription>;
  ensureIndexes(): Promise<void>;
  /** The live subscriptions of an account (its related list). One indexed query. */
  ofAccount(org: string, accountId: string): Promise<StoredRecord<CrmSubscription>[]>;
  /** The live subscriptions of a contact (its related list). One indexed query. */
  ofContact(org: string, contactId: string): Promise<StoredRecord<CrmSubscription>[]>;
  /** Every live subscription of the org (the module's list views). Read-only; pages through the delta index. */
  all(org: string): Promise<StoredRecord<CrmSubscription>[]>;
}

export function createCrmSubscriptions(db: Db, options: StoreOptions = {}): CrmSubscriptions {
  const records = createRecordCollection<CrmSubscription>(db, {
    name: CRM_COLLECTIONS.Subscriptions,
    schema: CrmSubscriptionDocSchema,
    displayName: (s) => s.Subscription_Number,
    nameField: 'Subscription_Number',
    modifiedField: 'Modified_Time',
    idKey: 'id',
    lookups: [
      { field: 'data.Account_Name.id', index: SUBSCRIPTION_ACCOUNT_INDEX },
      { field: 'data.Contact_Name.id', index: SUBSCRIPTION_CONTACT_INDEX },
    ],
    ...options,
  });
  return {
    records,
    ensureIndexes: () => records.ensureIndexes(),
    ofAccount: (org, accountId) => records.findWhere(org, { 'data.Account_Name.id': accountId }),
    ofContact: (org, contactId) => records.findWhere(org, { 'data.Contact_Name.id': contactId }),
    all: (org) => listLive(records, org),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Billing → CRM: one home for the write the operations and the scheduled job (activities/subscriptions.ts) share

export interface SubscriptionSyncResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Subscriptions whose customer is linked to no CRM account yet: written without one. */
  withoutAccount: number;
}

export interface SubscriptionSyncDeps {
  crm: CrmStore;
  crmSubscriptions: CrmSubscriptions;
  links: Pick<SyncStateStore, 'findLinksByBooksIds'>;
}

/** The integration whose links find each subscription's CRM account and contact. */
export interface SubscriptionSyncTarget {
  crmOrgId: string;
  booksOrgId: string;
  environment: Environment;
}

const unique = (values: readonly (string | undefined)[]) => [
  ...new Set(values.filter((v) => v !== undefined)),
];

/** The CRM account and contact of each subscription, through the integration's links of its customer. */
async function ownersOf(
  deps: SubscriptionSyncDeps,
  target: SubscriptionSyncTarget,
  subs: readonly BillingSubscription[],
) {
  const integrationId = integrationIdOf(target.crmOrgId, target.booksOrgId, target.environment);
  const contactOf = (s: BillingSubscription) => s.contactpersons?.[0]?.contactperson_id;
  const [customerLinks, personLinks] = await Promise.all([
    deps.links.findLinksByBooksIds(integrationId, 'customer', unique(subs.map((s) => s.customer_id))),
    deps.links.findLinksByBooksIds(integrationId, 'contact_person', unique(subs.map(contactOf))),
  ]);
  const [accounts, contacts] = await Promise.all([
    deps.crm.module('Accounts').findByIds(target.crmOrgId, unique(customerLinks.map((l) => l.crmId))),
    deps.crm.module('Contacts').findByIds(target.crmOrgId, unique(personLinks.map((l) => l.crmId))),
  ]);
  const accountName = new Map(accounts.map((a) => [a.id, a.data.Account_Name]));
  const contactName = new Map(
    contacts.map((c) => [c.id, [c.data.First_Name, c.data.Last_Name].filter(Boolean).join(' ')]),
  );
  const accountOf = new Map(customerLinks.map((l) => [l.booksId, l.crmId]));
  const personOf = new Map(personLinks.map((l) => [l.booksId, l.crmId]));
  return (sub: BillingSubscription): CrmOwners => {
    const accountId = accountOf.get(sub.customer_id);
    const contactId = personOf.get(contactOf(sub) ?? '');
    return {
      account:
        accountId === undefined ? undefined : { id: accountId, name: accountName.get(accountId) ?? null },
      contact:
        contactId === undefined ? undefined : { id: contactId, name: contactName.get(contactId) ?? null },
    };
  };
}

/**
 * Writes the CRM Subscriptions records of `subs` (S7.1), with their account and contact. Idempotent: an
 * unchanged subscription writes nothing. Fails with the store's error; batches already written stay written.
 */
export async function syncBillingIntoCrm(
  deps: SubscriptionSyncDeps,
  target: SubscriptionSyncTarget,
  subs: readonly BillingSubscription[],
): Promise<{ result: SubscriptionSyncResult; records: CrmSubscription[] }> {
  const owners = await ownersOf(deps, target, subs);
  const records = subs.map((s) => toCrmSubscription(s, owners(s)));
  const result: SubscriptionSyncResult = { inserted: 0, updated: 0, unchanged: 0, withoutAccount: 0 };
  result.withoutAccount = records.filter((r) => !r.Account_Name).length;
  for (let i = 0; i < records.length; i += MAX_BATCH) {
    const batch = records.slice(i, i + MAX_BATCH).map((data) => ({ id: data.id, data }));
    const written = await deps.crmSubscriptions.records.upsertMany(target.crmOrgId, batch);
    result.inserted += written.inserted;
    result.updated += written.updated;
    result.unchanged += written.unchanged;
  }
  return { result, records };
}

/** Every billing subscription of the Books org written into the CRM org: what one sync does. Idempotent. */
export async function syncEveryBillingSubscription(
  deps: SubscriptionSyncDeps & { billing: Pick<BillingStore, 'listSubscriptions'> },
  target: SubscriptionSyncTarget,
): Promise<SubscriptionSyncResult> {
  const subs = await deps.billing.listSubscriptions(target.booksOrgId);
  return (
    await syncBillingIntoCrm(
      deps,
      target,
      subs.map((s) => s.data),
    )
  ).result;
}
