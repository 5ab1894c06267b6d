#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import {
  MongoBulkWriteError,
  MongoClient,
  type Collection,
  type CommandFailedEvent,
  type CommandStartedEvent,
  type CommandSucceededEvent,
} from 'mongodb';
import { TEMPORAL_SQLITE_PRAGMAS } from '../scripts/launch';
import { startEphemeralServices } from '../scripts/services';
import { loadConfig, type LoadedConfig } from '../workers/config';
import { createLogger } from '../workers/logging';
import { startWorker } from '../workers/service';
import { connectClient, historyLengths, startWiringCheck } from '../client';
import { syncRunWorkflowId } from '../domain/ids';
import { LinkEntitySchema } from '../domain/sync-state-schemas';
import { linksCollectionOf } from '../stores/sync-state-store';
import { WRITE_SETTLE_MS } from '../stores/delta';
import { dealToInvoiceScenario } from './deal-to-invoice';
import { transactionsScenario } from './transactions';
import { userMigrationScenario } from './user-migration';

/**
 * Benchmark runner: `npm run bench -- <scenario> [--json] [--n N]`. Every scenario measures our path and a
 * baseline on the same servers in the same run, and prints both with their ratio and the server settings.
 */

interface Baseline {
  name: string;
  wallMs: number;
  perSecond: number;
}

interface Figures {
  scenario: string;
  n: number;
  ours: { wallMs: number; perSecond: number };
  baseline: Baseline;
  ratio: number;
  /** A second, wider baseline (e.g. everything the sync writes, not only the target records), with its ratio. */
  widerBaseline?: Baseline & { ratio: number };
  /** With `--commands`: the worker's MongoDB commands during our part, by command and collection, slowest first. */
  oursCommands?: { command: string; count: number; ms: number }[];
  /** CPU time (ms) used during our part: by this process (worker and client) and by each server it started. */
  oursCpuMs?: { benchProcess: number; mongoServer?: number; temporalServer?: number };
  historyEventsPerExecution?: number[];
  /** delta-window: the run after the settle window passed, its ratio to the quiet run, the margin, each run. */
  afterWindow?: { wallMs: number; ratio: number };
  settleMs?: number;
  runs?: { runNumber: number; wallMs: number; counts: unknown }[];
  servers: { temporal: string; mongo: string; temporalSqlitePragmas: string[] };
}

type Scenario = (ctx: {
  n: number;
  temporal: string;
  mongoUri: string;
  /** Sync-run tuning from `--chunk N` and `--per-activity N` (else the activity's defaults). */
  tuning: { chunkSize?: number; maxRecordsPerActivity?: number };
  /** `--commands`: time the worker's MongoDB commands during our part. */
  commands: boolean;
  /** Process ids of the servers this run started (none for servers given by address). */
  pids: { temporal?: number | undefined; mongo?: number | undefined };
}) => Promise<Omit<Figures, 'servers' | 'scenario'>>;

/** A connection string with one more option in its query. */
function withUriOption(uri: string, name: string, value: string): string {
  const url = new URL(uri);
  url.searchParams.set(name, value);
  return url.toString();
}

const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000 * 10) / 10;
const ratioOf = (ms: number, baseMs: number) => Math.round((ms / baseMs) * 100) / 100;

/** CPU time (user + system, ms) a process has used so far, from /proc; undefined where it cannot be read. */
async function processCpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // After the command name in parentheses, the fields run from stat(5)'s 3rd (state): utime is the 14th and
    // stime the 15th, in clock ticks of 1/100 s (USER_HZ on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Counts CPU time from now: of this process, and of each server process given. */
async function cpuMeter(pids: { temporal?: number | undefined; mongo?: number | undefined }) {
  const self = process.cpuUsage();
  const [mongo0, temporal0] = await Promise.all([processCpuMs(pids.mongo), processCpuMs(pids.temporal)]);
  return async (): Promise<NonNullable<Figures['oursCpuMs']>> => {
    const used = process.cpuUsage(self);
    const [mongo1, temporal1] = await Promise.all([processCpuMs(pids.mongo), processCpuMs(pids.temporal)]);
    return {
      benchProcess: Math.round((used.user + used.system) / 1000),
      ...(mongo0 !== undefined && mongo1 !== undefined && { mongoServer: mongo1 - mongo0 }),
      ...(temporal0 !== undefined && temporal1 !== undefined && { temporalServer: temporal1 - temporal0 }),
    };
  };
}

/**
 * Times the commands a client sends (it must have been created with `monitorCommands`) from now on, by
 * command name and collection; the result lists them slowest first.
 */
