import type { Document } from 'mongodb';
import { syncRunWorkflowId } from '../domain/ids';
import { kindSpecOf } from '../domain/sync/kinds';
import { planSyncSteps, type SyncStep } from '../domain/sync/plan';
import { orphanField } from '../domain/sync/step-rules';
import { LinkEntitySchema, type DeltaCursor } from '../domain/sync-state-schemas';
import { BOOKS_COLLECTIONS } from '../stores/books-store';
import { CRM_COLLECTIONS } from '../stores/crm-store';
import { MAX_DELTA_PAGE, WRITE_SETTLE_MS, findChangedSince } from '../stores/delta';
import { linksCollectionOf } from '../stores/sync-state-store';
import {
  commandTimer,
  cpuMeter,
  envNumber,
  historyFigures,
  perSecond,
  percentile,
  ratioOf,
  sleep,
  withUriOption,
  cpuProfile,
  workerMeter,
  type Figures,
  type ScenarioContext,
  type ScenarioEntry,
} from './harness';
import {
  BOOKS_ORG,
  CRM_ORG,
  benchIntegration,
  countTotals,
  insertFirstUpsert,
  putCrm,
  type BenchIntegration,
  type CrmBenchModule,
  type CrmDataset,
} from './sync-bench';
import { twoWayScenario } from './two-way';

/*
 * The sync scenarios of `npm run bench` (issue 13): initial-sync against a raw copy and one activity per
 * record, no-change and delta against the same on a smaller base, delta-window, and two-way (two-way.ts).
 */

/**
 * Records of the one-activity-per-record baseline, whose time is extrapolated to N (CBS_BENCH_PER_RECORD_N
 * for a quicker check: on FerretDB each of its activities takes most of a second).
 */
const PER_RECORD_SUBSET = envNumber('CBS_BENCH_PER_RECORD_N', 2_000);
/** Timed runs of the no-change scenario on each base. */
const NO_CHANGE_RUNS = 3;
/** The smaller base of no-change: the "within 2× of the same run on 1,000 records". */
const NO_CHANGE_SMALL_N = 1_000;
/**
 * A step's default chunk where the server does not set one (activities/sync/types.ts STEP_SIZE; bench/ may
 * not import activities/): the raw copy reads pages of the size the sync reads.
 */
const DEFAULT_CHUNK = 5_000;

const median = (values: readonly number[]) => percentile(values, 50);

/** A run's totals over its modules, with the base it ran on, as the runs list shows them. */
const runLine = (n: number, r: Awaited<ReturnType<BenchIntegration['run']>>) => ({
  runNumber: r.runNumber,
  wallMs: r.wallMs,
  counts: { n, ...countTotals(r.result.counts) },
});

/**
 * Where the sync reads its sources: each planned step's collection, org and filter (the orphans' step reads
 * contacts without an account).
 */
function stepSources(b: BenchIntegration, steps: readonly SyncStep[]) {
  const db = (side: 'crm' | 'books') => b.running.deps.mongo.db(`${b.tag}_${side}`);
  return steps.map((step) => {
    const spec = kindSpecOf(step.kind);
    const toBooks = step.direction === 'crm_to_books';
    const without = orphanField(step);
    return {
      collection: toBooks
        ? db('crm').collection<Document>(CRM_COLLECTIONS[spec.crmModule])
        : db('books').collection<Document>(BOOKS_COLLECTIONS[spec.booksModule]),
      org: toBooks ? CRM_ORG : BOOKS_ORG,
      ...(without !== undefined && { extraFilter: { [`data.${without}`]: null } }),
    };
  });
}

/** Reads every source page of the run's steps with the driver, as the sync's delta reads do; returns the count. */
async function readSourcePages(b: BenchIntegration, chunk: number): Promise<number> {
  let records = 0;
  for (const source of stepSources(b, planSyncSteps(b.saved.config))) {
    let after: DeltaCursor | null = null;
    for (;;) {
      const page: { docs: Document[]; next: DeltaCursor | null } = await findChangedSince(source.collection, {
        ...source,
        after,
        limit: chunk,
      });
      records += page.docs.length;
      if (!page.next) break;
      after = page.next;
    }
  }
  return records;
}

