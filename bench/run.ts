#!/usr/bin/env node
import { MongoBulkWriteError, MongoClient } from 'mongodb';
import { TEMPORAL_SQLITE_PRAGMAS } from '../scripts/launch';
import { startEphemeralServices } from '../scripts/services';
import { loadConfig, type LoadedConfig } from '../workers/config';
import { createLogger } from '../workers/logging';
import { startWorker } from '../workers/service';
import { connectClient, historyLengths, startWiringCheck } from '../client/temporal';
import { syncRunWorkflowId } from '../domain/ids';

/**
 * Benchmark runner: `npm run bench -- <scenario> [--json] [--n N]`. Every scenario measures our path and a
 * baseline on the same servers in the same run, and prints both with their ratio and the server settings.
 */

interface Figures {
  scenario: string;
  n: number;
  ours: { wallMs: number; perSecond: number };
  baseline: { name: string; wallMs: number; perSecond: number };
  ratio: number;
  historyEventsPerExecution?: number[];
  servers: { temporal: string; mongo: string; temporalSqlitePragmas: string[] };
}

type Scenario = (ctx: {
  n: number;
  temporal: string;
  mongoUri: string;
  /** Sync-run tuning from `--chunk N` and `--per-activity N` (else the activity's defaults). */
  tuning: { chunkSize?: number; maxRecordsPerActivity?: number };
}) => Promise<Omit<Figures, 'servers' | 'scenario'>>;

const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000 * 10) / 10;

/** The production worker and a client against the bench's servers. */
async function startBenchWorker(config: LoadedConfig, temporal: string, mongoUri: string) {
  const endpoints = {
    temporal: { address: temporal, uiUrl: undefined, description: '' },
    mongo: { uri: mongoUri, description: '' },
  };
  const running = await startWorker(config, endpoints, createLogger('warn'));
  const client = await connectClient({
    connect: config.temporalConnect,
    address: temporal,
    namespace: 'default',
  });
  return { running, client };
}

/** CRM master data of an initial sync: accounts with contacts, orphan contacts, vendors, products. */
function crmDataset(n: number) {
  const accounts = Math.round(n * 0.3);
  const contacts = Math.round(n * 0.35);
  const orphans = Math.round(n * 0.1);
  const vendors = Math.round(n * 0.1);
  const products = n - accounts - contacts - orphans - vendors;
  const p = (i: number) => String(i).padStart(7, '0');
  return {
    Accounts: Array.from({ length: accounts }, (_, i) => ({
      id: `a${p(i)}`,
      Account_Name: `Account ${p(i)}`,
      Phone: `+1 555 ${p(i)}`,
      Website: `https://a${i}.example.test`,
      Billing_City: 'Springfield',
      Billing_Country: 'USA',
      Currency: 'USD',
    })),
    Contacts: [
      ...Array.from({ length: contacts }, (_, i) => ({
        id: `c${p(i)}`,
        First_Name: `First${i}`,
        Last_Name: `Last${i}`,
        Email: `c${i}@example.test`,
        Account_Name: { id: `a${p(i % accounts)}`, name: `Account ${p(i % accounts)}` },
      })),
      ...Array.from({ length: orphans }, (_, i) => ({
        id: `o${p(i)}`,
        First_Name: `Solo${i}`,
        Last_Name: `Person${i}`,
        Email: `o${i}@example.test`,
      })),
    ],
    Vendors: Array.from({ length: vendors }, (_, i) => ({
      id: `v${p(i)}`,
      Vendor_Name: `Vendor ${p(i)}`,
      City: 'Leeds',
    })),
    Products: Array.from({ length: products }, (_, i) => ({
      id: `p${p(i)}`,
      Product_Name: `Product ${p(i)}`,
      Product_Code: `SKU${i}`,
      Unit_Price: 10 + (i % 90),
      Product_Active: true,
    })),
  };
}