function commandTimer(mongo: MongoClient) {
  const started = new Map<number, { what: string; at: number }>();
  const totals = new Map<string, { count: number; ms: number }>();
  const onStart = (e: CommandStartedEvent) => {
    const target: unknown = e.command[e.commandName];
    const collection = e.commandName === 'getMore' ? String(e.command.collection) : String(target);
    started.set(e.requestId, { what: `${e.commandName} ${collection}`, at: performance.now() });
  };
  const onEnd = (e: CommandSucceededEvent | CommandFailedEvent) => {
    const s = started.get(e.requestId);
    if (!s) return;
    started.delete(e.requestId);
    const total = totals.get(s.what) ?? { count: 0, ms: 0 };
    total.count++;
    total.ms += performance.now() - s.at;
    totals.set(s.what, total);
  };
  mongo.on('commandStarted', onStart).on('commandSucceeded', onEnd).on('commandFailed', onEnd);
  return (): NonNullable<Figures['oursCommands']> => {
    mongo.off('commandStarted', onStart).off('commandSucceeded', onEnd).off('commandFailed', onEnd);
    return [...totals]
      .map(([command, t]) => ({ command, count: t.count, ms: Math.round(t.ms) }))
      .sort((a, b) => b.ms - a.ms);
  };
}

/**
 * Writes documents with the driver alone, as a bulk upsert by _id in the form this server runs fastest:
 * 1,000 per unordered insert, and a document refused as present replaced by _id. (On FerretDB v1 an
 * updateOne-upsert scans the collection per document, so a bulk of them grows with the square of the data:
 * 427 s for the 6,500 documents of N=10,000, hours at N=100,000.) Returns the wall time in ms.
 */