/**
 * The raw copy: what any sync must at least do, with the driver alone on the same server. It reads the
 * source pages of the same steps with the same filters, then bulk-writes the Books documents and the links
 * the sync wrote (taken from the sync's own databases before the clock starts) into empty collections with
 * no index: a lower bound, not a sync.
 */
async function rawCopy(b: BenchIntegration, chunk: number) {
  const db = (suffix: string) => b.running.deps.mongo.db(`${b.tag}_${suffix}`);
  const all = async (suffix: string, collection: string) =>
    (await db(suffix).collection(collection).find({}).toArray()).map((d) => ({ ...d, _id: String(d._id) }));
  const targets = [
    ...[BOOKS_COLLECTIONS.contacts, BOOKS_COLLECTIONS.items].map((c) => ({ suffix: 'books', c })),
    ...LinkEntitySchema.options.map((e) => ({ suffix: 'sync', c: linksCollectionOf(e) })),
  ];
  const written = await Promise.all(targets.map(async (t) => ({ ...t, docs: await all(t.suffix, t.c) })));
  const t0 = Date.now();
  const read = await readSourcePages(b, chunk);
  const readMs = Date.now() - t0;
  for (const w of written) await insertFirstUpsert(db('baseline').collection(`${w.suffix}_${w.c}`), w.docs);
  const wallMs = Date.now() - t0;
  const documents = written.filter((w) => w.suffix === 'books').reduce((s, w) => s + w.docs.length, 0);
  const links = written.filter((w) => w.suffix === 'sync').reduce((s, w) => s + w.docs.length, 0);
  process.stderr.write(
    `raw copy: read ${read} in ${readMs} ms, wrote ${documents} + ${links} in ${wallMs - readMs} ms\n`,
  );
  return { wallMs, read, documents, links };
}

/** The same sync with one activity per record (and one record per chunk) on a subset, extrapolated to N. */
async function perRecordBaseline(ctx: ScenarioContext, n: number, oursMs: number) {
  const measuredN = Math.min(PER_RECORD_SUBSET, n);
  const b = await benchIntegration(ctx, measuredN);
  try {
    const { wallMs } = await b.run({ maxRecordsPerActivity: 1, chunkSize: 1 });
    const extrapolated = Math.round((wallMs * n) / measuredN);
    return {
      name: `the same sync with one activity per record, on ${measuredN} records, extrapolated to ${n}`,
      wallMs: extrapolated,
      perSecond: perSecond(measuredN, wallMs),
      measuredN,
      measuredWallMs: wallMs,
      speedup: ratioOf(extrapolated, oursMs),
    };
  } finally {
    await b.close();
  }
}

async function initialSync(ctx: ScenarioContext): Promise<Omit<Figures, 'servers' | 'scenario'>> {
  const { n, pids, commands, tuning } = ctx;
  const mongoUri = commands ? withUriOption(ctx.mongoUri, 'monitorCommands', 'true') : ctx.mongoUri;
  const b = await benchIntegration({ ...ctx, mongoUri }, n);
  let ours: Omit<Figures, 'servers' | 'scenario' | 'perRecord'>;
  try {
    const cpuUsed = await cpuMeter(pids);
    const worker = workerMeter();
    const commandsTimed = commands ? commandTimer(b.running.deps.mongo) : undefined;
    const profiled = await cpuProfile();
    const first = await b.run(tuning);
    const workerFigures = worker(n);
    await profiled();
    const oursCpuMs = await cpuUsed();
    const oursCommands = commandsTimed?.();
    const history = await historyFigures(b.client, syncRunWorkflowId(b.saved._id, 1), first.firstRunId);
    const chunk = Math.min(
      tuning.chunkSize ?? b.running.deps.stepSize?.chunkSize ?? DEFAULT_CHUNK,
      MAX_DELTA_PAGE,
    );
    const raw = await rawCopy(b, chunk);
    ours = {
      n,
      ours: { wallMs: first.wallMs, perSecond: perSecond(n, first.wallMs) },
      baseline: {
        name: `raw copy: the driver reads the ${raw.read} source records page by page and bulk-writes the ${raw.documents} Books documents and ${raw.links} links the sync wrote`,
        wallMs: raw.wallMs,
        perSecond: perSecond(n, raw.wallMs),
      },
      ratio: ratioOf(first.wallMs, raw.wallMs),
      oursCpuMs,
      worker: workerFigures,
      ...(oursCommands && { oursCommands }),
      historyEventsPerExecution: history.eventsPerExecution,
      largestPayloadBytes: history.largestPayloadBytes,
    };
  } finally {
    await b.close();
  }
  return { ...ours, perRecord: await perRecordBaseline(ctx, n, ours.ours.wallMs) };
}

