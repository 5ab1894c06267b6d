import type { Db } from 'mongodb';
import type { z } from 'zod';
import {
  CRM_MODULES,
  CrmOrgDocSchema,
  CrmPipelineDocSchema,
  CrmRoleDocSchema,
  CrmUserDocSchema,
  CrmViewDocSchema,
  type CrmContact,
  type CrmModule,
  type CrmOrg,
  type CrmPipeline,
  type CrmRole,
  type CrmUser,
  type CrmView,
} from '../domain/crm-schemas';
import { DISPLAY_NAME_OF, NAME_FIELD_OF } from '../domain/sync/kinds';
import {
  createRecordCollection,
  createSettingsCollection,
  type MongoRecordCollection,
  type RecordIndexSpec,
  type SaveResult,
  type SettingsCollection,
} from './record-collection';
import type { RecordCollection, StoredRecord } from './record-store';
import type { StoreOptions } from './server-capabilities';

/*
 * The CRM store (ARCHITECTURE §4): one collection per record module holding Zoho CRM API records in the
 * envelope of record-store.ts, and the org's settings (org, users, roles, pipelines, views) beside them.
 */

/** A CRM module's record type, as its schema parses it. */
export type CrmRecordOf<M extends CrmModule> = z.output<(typeof CRM_MODULES)[M]>;

/** The MongoDB collection of each CRM module. */
export const CRM_COLLECTIONS: Readonly<Record<CrmModule, string>> = {
  Accounts: 'crm_accounts',
  Contacts: 'crm_contacts',
  Vendors: 'crm_vendors',
  Products: 'crm_products',
  Deals: 'crm_deals',
  Quotes: 'crm_quotes',
  Sales_Orders: 'crm_sales_orders',
  Invoices: 'crm_invoices',
  Purchase_Orders: 'crm_purchase_orders',
  Subscriptions: 'crm_subscriptions',
};

export const CRM_SETTINGS_COLLECTIONS = {
  users: 'crm_users',
  org: 'crm_org',
  roles: 'crm_roles',
  pipelines: 'crm_pipelines',
  views: 'crm_views',
} as const;

/** Contacts by their account (S2.2 "Accounts and their Contacts"). */
export const CONTACT_ACCOUNT_INDEX: RecordIndexSpec = {
  name: 'org_accountId',
  key: { org: 1, 'data.Account_Name.id': 1 },
};

const str = (value: unknown) => (typeof value === 'string' ? value : '');

/** The display name each module's duplicates are matched on. */
const DISPLAY_NAMES: { [M in CrmModule]: (data: CrmRecordOf<M>) => string } = {
  Accounts: DISPLAY_NAME_OF.Accounts,
  Contacts: DISPLAY_NAME_OF.Contacts,
  Vendors: DISPLAY_NAME_OF.Vendors,
  Products: DISPLAY_NAME_OF.Products,
  Deals: (d) => str(d.Deal_Name),
  Quotes: (d) => str(d.Subject),
  Sales_Orders: (d) => str(d.Subject),
  Invoices: (d) => str(d.Subject),
  Purchase_Orders: (d) => str(d.Subject),
  Subscriptions: (d) => str(d.Subscription_Number),
};

/** The field each module's display name comes from, named when a name is refused. */
const NAME_FIELDS: { [M in CrmModule]: string } = {
  Accounts: NAME_FIELD_OF.Accounts,
  Contacts: NAME_FIELD_OF.Contacts,
  Vendors: NAME_FIELD_OF.Vendors,
  Products: NAME_FIELD_OF.Products,
  Deals: 'Deal_Name',
  Quotes: 'Subject',
  Sales_Orders: 'Subject',
  Invoices: 'Subject',
  Purchase_Orders: 'Subject',
  Subscriptions: 'Subscription_Number',
};

export type CrmCollections = { [M in CrmModule]: MongoRecordCollection<CrmRecordOf<M>> };

export interface CrmStore {
  /** The record collection of a module, typed by it: `store.module('Accounts')`. */
  module<M extends CrmModule>(name: M): RecordCollection<CrmRecordOf<M>>;
  /** CRM users (`/crm/v2/users`), with delta reads and name lookups like any record module. */
  readonly users: RecordCollection<CrmUser>;
  /** Creates every index of the store. Idempotent; awaited once at start-up; fails on a server error. */
  ensureIndexes(): Promise<void>;

  /** Live contacts of `org` whose `Account_Name` lookup is one of `accountIds`. One indexed query. */
  findContactsByAccountIds(org: string, accountIds: readonly string[]): Promise<StoredRecord<CrmContact>[]>;

  /** The org settings (edition, currency, …) of `org`; undefined when absent. */
  getOrg(org: string): Promise<CrmOrg | undefined>;
  /** Saves the org settings under their own `id`. Idempotent. Throws InvalidRecordsError for a bad doc. */
  saveOrg(doc: CrmOrg): Promise<SaveResult>;

  listRoles(org: string): Promise<CrmRole[]>;
  /** Idempotent; unchanged roles are not written. Throws InvalidRecordsError (nothing written). */
  saveRoles(org: string, roles: readonly CrmRole[]): Promise<SaveResult>;

