import { MongoBulkWriteError, type Collection } from 'mongodb';
import { syncRunWorkflowId } from '../domain/ids';
import type { IntegrationConfig, RunTrigger } from '../domain/sync-state-schemas';
import type { SyncRunResult } from '../workflows/sync-run';
import { benchConfig, dropBenchDatabases, startBenchWorker, type ScenarioContext } from './harness';

/*
 * A bench integration for the sync scenarios (sync-scenarios.ts, two-way.ts): its own databases, worker and
 * client, N CRM records seeded, and its runs started one after another as the integration workflow would.
 */

export const CRM_ORG = 'bench-crm';
export const BOOKS_ORG = 'bench-books';

const p7 = (i: number) => String(i).padStart(7, '0');

/** CRM master data of an initial sync: accounts with contacts, orphan contacts, vendors, products. */
export function crmDataset(n: number) {
  const accounts = Math.round(n * 0.3);
  const contacts = Math.round(n * 0.35);
  const orphans = Math.round(n * 0.1);
  const vendors = Math.round(n * 0.1);
  const products = n - accounts - contacts - orphans - vendors;
  return {
    Accounts: Array.from({ length: accounts }, (_, i) => ({
      id: `a${p7(i)}`,
      Account_Name: `Account ${p7(i)}`,
      Phone: `+1 555 ${p7(i)}`,
      Website: `https://a${i}.example.test`,
      Billing_City: 'Springfield',
      Billing_Country: 'USA',
      Currency: 'USD',
    })),
    Contacts: [
      ...Array.from({ length: contacts }, (_, i) => ({
        id: `c${p7(i)}`,
        First_Name: `First${i}`,
        Last_Name: `Last${i}`,
        Email: `c${i}@example.test`,
        Account_Name: { id: `a${p7(i % accounts)}`, name: `Account ${p7(i % accounts)}` },
      })),
      ...Array.from({ length: orphans }, (_, i) => ({
        id: `o${p7(i)}`,
        First_Name: `Solo${i}`,
        Last_Name: `Person${i}`,
        Email: `o${i}@example.test`,
      })),
    ],
    Vendors: Array.from({ length: vendors }, (_, i) => ({
      id: `v${p7(i)}`,
      Vendor_Name: `Vendor ${p7(i)}`,
      City: 'Leeds',
    })),
    Products: Array.from({ length: products }, (_, i) => ({
      id: `p${p7(i)}`,
      Product_Name: `Product ${p7(i)}`,
      Product_Code: `SKU${i}`,
      Unit_Price: 10 + (i % 90),
      Product_Active: true,
    })),
  };
}

export type CrmDataset = ReturnType<typeof crmDataset>;
export type CrmBenchModule = keyof CrmDataset;

/** The configuration of the initial-sync family: every master module fetched from the CRM, orphans included. */
export const FETCH_ALL: IntegrationConfig = {
  customers: {
    module: 'accounts_and_contacts',
    includeOrphanContacts: true,
    extent: 'fetch_from_crm',
    duplicatePolicy: 'clone',
    fieldMaps: [],
  },
  vendors: { extent: 'fetch_from_crm', duplicatePolicy: 'clone', fieldMaps: [] },
  items: { extent: 'fetch_from_crm', duplicatePolicy: 'clone', fieldMaps: [] },
  transactionSync: false,
  periodicSyncMinutes: 120,
};

/**
 * A bench integration on its own databases and task queue: a worker, a client, N CRM records seeded
 * (accounts with contacts, orphans, vendors, products) and an integration with `config` over them.
 */