/**
 * An integration of n records after its initial sync, in the state a quiet org is in: each step's markers
 * vouched for by a complete read. Nothing else writes to the bench's databases, so a marker may be trusted at
 * once (quietMs 0, as test/integration/no-change.test.ts does): the wait it guards against concurrent writers
 * buys nothing here. With `settled`, the read that vouches comes after the settle window has passed, so the
 * saved cursors stand at the end of the data and the next run reads only what changes after.
 */
async function quietIntegration(ctx: ScenarioContext, n: number, settled: boolean) {
  const b = await benchIntegration(ctx, n);
  try {
    await b.run(ctx.tuning);
    if (settled) {
      process.stderr.write(`waiting ${(WRITE_SETTLE_MS + 1_000) / 1000} s for the settle window to pass\n`);
      await sleep(WRITE_SETTLE_MS + 1_000);
    }
    b.running.deps.quietMs = 0;
    await b.run(ctx.tuning);
    return b;
  } catch (err) {
    await b.close();
    throw err;
  }
}

/**
 * Timed runs with nothing changed on an integration of n records. With `timeCommands` (and `--commands`), the
 * worker's MongoDB commands during the timed runs: what such a run still reads.
 */
async function noChangeRuns(ctx: ScenarioContext, n: number, timeCommands: boolean) {
  const mongoUri = timeCommands ? withUriOption(ctx.mongoUri, 'monitorCommands', 'true') : ctx.mongoUri;
  const b = await quietIntegration({ ...ctx, mongoUri }, n, false);
  try {
    const commandsTimed = timeCommands ? commandTimer(b.running.deps.mongo) : undefined;
    const runs = [];
    for (let i = 0; i < NO_CHANGE_RUNS; i++) runs.push(runLine(n, await b.run(ctx.tuning)));
    return { runs, commands: commandsTimed?.() };
  } finally {
    await b.close();
  }
}

async function noChange(ctx: ScenarioContext): Promise<Omit<Figures, 'servers' | 'scenario'>> {
  const { runs: large, commands } = await noChangeRuns(ctx, ctx.n, ctx.commands);
  const { runs: small } = await noChangeRuns(ctx, NO_CHANGE_SMALL_N, false);
  const oursMs = median(large.map((r) => r.wallMs));
  const smallMs = median(small.map((r) => r.wallMs));
  return {
    n: ctx.n,
    ours: { wallMs: oursMs, perSecond: 0 },
    baseline: {
      name: `the same run on ${NO_CHANGE_SMALL_N} records (median of ${NO_CHANGE_RUNS})`,
      wallMs: smallMs,
      perSecond: 0,
    },
    ratio: ratioOf(oursMs, smallMs),
    ...(commands && { oursCommands: commands }),
    runs: [...large, ...small],
  };
}

/** `k` records spread evenly over the dataset, each with one synced field changed (a phone, a unit price). */
function changedRecords(data: CrmDataset, k: number) {
  const all = (
    Object.entries(data) as [CrmBenchModule, ({ id: string } & Record<string, unknown>)[]][]
  ).flatMap(([module, rs]) => rs.map((record) => ({ module, record })));
  const every = all.length / k;
  return Array.from({ length: k }, (_, i) => {
    const { module, record } = all[Math.floor(i * every)]!;
    const changed =
      module === 'Products'
        ? { ...record, Unit_Price: Number(record.Unit_Price) + 1 }
        : { ...record, Phone: `+44 20 ${String(i).padStart(7, '0')}` };
    return { module, record: changed };
  });
}

/**
 * The run after `k` CRM records changed on a settled integration of n records; with `timeCommands` (and
 * `--commands`), the worker's MongoDB commands during that run: which reads still grow with the base.
 */
