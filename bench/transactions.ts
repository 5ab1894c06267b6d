import { MongoClient } from 'mongodb';
import { createDocumentOperations, type DocumentOperations } from '../api/documents';
import { createdRecordId } from '../domain/sync/kinds';
import { seedOneCustomerIntegration } from './harness';
import type { BenchHelpers } from './user-migration';

/*
 * `npm run bench -- transactions [--n N] [--json]` (issue 16): latency from a CRM quote written through the
 * API (the store write and the signal-with-start) to its estimate existing in Books, p50/p95/p99, at a steady
 * 10 documents per second for 2 minutes (CBS_BENCH_TXN_SECONDS to shorten); then N quotes (default 10,000)
 * written at once, timed until Books holds exactly N estimates. Customer and items are in Books already (the
 * steady state). Baseline: inserting the same N estimate documents with the driver. Targets on this machine:
 * p50 <= 500 ms, p99 <= 2 s.
 */

const CRM_ORG = 'bench-crm';
const BOOKS_ORG = 'bench-books';
const RATE_PER_SECOND = 10;
const BULK_CONCURRENCY = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const perSecond = (n: number, ms: number) => Math.round((n / Math.max(ms, 1)) * 1000 * 10) / 10;

/** The p-th percentile (0-100) of sorted values, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const quote = (id: string) => ({
  id,
  Subject: `Bench quote ${id}`,
  Account_Name: { id: 'a1', name: 'Bench Customer' },
  Quoted_Items: [
    { Product_Name: { id: 'p1', name: 'Widget' }, Quantity: 1.5, List_Price: 19.99, Discount: 3 },
    { Product_Name: { id: 'p2', name: 'Gadget' }, Quantity: 2, List_Price: 5, Tax: 20 },
    { Product_Name: { id: 'p3', name: 'Gizmo' }, Quantity: 3, List_Price: 1.25 },
  ],
});

export function transactionsScenario(helpers: BenchHelpers) {
  return {
    describe:
      'CRM quotes written through the API to estimates in Books: latency at 10/s for 2 minutes, then N written at once (exactly N in Books), vs inserting the N estimates with the driver',
    defaultN: 10_000,
    async run({ n, temporal, mongoUri }: { n: number; temporal: string; mongoUri: string }) {
      const tag = `bench_txn_${Date.now()}`;
      const config = helpers.benchConfig(tag);
      const { running, client } = await helpers.startBenchWorker(config, temporal, mongoUri);
      const { deps } = running;
      const taskQueue = config.app.temporal.taskQueue;
      try {
        const integrationId = await seed(deps, client, taskQueue);
        const ops = createDocumentOperations({
          temporal: client,
          taskQueue,
          syncState: deps.syncState,
          crm: deps.crmStore,
        });
        const estimates = deps.booksStore.module('estimates');
        const booksIdOf = (crmId: string) => createdRecordId(integrationId, 'estimate', 'books', crmId);
        const ref = { crmOrgId: CRM_ORG, booksOrgId: BOOKS_ORG, environment: 'production' as const };

        const seconds = Number(process.env.CBS_BENCH_TXN_SECONDS ?? 120);
        const { latencies, failed, windows } = await steady(
          ops,
          ref,
          seconds,
          async (ids) => (await estimates.findByIds(BOOKS_ORG, ids.map(booksIdOf))).map((r) => r.id),
          booksIdOf,
        );
        const sorted = [...latencies].sort((a, b) => a - b);
        const latency = {
          documents: latencies.length,
          perSecond: RATE_PER_SECOND,
          seconds,
          p50Ms: percentile(sorted, 50),
          p95Ms: percentile(sorted, 95),
          p99Ms: percentile(sorted, 99),
          maxMs: sorted.at(-1) ?? 0,
          ...(Object.keys(failed).length > 0 && { failedWrites: failed }),
          windows,
        };
        // Said at once: the bulk part may take long, or fail, on a slow server.
        process.stderr.write(`transactions steady latency: ${JSON.stringify(latency)}\n`);
        const before = await estimates.count(BOOKS_ORG);

        const t0 = Date.now();
        const ids = Array.from({ length: n }, (_, i) => `bq${String(i).padStart(7, '0')}`);
        for (let i = 0; i < ids.length; i += BULK_CONCURRENCY)
          await Promise.all(
            ids
              .slice(i, i + BULK_CONCURRENCY)
              .map((id) => ops.writeDocument(ref, { module: 'Quotes', record: quote(id) })),
          );
        const writtenMs = Date.now() - t0;
        while ((await estimates.count(BOOKS_ORG)) - before < n) await sleep(500);
        const bulkMs = Date.now() - t0;
        await sleep(5_000);
        const count = (await estimates.count(BOOKS_ORG)) - before;
        if (count !== n) throw new Error(`expected exactly ${n} estimates in Books, found ${count}`);

        const base = await baselineMs(mongoUri, tag, ids.map(booksIdOf));
        return {
          n,
          ours: { wallMs: bulkMs, perSecond: perSecond(n, bulkMs) },
          baseline: {
            name: 'driver insertMany of the N Books estimates',
            wallMs: base,
            perSecond: perSecond(n, base),
          },
          ratio: Math.round((bulkMs / Math.max(base, 1)) * 100) / 100,
          latency,
          bulk: { documents: n, apiWritesMs: writtenMs, inBooksMs: bulkMs, countInBooks: count },
        };
      } finally {
        await client.connection.close();
        await running.shutdown();
        await helpers.dropBenchDatabases(mongoUri, tag);
      }
    },
  };
}

type Running = Awaited<ReturnType<BenchHelpers['startBenchWorker']>>['running'];

/** The orgs, the customer and three items linked in Books by a first sync run, and transaction sync on. */
function seed(
  deps: Running['deps'],
  client: Awaited<ReturnType<BenchHelpers['startBenchWorker']>>['client'],
  taskQueue: string,
): Promise<string> {
  return seedOneCustomerIntegration(
    { running: { deps }, client },
    taskQueue,
    { crmOrgId: CRM_ORG, booksOrgId: BOOKS_ORG },
    {
      transactionSync: true,
      seedMore: async () => {
        await deps.booksStore.saveTaxes(BOOKS_ORG, [
          { tax_id: 'vat20', tax_name: 'VAT', tax_percentage: 20 },
        ]);
        await deps.crmStore.module('Products').upsertMany(
          CRM_ORG,
          ['p1', 'p2', 'p3'].map((id) => ({
            id,
            data: { id, Product_Name: `Product ${id}`, Unit_Price: 5 },
          })),
        );
      },
    },
  );
}