const scenarios: Record<string, { describe: string; defaultN: number; run: Scenario }> = {
  'initial-sync': {
    describe:
      'initial sync of N CRM records (accounts with contacts, orphans, vendors, products) to Books, vs bulk-upserting the same Books documents with the driver',
    defaultN: 10_000,
    async run({ n, temporal, mongoUri, tuning }) {
      const tag = `bench_${Date.now()}`;
      const config = loadConfig({
        ...process.env,
        CBS_CRM_DB: `${tag}_crm`,
        CBS_BOOKS_DB: `${tag}_books`,
        CBS_SYNC_DB: `${tag}_sync`,
        CBS_TASK_QUEUE: tag,
        TEMPORAL_ADDRESS: '',
      });
      const { running, client } = await startBenchWorker(config, temporal, mongoUri);
      const { deps } = running;
      try {
        const crmOrg = 'bench-crm';
        const booksOrg = 'bench-books';
        await deps.crmStore.saveOrg({
          id: crmOrg,
          company_name: 'Bench',
          edition: 'ENTERPRISE',
          mc_status: false,
          iso_code: 'USD',
        });
        await deps.booksStore.saveOrganization({
          organization_id: booksOrg,
          name: 'Bench Books',
          currency_code: 'USD',
        });
        await deps.booksStore.saveCurrencies(booksOrg, [
          { currency_id: 'usd', currency_code: 'USD', price_precision: 2, is_base_currency: true },
        ]);
        const data = crmDataset(n);
        const s0 = Date.now();
        for (const [module, records] of Object.entries(data)) {
          const collection = deps.crmStore.module(module as 'Accounts');
          for (let i = 0; i < records.length; i += 1000)
            await collection.upsertMany(
              crmOrg,
              records.slice(i, i + 1000).map((r) => ({ id: r.id, data: r as never })),
            );
        }
        process.stderr.write(`seeded ${n} CRM records in ${Date.now() - s0} ms\n`);
        const saved = await deps.syncState.saveIntegration({
          crmOrgId: crmOrg,
          booksOrgId: booksOrg,
          environment: 'production',
          direction: 'two_way',
          status: 'active',
          version: 0,
          config: {
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
          },
        });
        const workflowId = syncRunWorkflowId(saved._id, 1);
        const t0 = Date.now();
        const handle = await client.workflow.start('syncRunWorkflow', {
          taskQueue: config.app.temporal.taskQueue,
          workflowId,
          args: [{ integrationId: saved._id, runNumber: 1, trigger: 'initial', ...tuning }],
        });
        const result = (await handle.result()) as { status: string };
        const oursMs = Date.now() - t0;
        if (result.status !== 'completed') throw new Error(`the sync ended ${result.status}`);

        // History size of every execution of the run (continue-as-new chain).
        const events = await historyLengths(client, workflowId, handle.firstExecutionRunId);

        // Baseline: the same Books documents written with the driver alone, as a bulk upsert by _id in the form
        // this server runs fastest: 1,000 per unordered insert, and a document refused as present replaced by
        // _id. (On FerretDB v1 an updateOne-upsert scans the collection per document, so a bulk of them grows
        // with the square of the data: 427 s for the 6,500 documents of N=10,000, hours at N=100,000.)
        const produced = await deps.mongo.db(`${tag}_books`).collection('books_contacts').find({}).toArray();
        const producedItems = await deps.mongo
          .db(`${tag}_books`)
          .collection('books_items')
          .find({})
          .toArray();
        const docs = [...produced, ...producedItems].map((d) => ({ ...d, _id: String(d._id) }));
        const target = deps.mongo.db(`${tag}_baseline`).collection<{ _id: string }>('books');
        const b0 = Date.now();
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
        const baseMs = Date.now() - b0;
        return {
          n,
          ours: { wallMs: oursMs, perSecond: perSecond(n, oursMs) },
          baseline: {
            name: `driver bulk upsert (insert-first) of the ${docs.length} Books documents the sync produced`,
            wallMs: baseMs,
            perSecond: perSecond(docs.length, baseMs),
          },
          ratio: Math.round((oursMs / baseMs) * 100) / 100,
          historyEventsPerExecution: events,
        };
      } finally {
        await client.connection.close();
        await running.shutdown();
        const m = await MongoClient.connect(mongoUri);
        for (const suffix of ['crm', 'books', 'sync', 'baseline'])
          await m.db(`${tag}_${suffix}`).dropDatabase();
        await m.close();
      }
    },
  },
  'wiring-check': {
    describe:
      'N wiring-check workflows (one MongoDB write+read activity each), 50 at a time, vs N direct driver upserts',
    defaultN: 500,
    async run({ n, temporal, mongoUri }) {
      const db = `bench_${Date.now()}`;
      const config = loadConfig({
        ...process.env,
        CBS_SYNC_DB: db,
        CBS_TASK_QUEUE: `bench-${Date.now()}`,
        TEMPORAL_ADDRESS: '',
      });
      const { running, client } = await startBenchWorker(config, temporal, mongoUri);
      const mongo = await MongoClient.connect(mongoUri);
      try {
        const t0 = Date.now();
        for (let i = 0; i < n; i += 50) {
          const batch = Array.from({ length: Math.min(50, n - i) }, (_, j) =>
            startWiringCheck(client, config.app.temporal.taskQueue, { checkId: `b${t0}-${i + j}` }).then(
              (h) => h.result(),
            ),
          );
          await Promise.all(batch);
        }
        const oursMs = Date.now() - t0;

        const coll = mongo.db(db).collection<{ _id: string }>('baseline');
        const b0 = Date.now();
        for (let i = 0; i < n; i += 50) {
          await Promise.all(
            Array.from({ length: Math.min(50, n - i) }, (_, j) =>
              coll
                .updateOne({ _id: `b${i + j}` }, { $set: { at: new Date() } }, { upsert: true })
                .then(() => coll.findOne({ _id: `b${i + j}` })),
            ),
          );
        }
        const baseMs = Date.now() - b0;
        return {
          n,
          ours: { wallMs: oursMs, perSecond: perSecond(n, oursMs) },
          baseline: {
            name: 'direct driver upsert+read, 50 concurrent',
            wallMs: baseMs,
            perSecond: perSecond(n, baseMs),
          },
          ratio: Math.round((oursMs / baseMs) * 100) / 100,
        };
      } finally {
        await client.connection.close();
        await running.shutdown();
        await mongo.db(db).dropDatabase();
        await mongo.close();
      }
    },
  },
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const valueOf = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const valued = new Set(['--n', '--chunk', '--per-activity']);
  const name = args.find((a, i) => !a.startsWith('--') && !valued.has(args[i - 1] ?? ''));
  const scenario = name ? scenarios[name] : undefined;
  if (!name || !scenario) {
    process.stderr.write(
      `usage: npm run bench -- <scenario> [--n N] [--chunk N] [--per-activity N] [--json]\nscenarios:\n${Object.entries(
        scenarios,
      )
        .map(([k, v]) => `  ${k}  ${v.describe} (default N=${v.defaultN})`)
        .join('\n')}\n`,
    );
    process.exitCode = 2;
    return;
  }
  const n = valueOf('--n') ?? scenario.defaultN;
  const chunkSize = valueOf('--chunk');
  const maxRecordsPerActivity = valueOf('--per-activity');
  const tuning = {
    ...(chunkSize !== undefined && { chunkSize }),
    ...(maxRecordsPerActivity !== undefined && { maxRecordsPerActivity }),
  };
  const { app } = loadConfig();
  const services = await startEphemeralServices({
    config: app,
    need: { temporal: true, mongo: true },
    progress: (l) => process.stderr.write(`${l}\n`),
  });
  try {
    const figures: Figures = {
      scenario: name,
      ...(await scenario.run({
        n,
        temporal: services.temporal!.address,
        mongoUri: services.mongo!.uri,
        tuning,
      })),
      servers: {
        temporal: services.temporal!.description,
        mongo: services.mongo!.description,
        temporalSqlitePragmas: TEMPORAL_SQLITE_PRAGMAS,
      },
    };
    if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
    else
      process.stdout.write(
        `${name}: N=${figures.n}\n` +
          `  ours      ${figures.ours.wallMs} ms  ${figures.ours.perSecond}/s\n` +
          `  baseline  ${figures.baseline.wallMs} ms  ${figures.baseline.perSecond}/s  (${figures.baseline.name})\n` +
          `  ratio     ${figures.ratio}× the baseline's wall time\n` +
          (figures.historyEventsPerExecution
            ? `  history   ${figures.historyEventsPerExecution.join(', ')} events per workflow execution\n`
            : '') +
          `  servers   ${figures.servers.temporal}; ${figures.servers.mongo}; SQLite ${figures.servers.temporalSqlitePragmas.join(', ')}\n`,
      );
  } finally {
    await services.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