async function insertFirstUpsert(
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

/** The configuration of a bench on its own databases and task queue, named by `tag`. */
function benchConfig(tag: string) {
  return loadConfig({
    ...process.env,
    CBS_CRM_DB: `${tag}_crm`,
    CBS_BOOKS_DB: `${tag}_books`,
    CBS_SYNC_DB: `${tag}_sync`,
    CBS_TASK_QUEUE: tag,
    TEMPORAL_ADDRESS: '',
  });
}

/**
 * A bench integration on its own databases and task queue: a worker, a client, N CRM records seeded
 * (accounts with contacts, orphans, vendors, products) and an integration fetching them all from the CRM.
 */
async function benchIntegration(n: number, temporal: string, mongoUri: string) {
  const tag = `bench_${Date.now()}`;
  const config = benchConfig(tag);
  const { running, client } = await startBenchWorker(config, temporal, mongoUri);
  const { deps } = running;
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
  return { tag, config, running, client, saved };
}

/** Drops a bench integration's databases. */
async function dropBenchDatabases(mongoUri: string, tag: string): Promise<void> {
  const m = await MongoClient.connect(mongoUri);
  for (const suffix of ['crm', 'books', 'sync', 'baseline']) await m.db(`${tag}_${suffix}`).dropDatabase();
  await m.close();
}

const scenarios: Record<string, { describe: string; defaultN: number; run: Scenario }> = {
  'user-migration': userMigrationScenario({ benchConfig, startBenchWorker, dropBenchDatabases }),
  transactions: transactionsScenario({ benchConfig, startBenchWorker, dropBenchDatabases }),
  'deal-to-invoice': dealToInvoiceScenario({ benchConfig, startBenchWorker, dropBenchDatabases }),
  'initial-sync': {
    describe:
      'initial sync of N CRM records (accounts with contacts, orphans, vendors, products) to Books, vs bulk-upserting the same Books documents with the driver',
    defaultN: 10_000,
    async run({ n, temporal, mongoUri, tuning, pids, commands }) {
      const { tag, config, running, client, saved } = await benchIntegration(
        n,
        temporal,
        commands ? withUriOption(mongoUri, 'monitorCommands', 'true') : mongoUri,
      );
      const { deps } = running;
      try {
        const workflowId = syncRunWorkflowId(saved._id, 1);
        const cpuUsed = await cpuMeter(pids);
        const commandsTimed = commands ? commandTimer(deps.mongo) : undefined;
        const t0 = Date.now();
        const handle = await client.workflow.start('syncRunWorkflow', {
          taskQueue: config.app.temporal.taskQueue,
          workflowId,
          args: [{ integrationId: saved._id, runNumber: 1, trigger: 'initial', ...tuning }],
        });
        const result = (await handle.result()) as { status: string };
        const oursMs = Date.now() - t0;
        const oursCpuMs = await cpuUsed();
        const oursCommands = commandsTimed?.();
        if (result.status !== 'completed') throw new Error(`the sync ended ${result.status}`);

        // History size of every execution of the run (continue-as-new chain).
        const events = await historyLengths(client, workflowId, handle.firstExecutionRunId);

        // Baseline: the same Books documents written with the driver alone. The wider one writes the sync's
        // links too: a sync has to record which record it made from which, whatever else it does.
        const all = (db: string, collection: string) =>
          deps.mongo
            .db(`${tag}_${db}`)
            .collection(collection)
            .find({})
            .toArray()
            .then((found) => found.map((d) => ({ ...d, _id: String(d._id) })));
        const docs = [...(await all('books', 'books_contacts')), ...(await all('books', 'books_items'))];
        const links = (
          await Promise.all(LinkEntitySchema.options.map((e) => all('sync', linksCollectionOf(e))))
        ).flat();
        const baseline = deps.mongo.db(`${tag}_baseline`);
        const baseMs = await insertFirstUpsert(baseline.collection('books'), docs);
        const widerMs = baseMs + (await insertFirstUpsert(baseline.collection('links'), links));
        return {
          n,
          ours: { wallMs: oursMs, perSecond: perSecond(n, oursMs) },
          baseline: {
            name: `driver bulk upsert (insert-first) of the ${docs.length} Books documents the sync produced`,
            wallMs: baseMs,
            perSecond: perSecond(docs.length, baseMs),
          },
          ratio: ratioOf(oursMs, baseMs),
          widerBaseline: {
            name: `the same, then the ${links.length} links the sync wrote`,
            wallMs: widerMs,
            perSecond: perSecond(docs.length + links.length, widerMs),
            ratio: ratioOf(oursMs, widerMs),
          },
          oursCpuMs,
          ...(oursCommands && { oursCommands }),
          historyEventsPerExecution: events,
        };
      } finally {
        await client.connection.close();
        await running.shutdown();
        await dropBenchDatabases(mongoUri, tag);
      }
    },
  },
  'delta-window': {
    describe:
      'what re-reading the unsettled window costs: after an initial sync of N records, a run at once (every record ' +
      'it wrote is less than WRITE_SETTLE_MS old: read again), one after the window has passed (reads the tail ' +
      'once more, then moves past it), and a quiet run (the baseline)',
    defaultN: 10_000,
    async run({ n, temporal, mongoUri, tuning }) {
      const { tag, config, running, client, saved } = await benchIntegration(n, temporal, mongoUri);
      try {
        const runs: { runNumber: number; wallMs: number; counts: unknown }[] = [];
        const runOnce = async (runNumber: number) => {
          const t0 = Date.now();
          const result = (await client.workflow.execute('syncRunWorkflow', {
            taskQueue: config.app.temporal.taskQueue,
            workflowId: syncRunWorkflowId(saved._id, runNumber),
            args: [
              {
                integrationId: saved._id,
                runNumber,
                trigger: runNumber === 1 ? 'initial' : 'instant',
                ...tuning,
              },
            ],
          })) as { status: string; counts: unknown };
          if (result.status !== 'completed') throw new Error(`run ${runNumber} ended ${result.status}`);
          const wallMs = Date.now() - t0;
          runs.push({ runNumber, wallMs, counts: result.counts });
          process.stderr.write(`run ${runNumber}: ${wallMs} ms\n`);
          return wallMs;
        };
        await runOnce(1);
        const firstDone = Date.now();
        const inWindowMs = await runOnce(2);
        const wait = firstDone + WRITE_SETTLE_MS + 1000 - Date.now();
        process.stderr.write(`waiting ${Math.round(wait / 1000)} s for the window to pass\n`);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const afterWindowMs = await runOnce(3);
        const quietMs = await runOnce(4);
        return {
          n,
          ours: { wallMs: inWindowMs, perSecond: perSecond(n, inWindowMs) },
          baseline: { name: 'a quiet run (nothing in the window)', wallMs: quietMs, perSecond: 0 },
          ratio: ratioOf(inWindowMs, quietMs),
          afterWindow: { wallMs: afterWindowMs, ratio: ratioOf(afterWindowMs, quietMs) },
          settleMs: WRITE_SETTLE_MS,
          runs,
        };
      } finally {
        await client.connection.close();
        await running.shutdown();
        await dropBenchDatabases(mongoUri, tag);
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
          ratio: ratioOf(oursMs, baseMs),
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
  const commands = args.includes('--commands');
  const valueOf = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const valued = new Set(['--n', '--chunk', '--per-activity']);
  const name = args.find((a, i) => !a.startsWith('--') && !valued.has(args[i - 1] ?? ''));
  const scenario = name ? scenarios[name] : undefined;
  if (!name || !scenario) {
    process.stderr.write(
      `usage: npm run bench -- <scenario> [--n N] [--chunk N] [--per-activity N] [--commands] [--json]\nscenarios:\n${Object.entries(
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
        commands,
        pids: { temporal: services.temporal!.pid, mongo: services.mongo!.pid },
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
          (figures.widerBaseline
            ? `  wider     ${figures.widerBaseline.wallMs} ms  ${figures.widerBaseline.perSecond}/s  (${figures.widerBaseline.name}): ratio ${figures.widerBaseline.ratio}×\n`
            : '') +
          (figures.oursCpuMs
            ? `  cpu       ours used ${Object.entries(figures.oursCpuMs)
                .map(([who, ms]) => `${who} ${ms} ms`)
                .join(', ')}\n`
            : '') +
          (figures.oursCommands
            ? `  commands  ours sent (slowest first):\n${figures.oursCommands
                .slice(0, 15)
                .map(
                  (c) =>
                    `            ${String(c.ms).padStart(8)} ms  ${String(c.count).padStart(5)} × ${c.command}`,
                )
                .join('\n')}\n`
            : '') +
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