/**
 * Writes RATE_PER_SECOND quotes a second for `seconds`, each through the API, and times each from the start
 * of its write to its estimate being found in Books (looked for every 20 ms). Returns the latencies in ms.
 */
async function steady(
  ops: DocumentOperations,
  ref: Parameters<DocumentOperations['writeDocument']>[0],
  seconds: number,
  found: (crmIds: string[]) => Promise<string[]>,
  booksIdOf: (crmId: string) => string,
): Promise<{ latencies: number[]; failed: Record<string, number>; windows: LatencyWindow[] }> {
  const pending = new Map<string, number>();
  const latencies: number[] = [];
  /** Per latency, when its write started (ms since the first write): for the per-window figures. */
  const startedAt: number[] = [];
  // A write the API refused (a busy server answers with an error) is counted by its message, not waited for.
  const failed: Record<string, number> = {};
  const total = RATE_PER_SECOND * seconds;
  let writing = true;
  const t0 = Date.now();
  const watcher = (async () => {
    while (writing || pending.size > 0) {
      const ids = [...pending.keys()];
      if (ids.length > 0) {
        const seen = new Set(await found(ids));
        for (const id of ids)
          if (seen.has(booksIdOf(id))) {
            latencies.push(Date.now() - pending.get(id)!);
            startedAt.push(pending.get(id)! - t0);
            pending.delete(id);
          }
      }
      await sleep(20);
    }
  })();
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE_PER_SECOND;
    if (due > Date.now()) await sleep(due - Date.now());
    const id = `sq${String(i).padStart(6, '0')}`;
    pending.set(id, Date.now());
    writes.push(
      ops.writeDocument(ref, { module: 'Quotes', record: quote(id) }).catch((err: unknown) => {
        pending.delete(id);
        const why = err instanceof Error ? err.message.slice(0, 200) : String(err);
        failed[why] = (failed[why] ?? 0) + 1;
      }),
    );
  }
  await Promise.all(writes);
  writing = false;
  await watcher;
  return { latencies, failed, windows: latencyWindows(latencies, startedAt, WINDOW_MS) };
}

/** The latencies of the writes started in one window of the steady phase. */
export interface LatencyWindow {
  fromS: number;
  documents: number;
  p50Ms: number;
  maxMs: number;
}

const WINDOW_MS = 10_000;

/** Latencies grouped by when their write started, per window of `windowMs`: shows a queue building up. */
export function latencyWindows(
  latencies: readonly number[],
  startedAt: readonly number[],
  windowMs: number,
): LatencyWindow[] {
  const byWindow = new Map<number, number[]>();
  latencies.forEach((ms, i) => {
    const w = Math.floor(startedAt[i]! / windowMs);
    const values = byWindow.get(w);
    if (values) values.push(ms);
    else byWindow.set(w, [ms]);
  });
  return [...byWindow.entries()]
    .sort(([a], [b]) => a - b)
    .map(([w, values]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return {
        fromS: (w * windowMs) / 1000,
        documents: sorted.length,
        p50Ms: percentile(sorted, 50),
        maxMs: sorted.at(-1)!,
      };
    });
}

/** Baseline: the same N estimate documents inserted with the driver alone, in one insertMany. */
async function baselineMs(mongoUri: string, tag: string, booksIds: string[]): Promise<number> {
  const m = await MongoClient.connect(mongoUri);
  try {
    const docs = booksIds.map((id) => ({
      _id: `${BOOKS_ORG}|${id}`,
      org: BOOKS_ORG,
      id,
      modifiedTime: new Date(),
      data: {
        estimate_id: id,
        estimate_number: id,
        status: 'draft',
        customer_id: 'c1',
        date: '2026-12-07',
        total: 42.74,
      },
    }));
    const t0 = Date.now();
    await m
      .db(`${tag}_baseline`)
      .collection<{ _id: string }>('books_estimates')
      .insertMany(docs, { ordered: false });
    return Date.now() - t0;
  } finally {
    await m.close();
  }
}