async function deltaRun(ctx: ScenarioContext, n: number, k: number, timeCommands: boolean) {
  const mongoUri = timeCommands ? withUriOption(ctx.mongoUri, 'monitorCommands', 'true') : ctx.mongoUri;
  const b = await quietIntegration({ ...ctx, mongoUri }, n, true);
  try {
    const changes = changedRecords(b.data, k);
    for (const module of new Set(changes.map((c) => c.module)))
      await putCrm(
        b.running.deps,
        module,
        changes.filter((c) => c.module === module).map((c) => c.record),
      );
    const commandsTimed = timeCommands ? commandTimer(b.running.deps.mongo) : undefined;
    const run = runLine(n, await b.run(ctx.tuning));
    return { run, commands: commandsTimed?.() };
  } finally {
    await b.close();
  }
}

async function delta(ctx: ScenarioContext): Promise<Omit<Figures, 'servers' | 'scenario'>> {
  const k = Math.max(1, Math.round(ctx.n / 100));
  const smallN = Math.round(ctx.n / 10);
  const large = await deltaRun(ctx, ctx.n, k, ctx.commands);
  const small = await deltaRun(ctx, smallN, k, false);
  return {
    n: ctx.n,
    ours: { wallMs: large.run.wallMs, perSecond: perSecond(k, large.run.wallMs) },
    baseline: {
      name: `the same ${k} changes on a ${smallN}-record base`,
      wallMs: small.run.wallMs,
      perSecond: perSecond(k, small.run.wallMs),
    },
    ratio: ratioOf(large.run.wallMs, small.run.wallMs),
    runs: [large.run, small.run],
    ...(large.commands && { oursCommands: large.commands }),
  };
}

async function deltaWindow(ctx: ScenarioContext): Promise<Omit<Figures, 'servers' | 'scenario'>> {
  const { n } = ctx;
  const b = await benchIntegration(ctx, n);
  try {
    const runs = [];
    runs.push(runLine(n, await b.run(ctx.tuning)));
    const firstDone = Date.now();
    const inWindow = runLine(n, await b.run(ctx.tuning));
    runs.push(inWindow);
    const wait = firstDone + WRITE_SETTLE_MS + 1000 - Date.now();
    process.stderr.write(`waiting ${Math.round(wait / 1000)} s for the window to pass\n`);
    if (wait > 0) await sleep(wait);
    const afterWindow = runLine(n, await b.run(ctx.tuning));
    const quiet = runLine(n, await b.run(ctx.tuning));
    runs.push(afterWindow, quiet);
    return {
      n,
      ours: { wallMs: inWindow.wallMs, perSecond: perSecond(n, inWindow.wallMs) },
      baseline: { name: 'a quiet run (nothing in the window)', wallMs: quiet.wallMs, perSecond: 0 },
      ratio: ratioOf(inWindow.wallMs, quiet.wallMs),
      afterWindow: { wallMs: afterWindow.wallMs, ratio: ratioOf(afterWindow.wallMs, quiet.wallMs) },
      settleMs: WRITE_SETTLE_MS,
      runs,
    };
  } finally {
    await b.close();
  }
}

/** The sync scenarios, by name, for bench/run.ts's registry. */
export function syncScenarios(): Record<string, ScenarioEntry> {
  return {
    'initial-sync': {
      describe:
        'initial sync of N CRM records (accounts with contacts, orphans, vendors, products) to Books, vs a raw copy with the driver and vs one activity per record (2,000 records, extrapolated)',
      defaultN: 100_000,
      run: initialSync,
    },
    'no-change': {
      describe: `${NO_CHANGE_RUNS} runs with nothing changed on an integration of N records, vs the same on ${NO_CHANGE_SMALL_N} records`,
      defaultN: 100_000,
      run: noChange,
    },
    delta: {
      describe: 'the run after 1% of N records changed, vs the same number of changes on an N/10 base',
      defaultN: 100_000,
      run: delta,
    },
    'delta-window': {
      describe:
        'what re-reading the unsettled window costs: after an initial sync of N records, a run at once (every record ' +
        'it wrote is less than WRITE_SETTLE_MS old: read again), one after the window has passed (reads the tail ' +
        'once more, then moves past it), and a quiet run (the baseline)',
      defaultN: 10_000,
      run: deltaWindow,
    },
    'two-way': twoWayScenario(),
  };
}
