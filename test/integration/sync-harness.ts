import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { connectClient } from '../../client/temporal';
import { integrationIdOf, type IntegrationConfig } from '../../domain/sync-state-schemas';
import { syncRunWorkflowId } from '../../domain/ids';
import { loadConfig } from '../../workers/config';
import { createDeps, type Deps } from '../../workers/deps';
import { createWorker } from '../../workers/worker';
import { testWorkflowBundle } from '../setup/workflow-bundle';
import type { SyncRunInput, SyncRunResult } from '../../workflows/sync-run';
import { integrationEndpoints, unique } from '../helpers';

type Data = Record<string, unknown>;

/**
 * A sync test bench on the real servers through the production wiring: fresh CRM, Books and sync-state
 * databases, a worker on its own task queue, a client, and helpers to seed orgs and run syncs.
 */
export interface SyncBench {
  deps: Deps;
  client: Client;
  taskQueue: string;
  crmOrg: string;
  booksOrg: string;
  integrationId: string;
  /** The names of the bench's CRM, Books and sync-state databases (for writes that bypass the stores). */
  dbs: { crm: string; books: string; sync: string };
  /** Saves the integration (creating or updating it) with this configuration. */
  configure(config: ConfigInput, opts?: { direction?: 'two_way' | 'one_way' }): Promise<void>;
  /** Runs sync run n to completion on the bench's worker. */
  sync(extra?: Partial<SyncRunInput>): Promise<SyncRunResult>;
  crm(module: 'Accounts' | 'Contacts' | 'Vendors' | 'Products'): {
    put(records: Data[]): Promise<unknown>;
    all(): Promise<
      { id: string; data: Data; modifiedTime: Date; deleted: boolean; syncKey?: string | undefined }[]
    >;
  };
  books(module: 'contacts' | 'items'): {
    put(records: Data[]): Promise<unknown>;
    all(): Promise<
      { id: string; data: Data; modifiedTime: Date; deleted: boolean; syncKey?: string | undefined }[]
    >;
  };
  /** Starts a second worker (e.g. after the first was shut down mid-run). */
  startWorker(): Promise<{ worker: Worker; run: Promise<void> }>;
  /** With CBS_RECORD_HISTORIES=1, saves run n's history (or a workflow's, by id) for the replay tests. */
  recordHistory(name: string, run: number | string): Promise<void>;
  /** Shuts every running worker down (in-flight activities are cancelled) and waits until they stopped. */
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

export type ConfigInput = {
  customers?: Partial<IntegrationConfig['customers']>;
  vendors?: Partial<IntegrationConfig['vendors']>;
  items?: Partial<IntegrationConfig['items']>;
};

/**
 * A Books contacts custom field `cf_region` and the customers' map of the CRM field `Region` onto it (owned by
 * the CRM), as a custom-field map test sets them up.
 */
export async function withRegionCustomField(
  bench: SyncBench,
): Promise<Partial<IntegrationConfig['customers']>> {
  await bench.deps.booksStore.saveCustomFields(bench.booksOrg, 'contacts', [
    { customfield_id: 'cf1', label: 'Region', api_name: 'cf_region', data_type: 'string' },
  ]);
  return {
    module: 'accounts',
    fieldMaps: [
      { crmField: 'Region', booksField: 'custom_fields.cf_region', owner: 'crm', mandatory: false },
    ],
  };
}

export async function createSyncBench(
  opts: { currency?: string; edition?: string; mc?: boolean } = {},
): Promise<SyncBench> {
  const { temporalAddress, mongoUri } = integrationEndpoints();
  const tag = unique('s').replace(/-/g, '_');
  const config = loadConfig({
    ...process.env,
    CBS_CRM_DB: `${tag}_crm`,
    CBS_BOOKS_DB: `${tag}_books`,
    CBS_SYNC_DB: `${tag}_sync`,
    TEMPORAL_ADDRESS: '',
  });
  const deps = await createDeps({ ...config.app.mongo, uri: mongoUri });
  const taskQueue = unique('sync-tq');
  const connection = await NativeConnection.connect({ address: temporalAddress });
  const client = await connectClient({
    connect: config.temporalConnect,
    address: temporalAddress,
    namespace: 'default',
  });
  const crmOrg = unique('crm');
  const booksOrg = unique('books');
  const integrationId = integrationIdOf(crmOrg, booksOrg, 'production');
  const currency = opts.currency ?? 'USD';

  await deps.crmStore.saveOrg({
    id: crmOrg,
    company_name: 'Zylker Inc',
    edition: (opts.edition ?? 'ENTERPRISE') as 'ENTERPRISE',
    mc_status: opts.mc ?? true,
    iso_code: currency,
  });
  await deps.booksStore.saveOrganization({
    organization_id: booksOrg,
    name: 'Zylker Books',
    currency_code: 'USD',
    email: 'books@zylker.test',
    country: 'U.S.A',
  });
  await deps.booksStore.saveCurrencies(booksOrg, [
    { currency_id: 'c-usd', currency_code: 'USD', price_precision: 2, is_base_currency: true },
    {
      currency_id: 'c-eur',
      currency_code: 'EUR',
      price_precision: 2,
      is_base_currency: false,
      exchange_rate: 1.1,
    },
  ]);

  const workers: { worker: Worker; run: Promise<void> }[] = [];
  const startWorker = async () => {
    const worker = await createWorker({
      connection,
      namespace: 'default',
      taskQueue,
      deps,
      workflowBundle: await testWorkflowBundle(),
    });
    const entry = { worker, run: worker.run() };
    workers.push(entry);
    return entry;
  };
  await startWorker();
  let runNumber = 0;
  let version: number | undefined;

  const recordsOf = (
    collection: {
      upsertMany(org: string, r: { id: string; data: Data }[]): Promise<unknown>;
      findChangedSince(
        org: string,
        after: null,
        limit: number,
      ): Promise<{
        records: {
          id: string;
          data: Data;
          modifiedTime: Date;
          deleted: boolean;
          syncKey?: string | undefined;
        }[];
      }>;
    },
    org: string,
    idKey: string,
  ) => ({
    put: (records: Data[]) =>
      collection.upsertMany(
        org,
        records.map((data) => ({ id: String(data[idKey]), data })),
      ),
    all: async () => (await collection.findChangedSince(org, null, 10_000)).records,
  });

  return {
    deps,
    client,
    taskQueue,
    crmOrg,
    booksOrg,
    integrationId,
    dbs: { crm: `${tag}_crm`, books: `${tag}_books`, sync: `${tag}_sync` },
    async configure(input, o = {}) {
      const fullConfig = {
        customers: {
          module: 'accounts',
          extent: 'fetch_from_crm',
          duplicatePolicy: 'clone',
          includeOrphanContacts: false,
          fieldMaps: [],
          ...input.customers,
        },
        vendors: { extent: 'fetch_from_crm', duplicatePolicy: 'clone', fieldMaps: [], ...input.vendors },
        items: { extent: 'fetch_from_crm', duplicatePolicy: 'clone', fieldMaps: [], ...input.items },
        transactionSync: false,
        periodicSyncMinutes: 120,
      } as IntegrationConfig;
      const saved = await deps.syncState.saveIntegration({
        crmOrgId: crmOrg,
        booksOrgId: booksOrg,
        environment: 'production',
        direction: o.direction ?? 'two_way',
        status: 'active',
        config: fullConfig,
        version: version ?? 0,
      });
      version = saved.version;
    },
    async sync(extra = {}) {
      runNumber++;
      return client.workflow.execute('syncRunWorkflow', {
        taskQueue,
        workflowId: syncRunWorkflowId(integrationId, runNumber),
        args: [{ integrationId, runNumber, trigger: runNumber === 1 ? 'initial' : 'instant', ...extra }],
      });
    },
    crm: (module) => recordsOf(deps.crmStore.module(module) as never, crmOrg, 'id'),
    books: (module) =>
      recordsOf(
        deps.booksStore.module(module) as never,
        booksOrg,
        module === 'items' ? 'item_id' : 'contact_id',
      ),
    startWorker,
    async recordHistory(name, n) {
      if (process.env.CBS_RECORD_HISTORIES !== '1') return;
      const workflowId = typeof n === 'string' ? n : syncRunWorkflowId(integrationId, n);
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const file = path.join(__dirname, '..', 'replay', 'histories', `${name}.json`);
      await fs.writeFile(file, JSON.stringify({ workflowId, history }, null, 1));
    },
    async stopWorkers() {
      for (const w of workers) {
        if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
        await w.run.catch(() => undefined);
      }
    },
    async close() {
      for (const w of workers) {
        if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
        await w.run.catch(() => undefined);
      }
      await connection.close();
      await client.connection.close();
      for (const suffix of ['crm', 'books', 'sync']) await deps.mongo.db(`${tag}_${suffix}`).dropDatabase();
      await deps.close();
    },
  };
}

/** Totals of a run over all modules and directions. */
export function totals(result: SyncRunResult): Record<string, number> {
  const out: Record<string, number> = {
    added: 0,
    updated: 0,
    unchanged: 0,
    skipped: 0,
    failed: 0,
    deleted: 0,
  };
  for (const byDirection of Object.values(result.counts)) {
    for (const counts of Object.values(byDirection as unknown as Record<string, Record<string, number>>)) {
      for (const [k, v] of Object.entries(counts)) out[k] = (out[k] ?? 0) + v;
    }
  }
  return out;
}
