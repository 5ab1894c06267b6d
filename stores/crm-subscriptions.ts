import type { Db } from 'mongodb';
import { CrmSubscriptionDocSchema, type CrmSubscription } from '../domain/crm-schemas';
import { listLive } from './billing-store';
import { CRM_COLLECTIONS } from './crm-store';
import {
  createRecordCollection,
  type MongoRecordCollection,
  type RecordIndexSpec,
} from './record-collection';
import type { StoredRecord } from './record-store';
import type { StoreOptions } from './server-capabilities';

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