  listPipelines(org: string): Promise<CrmPipeline[]>;
  getPipeline(org: string, pipelineId: string): Promise<CrmPipeline | undefined>;
  /** Idempotent; unchanged pipelines are not written. Throws InvalidRecordsError (nothing written). */
  savePipelines(org: string, pipelines: readonly CrmPipeline[]): Promise<SaveResult>;

  /** A view by id (views ids are unique within an org across modules); undefined when absent. */
  getView(org: string, viewId: string): Promise<CrmView | undefined>;
  /** The views of one module (`Accounts`, `Contacts`, …), in id order. */
  listViews(org: string, module: string): Promise<CrmView[]>;
  /** Idempotent; unchanged views are not written. Throws InvalidRecordsError (nothing written). */
  saveViews(org: string, views: readonly CrmView[]): Promise<SaveResult>;
}

/**
 * The MongoDB implementation, over an injected CRM `Db`, with the server capabilities resolved at start
 * (probed on first use when not given). `now` is injectable for tests.
 */
export function createCrmStore(
  db: Db,
  options: StoreOptions = {},
): CrmStore & {
  readonly collections: CrmCollections;
  readonly settings: {
    org: SettingsCollection<CrmOrg>;
    roles: SettingsCollection<CrmRole>;
    pipelines: SettingsCollection<CrmPipeline>;
    views: SettingsCollection<CrmView>;
  };
} {
  const record = <M extends CrmModule>(module: M): MongoRecordCollection<CrmRecordOf<M>> =>
    createRecordCollection<CrmRecordOf<M>>(db, {
      name: CRM_COLLECTIONS[module],
      schema: CRM_MODULES[module] as unknown as z.ZodType<CrmRecordOf<M>>,
      displayName: DISPLAY_NAMES[module],
      nameField: NAME_FIELDS[module],
      modifiedField: 'Modified_Time',
      idKey: 'id',
      ...(module === 'Contacts'
        ? { lookups: [{ field: 'data.Account_Name.id', index: CONTACT_ACCOUNT_INDEX }] }
        : {}),
      ...options,
    });
  const collections: CrmCollections = {
    Accounts: record('Accounts'),
    Contacts: record('Contacts'),
    Vendors: record('Vendors'),
    Products: record('Products'),
    Deals: record('Deals'),
    Quotes: record('Quotes'),
    Sales_Orders: record('Sales_Orders'),
    Invoices: record('Invoices'),
    Purchase_Orders: record('Purchase_Orders'),
    Subscriptions: record('Subscriptions'),
  };
  const users = createRecordCollection<CrmUser>(db, {
    name: CRM_SETTINGS_COLLECTIONS.users,
    schema: CrmUserDocSchema,
    displayName: (u) => u.full_name,
    modifiedField: 'Modified_Time',
    idKey: 'id',
    ...options,
  });
  const settings = {
    org: createSettingsCollection<CrmOrg>(db, {
      name: CRM_SETTINGS_COLLECTIONS.org,
      schema: CrmOrgDocSchema,
      idOf: (o) => o.id,
      ...options,
    }),
    roles: createSettingsCollection<CrmRole>(db, {
      name: CRM_SETTINGS_COLLECTIONS.roles,
      schema: CrmRoleDocSchema,
      idOf: (r) => r.id,
      ...options,
    }),
    pipelines: createSettingsCollection<CrmPipeline>(db, {
      name: CRM_SETTINGS_COLLECTIONS.pipelines,
      schema: CrmPipelineDocSchema,
      idOf: (p) => p.id,
      ...options,
    }),
    views: createSettingsCollection<CrmView>(db, {
      name: CRM_SETTINGS_COLLECTIONS.views,
      schema: CrmViewDocSchema,
      idOf: (v) => v.id,
      scopeOf: (v) => v.module,
      ...options,
    }),
  };

  return {
    collections,
    settings,
    users,
    module: (name) => collections[name],

    async ensureIndexes() {
      for (const c of [...Object.values(collections), users, ...Object.values(settings)])
        await c.ensureIndexes();
    },

    async findContactsByAccountIds(org, accountIds) {
      if (accountIds.length === 0) return [];
      return collections.Contacts.findWhere(org, { 'data.Account_Name.id': accountIds });
    },

    getOrg: (org) => settings.org.get(org, org),
    saveOrg: (doc) => settings.org.saveMany(doc.id, [doc]),
    listRoles: (org) => settings.roles.list(org),
    saveRoles: (org, roles) => settings.roles.saveMany(org, roles),
    listPipelines: (org) => settings.pipelines.list(org),
    getPipeline: (org, id) => settings.pipelines.get(org, id),
    savePipelines: (org, pipelines) => settings.pipelines.saveMany(org, pipelines),
    getView: (org, id) => settings.views.get(org, id),
    listViews: (org, module) => settings.views.list(org, module),
    saveViews: (org, views) => settings.views.saveMany(org, views),
  };
}
