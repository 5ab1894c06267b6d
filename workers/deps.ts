import { MongoClient } from 'mongodb';
import type { ActivityDeps } from '../activities';
import type { DocumentDeps } from '../activities/documents';
import { FERRETDB_STEP_SIZE, type SyncDeps } from '../activities/sync';
import type { AppConfig } from '../domain/config';
import type { MongoRecordCollection } from '../stores/record-collection';
import type { RecordCollection, StoredRecord } from '../stores/record-store';
import { createBillingStore, type BillingStore } from '../stores/billing-store';
import { createBooksStore, type BooksStore } from '../stores/books-store';
import { createCrmStore, type CrmStore } from '../stores/crm-store';
import { createCrmSubscriptions, type CrmSubscriptions } from '../stores/crm-subscriptions';
import { createDealStore } from '../stores/deal-store';
import { createDiagnosticsStore } from '../stores/diagnostics-store';
import { createIntegrationUsersRepository } from '../stores/integration-users';
import { createSandboxSlots, type SandboxSlots } from '../stores/sandbox-slots';
import { probeServerCapabilities } from '../stores/server-capabilities';
import { createSyncStateStore, type SyncStateStore } from '../stores/sync-state-store';

/** The production dependencies of the activities, plus what must be closed at shutdown. */
export interface Deps extends ActivityDeps {
  mongo: MongoClient;
  crmStore: CrmStore;
  booksStore: BooksStore;
  syncState: SyncStateStore;
  /** Billing's plans and subscriptions (issue 19), and the CRM Subscriptions module they are synced into. */
  billingStore: BillingStore;
  crmSubscriptions: CrmSubscriptions;
  /** The Books orgs' sandbox slots (S8.1). */
  sandboxSlots: SandboxSlots;
  close(): Promise<void>;
}

type Data = Record<string, unknown>;

/** The sync activities' view of the CRM and Books stores. */
export function syncDepsOf(crm: CrmStore, books: BooksStore, syncState: SyncStateStore): SyncDeps {
  return {
    syncState,
    crm: {
      records: (module) => crm.module(module) as unknown as RecordCollection<Data>,
      getOrg: async (org) => (await crm.getOrg(org)) as Data | undefined,
      saveOrg: (doc) => crm.saveOrg(doc as never),
      getView: async (org, viewId) => (await crm.getView(org, viewId)) as Data | undefined,
      getUser: async (org, userId) => {
        const [user] = await crm.users.findByIds(org, [userId]);
        return user && !user.deleted ? (user.data as Data) : undefined;
      },
      findContactsByAccountIds: async (org, accountIds) =>
        (await crm.findContactsByAccountIds(org, accountIds)) as unknown as StoredRecord<Data>[],
    },
    books: {
      records: (module) => books.module(module) as unknown as RecordCollection<Data>,
      getOrganization: async (org) => (await books.getOrganization(org)) as Data | undefined,
      listCurrencyCodes: async (org) => (await books.listCurrencies(org)).map((c) => c.currency_code),
      listCustomFields: async (org, module) =>
        (await books.listCustomFields(org, module)).flatMap((f) =>
          f.api_name ? [{ api_name: f.api_name }] : [],
        ),
    },
  };
}

/** The document activities' view of the Books store: the finance modules, the org's settings, payments. */
export function financeBooksOf(books: BooksStore): DocumentDeps['financeBooks'] {
  return {
    records: (module) => books.module(module) as unknown as RecordCollection<Data>,
    async orgSettings(org) {
      const organization = await books.getOrganization(org);
      if (!organization) return undefined;
      return { organization, currencies: await books.listCurrencies(org), taxes: await books.listTaxes(org) };
    },
    async paymentsOf(org, customerId) {
      const payments = books.module('customerpayments') as unknown as MongoRecordCollection<Data>;
      return (await payments.findWhere(org, { 'data.customer_id': customerId })).map((p) => p.data);
    },
    invoicesOf: async (org, customerId) =>
      (await books.findInvoicesOfCustomer(org, customerId)).map((i) => i.data as Data),
  };
}

/**
 * Connects to MongoDB, asks the server once what it can do (ServerCapabilities: FerretDB's limits, or none),
 * builds the stores with that answer and creates their indexes (awaited: a worker never serves before its
 * indexes exist). Fails when the server cannot be reached within the driver's server-selection timeout.
 */
export async function createDeps(mongo: AppConfig['mongo'] & { uri: string }): Promise<Deps> {
  const client = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 15_000, appName: 'crm-books-sync' });
  await client.connect();
  try {
    // The three databases live on one server: one probe answers for all of them.
    const capabilities = await probeServerCapabilities(client.db(mongo.syncDb));
    const diagnostics = createDiagnosticsStore(client.db(mongo.syncDb));
    const syncState = createSyncStateStore(client.db(mongo.syncDb), { capabilities });
    const crmStore = createCrmStore(client.db(mongo.crmDb), { capabilities });
    const booksStore = createBooksStore(client.db(mongo.booksDb), { capabilities });
    const integrationUsers = createIntegrationUsersRepository(client.db(mongo.booksDb), booksStore);
    const billingStore = createBillingStore(client.db(mongo.booksDb), { capabilities });
    const crmSubscriptions = createCrmSubscriptions(client.db(mongo.crmDb), { capabilities });
    const dealStore = createDealStore(client.db(mongo.syncDb));
    await Promise.all([
      diagnostics.ensureIndexes(),
      syncState.ensureIndexes(),
      crmStore.ensureIndexes(),
      booksStore.ensureIndexes(),
      integrationUsers.ensureIndexes(),
      billingStore.ensureIndexes(),
      crmSubscriptions.ensureIndexes(),
      dealStore.ensureIndexes(),
    ]);
    return {
      mongo: client,
      diagnostics,
      crmStore,
      booksStore,
      billingStore,
      crmSubscriptions,
      sandboxSlots: createSandboxSlots(client.db(mongo.syncDb)),
      ...syncDepsOf(crmStore, booksStore, syncState),
      financeBooks: financeBooksOf(booksStore),
      integrationUsers,
      dealStore,
      crmUsers: crmStore.users,
      audit: syncState,
      // Where every read scans its collection, a step reads seldom and so takes large chunks.
      ...(capabilities.readsScanCollection && { stepSize: FERRETDB_STEP_SIZE }),
      close: () => client.close(),
    };
  } catch (err) {
    await client.close();
    throw err;
  }
}