export async function benchIntegration(
  ctx: Pick<ScenarioContext, 'temporal' | 'mongoUri'>,
  n: number,
  config: IntegrationConfig = FETCH_ALL,
) {
  const tag = `bench_${Date.now()}`;
  const workerConfig = benchConfig(tag);
  const { running, client } = await startBenchWorker(workerConfig, ctx.temporal, ctx.mongoUri);
  const { deps } = running;
  await deps.crmStore.saveOrg({
    id: CRM_ORG,
    company_name: 'Bench',
    edition: 'ENTERPRISE',
    mc_status: false,
    iso_code: 'USD',
  });
  await deps.booksStore.saveOrganization({
    organization_id: BOOKS_ORG,
    name: 'Bench Books',
    currency_code: 'USD',
  });
  await deps.booksStore.saveCurrencies(BOOKS_ORG, [
    { currency_id: 'usd', currency_code: 'USD', price_precision: 2, is_base_currency: true },
  ]);
  const data = crmDataset(n);
  const s0 = Date.now();
  for (const [module, records] of Object.entries(data)) await putCrm(deps, module as CrmBenchModule, records);
  process.stderr.write(`seeded ${n} CRM records in ${Date.now() - s0} ms\n`);
  const saved = await deps.syncState.saveIntegration({
    crmOrgId: CRM_ORG,
    booksOrgId: BOOKS_ORG,
    environment: 'production',
    direction: 'two_way',
    status: 'active',
    version: 0,
    config,
  });
  let runNumber = 0;
  /** The next run of the integration, to its end; throws unless it completed. */
  const run = async (
    tuning: ScenarioContext['tuning'] = {},
  ): Promise<{ runNumber: number; wallMs: number; result: SyncRunResult; firstRunId: string }> => {
    runNumber++;
    const trigger: RunTrigger = runNumber === 1 ? 'initial' : 'instant';
    const t0 = Date.now();
    const handle = await client.workflow.start('syncRunWorkflow', {
      taskQueue: workerConfig.app.temporal.taskQueue,
      workflowId: syncRunWorkflowId(saved._id, runNumber),
      args: [{ integrationId: saved._id, runNumber, trigger, ...tuning }],
    });
    const result = (await handle.result()) as SyncRunResult;
    const wallMs = Date.now() - t0;
    if (result.status !== 'completed') throw new Error(`run ${runNumber} ended ${result.status}`);
    process.stderr.write(`run ${runNumber} (N=${n}): ${wallMs} ms\n`);
    return { runNumber, wallMs, result, firstRunId: handle.firstExecutionRunId };
  };
  const close = async () => {
    await client.connection.close();
    await running.shutdown();
    await dropBenchDatabases(ctx.mongoUri, tag);
  };
  return { tag, config: workerConfig, running, client, saved, data, run, close };
}

export type BenchIntegration = Awaited<ReturnType<typeof benchIntegration>>;

/** Writes CRM records through the store (so every write moves the module's change marker), 1,000 a call. */
export async function putCrm(
  deps: BenchIntegration['running']['deps'],
  module: CrmBenchModule,
  records: readonly { id: string }[],
): Promise<void> {
  const collection = deps.crmStore.module(module as 'Accounts');
  for (let i = 0; i < records.length; i += 1000)
    await collection.upsertMany(
      CRM_ORG,
      records.slice(i, i + 1000).map((r) => ({ id: r.id, data: r as never })),
    );
}

/**
 * Writes documents with the driver alone, as a bulk upsert by _id in the form this server runs fastest:
 * 1,000 per unordered insert, and a document refused as present replaced by _id. (On FerretDB v1 an
 * updateOne-upsert scans the collection per document, so a bulk of them grows with the square of the data:
 * 427 s for the 6,500 documents of N=10,000, hours at N=100,000.) Returns the wall time in ms.
 */
export async function insertFirstUpsert(
  target: Collection<{ _id: string }>,
  docs: { _id: string }[],
): Promise<number> {
  const t0 = Date.now();
  for (let i = 0; i < docs.length; i += 1000) {
    const batch = docs.slice(i, i + 1000);
    const present = await target
      .insertMany(batch, { ordered: false })
      .then(() => [])
      .catch((err: unknown) =>
        err instanceof MongoBulkWriteError
          ? [err.writeErrors].flat().map((e) => batch[e.index]!)
          : Promise.reject(err),
      );
    for (const doc of present) await target.replaceOne({ _id: doc._id }, doc, { upsert: true });
  }
  return Date.now() - t0;
}

/** Totals of a run's counts over its modules and directions, or over those `where` keeps. */
export function countTotals(
  counts: SyncRunResult['counts'],
  where: (module: string, direction: string) => boolean = () => true,
): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const [module, byDirection] of Object.entries(counts))
    for (const [direction, c] of Object.entries(byDirection))
      if (c && where(module, direction))
        for (const [k, v] of Object.entries(c)) totals[k] = (totals[k] ?? 0) + v;
  return totals;
}
