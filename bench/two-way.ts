import type { IntegrationConfig } from '../domain/sync-state-schemas';
import { BOOKS_COLLECTIONS } from '../stores/books-store';
import { CRM_COLLECTIONS } from '../stores/crm-store';
import { WRITE_SETTLE_MS } from '../stores/delta';
import {
  envNumber,
  percentile,
  ratioOf,
  sleep,
  type Figures,
  type ScenarioContext,
  type ScenarioEntry,
  type TwoWayFigures,
} from './harness';
import {
  BOOKS_ORG,
  CRM_ORG,
  FETCH_ALL,
  benchIntegration,
  countTotals,
  type BenchIntegration,
} from './sync-bench';

/*
 * `npm run bench -- two-way [--n N]` (issue 13): on a two-way integration of N records, a CRM writer changes
 * account phones and a Books writer item rates, each at CBS_BENCH_TWO_WAY_RATE writes/s (default 5) for
 * CBS_BENCH_TWO_WAY_SECONDS (default 180), while a sync run starts every CBS_BENCH_POLL_MS (default 5,000; at
 * once when the previous one took longer), as the periodic poller would. A watcher looks for each value on the
 * other side every WATCH_MS: propagation lag p50/p99; then what went wrong, which should all be 0 — lost
 * (a record's final value differs between the sides), duplicated (more records on a side than sources) and
 * echoed (an update the sync made back to the side a change came from). The writers change disjoint
 * records of each side (phones of accounts, rates of items), so any update the other way is an echo and
 * field ownership never decides against a write. The writers start once the initial sync has settled (see
 * twoWay). Target: p99 ≤ one poll interval plus 2 s.
 */

const WATCH_MS = 250;
/** Writes a side may have sent and not yet seen acknowledged. */
const MAX_IN_FLIGHT = 10;
/** After the writers stop, how long the last values may take to arrive before they count as lost. */
const DRAIN_MS = 2 * WRITE_SETTLE_MS;

/** Accounts both ways (Business customers), items both ways; vendors come along from the CRM. */
const TWO_WAY: IntegrationConfig = {
  ...FETCH_ALL,
  customers: {
    ...FETCH_ALL.customers,
    module: 'accounts',
    includeOrphanContacts: false,
    extent: 'both_ways',
  },
  items: { ...FETCH_ALL.items, extent: 'both_ways' },
};

type Data = Record<string, unknown>;

/** A value written on one side, waiting to be seen on the other. */
interface Pending {
  value: string | number;
  at: number;
}

/** One side's writes to one field of one kind of record, and where their values must arrive. */
interface Lane {
  written: number;
  superseded: number;
  pending: Map<string, Pending>;
  /** Last value written, by source id. */
  latest: Map<string, string | number>;
  /** The target-side values now, by source id. */
  arrived(ids: string[]): Promise<Map<string, unknown>>;
}

function lane(arrived: Lane['arrived']): Lane {
  return { written: 0, superseded: 0, pending: new Map(), latest: new Map(), arrived };
}

function recordWrite(l: Lane, id: string, value: string | number): void {
  if (l.pending.has(id)) l.superseded++;
  l.pending.set(id, { value, at: Date.now() });
  l.latest.set(id, value);
  l.written++;
}

/** Checks a lane's pending values on the other side; the lag of each that arrived goes to `lags`. */
async function watch(l: Lane, lags: number[]): Promise<void> {
  const ids = [...l.pending.keys()];
  if (ids.length === 0) return;
  const now = await l.arrived(ids);
  const seenAt = Date.now();
  for (const id of ids) {
    const p = l.pending.get(id);
    if (p && now.get(id) === p.value) {
      lags.push(seenAt - p.at);
      l.pending.delete(id);
    }
  }
}

/** Source id → target id for a link entity, from the links the initial sync made. */
async function linkMap(b: BenchIntegration, entity: 'customer' | 'item', crmIds: string[]) {
  const links = await b.running.deps.syncState.findLinksByCrmIds(b.saved._id, entity, crmIds);
  return new Map(links.map((l) => [l.crmId, l.booksId]));
}

/** The two lanes: CRM account phones arriving on Books customers, Books item rates on CRM products. */
async function lanes(b: BenchIntegration) {
  const { crmStore, booksStore } = b.running.deps;
  const accounts = b.data.Accounts.map((a) => a.id);
  const customerOf = await linkMap(b, 'customer', accounts);
  const productOf = new Map(
    [
      ...(await linkMap(
        b,
        'item',
        b.data.Products.map((p) => p.id),
      )),
    ].map(([crm, books]) => [books, crm]),
  );
  const valuesBy = async (
    records: { findByIds(org: string, ids: readonly string[]): Promise<{ id: string; data: Data }[]> },
    org: string,
    idOf: Map<string, string>,
    field: string,
    ids: string[],
  ) => {
    const found = await records.findByIds(
      org,
      ids.map((id) => idOf.get(id)!),
    );
    const byTarget = new Map(found.map((r) => [r.id, r.data[field]]));
    return new Map(ids.map((id) => [id, byTarget.get(idOf.get(id)!)]));
  };
  const items = await booksStore.module('items').findByIds(BOOKS_ORG, [...productOf.keys()]);
  return {
    accounts: b.data.Accounts,
    items,
    crm: lane((ids) => valuesBy(booksStore.module('contacts'), BOOKS_ORG, customerOf, 'phone', ids)),
    books: lane((ids) => valuesBy(crmStore.module('Products'), CRM_ORG, productOf, 'Unit_Price', ids)),
  };
}

/** Records on each side beyond one per source record (the sync's clones or double creates). */
async function duplicates(b: BenchIntegration): Promise<number> {
  const count = (db: string, collection: string, org: string) =>
    b.running.deps.mongo.db(`${b.tag}_${db}`).collection(collection).countDocuments({ org });
  const { Accounts, Vendors, Products } = b.data;
  const excess = [
    (await count('books', BOOKS_COLLECTIONS.contacts, BOOKS_ORG)) - Accounts.length - Vendors.length,
    (await count('books', BOOKS_COLLECTIONS.items, BOOKS_ORG)) - Products.length,
    (await count('crm', CRM_COLLECTIONS.Accounts, CRM_ORG)) - Accounts.length,
    (await count('crm', CRM_COLLECTIONS.Products, CRM_ORG)) - Products.length,
  ];
  return excess.reduce((sum, e) => sum + Math.max(0, e), 0);
}

/** Updates (or creates) a run made back towards the side its kind's changes come from. */
const echoesOf = (counts: Parameters<typeof countTotals>[0]) => {
  const back = countTotals(
    counts,
    (module, direction) =>
      (module === 'customers' && direction === 'books_to_crm') ||
      (module === 'items' && direction === 'crm_to_books'),
  );
  return (back.updated ?? 0) + (back.added ?? 0);
};

async function twoWay(ctx: ScenarioContext): Promise<Omit<Figures, 'servers' | 'scenario'>> {
  const seconds = envNumber('CBS_BENCH_TWO_WAY_SECONDS', 180);
  const rate = envNumber('CBS_BENCH_TWO_WAY_RATE', 5);
  const pollMs = envNumber('CBS_BENCH_POLL_MS', 5_000);
  const settle = envNumber('CBS_BENCH_TWO_WAY_SETTLE', 1) !== 0;
  const b = await benchIntegration(ctx, ctx.n, TWO_WAY);
  try {
    await b.run(ctx.tuning);
    // From a settled integration, as no-change and delta start: for WRITE_SETTLE_MS after the initial sync
    // every run reads its N records again (the window delta-window measures), which is the cost of a bulk
    // write, not of propagating updates. CBS_BENCH_TWO_WAY_SETTLE=0 starts the writers at once instead.
    if (settle) {
      process.stderr.write(`waiting ${(WRITE_SETTLE_MS + 1_000) / 1000} s for the settle window to pass\n`);
      await sleep(WRITE_SETTLE_MS + 1_000);
      await b.run(ctx.tuning);
    }
    const { accounts, items, crm, books } = await lanes(b);
    const { crmStore, booksStore } = b.running.deps;
    const lags: number[] = [];
    let echoed = 0;
    let syncRuns = 0;
    let stop = false;
    // A failed run stops the writers at once; its error is thrown when the runner is awaited.
    const runner = (async () => {
      try {
        while (!stop) {
          const t0 = Date.now();
          const { result } = await b.run(ctx.tuning);
          syncRuns++;
          echoed += echoesOf(result.counts);
          await sleep(Math.max(0, pollMs - (Date.now() - t0)));
        }
      } finally {
        stop = true;
      }
    })();
    runner.catch(() => undefined);
    let writing = true;
    const watcher = (async () => {
      while (writing || crm.pending.size + books.pending.size > 0) {
        await Promise.all([watch(crm, lags), watch(books, lags)]);
        await sleep(WATCH_MS);
      }
    })();
    // A prime stride visits every record before any is written twice, for up to that many writes.
    const pick = <T>(list: readonly T[], i: number) => list[(i * 7919) % list.length]!;
    const inFlight: Promise<unknown>[] = [];
    const t0 = Date.now();
    for (let i = 0; !stop && Date.now() - t0 < seconds * 1000; i++) {
      const due = t0 + (i * 1000) / rate;
      if (due > Date.now()) await sleep(due - Date.now());
      const account = pick(accounts, i);
      const phone = `+1 700 ${String(i).padStart(7, '0')}`;
      const item = pick(items, i);
      const itemRate = 1_000 + i;
      recordWrite(crm, account.id, phone);
      recordWrite(books, item.id, itemRate);
      // Sent without waiting for the previous ones, so slow writes do not lower the rate (a few in flight).
      if (inFlight.length >= MAX_IN_FLIGHT) await inFlight.shift();
      inFlight.push(
        Promise.all([
          crmStore
            .module('Accounts')
            .upsertMany(CRM_ORG, [{ id: account.id, data: { ...account, Phone: phone } }]),
          booksStore
            .module('items')
            .upsertMany(BOOKS_ORG, [{ id: item.id, data: { ...item.data, rate: itemRate } }]),
        ]),
      );
      if (i % 50 === 0) process.stderr.write(`two-way: ${i} writes a side, ${lags.length} arrived\n`);
    }
    await Promise.all(inFlight);
    writing = false;
    await Promise.race([watcher, sleep(DRAIN_MS)]);
    stop = true;
    try {
      await runner;
    } finally {
      crm.pending.clear();
      books.pending.clear();
      await watcher;
    }
    // The final state of both sides: a record whose last value is not on the other side lost a write.
    const lost = (
      await Promise.all(
        [crm, books].map(async (l) => {
          const ids = [...l.latest.keys()];
          const now = await l.arrived(ids);
          return ids.filter((id) => now.get(id) !== l.latest.get(id)).length;
        }),
      )
    ).reduce((a, c) => a + c, 0);
    const p99 = percentile(lags, 99);
    const figures: TwoWayFigures = {
      seconds,
      settledStart: settle,
      pollMs,
      writes: { crm: crm.written, books: books.written },
      lagMs: { p50: percentile(lags, 50), p99, max: percentile(lags, 100) },
      lost,
      duplicated: await duplicates(b),
      echoed,
      superseded: crm.superseded + books.superseded,
      syncRuns,
    };
    const writes = crm.written + books.written;
    return {
      n: ctx.n,
      ours: { wallMs: seconds * 1000, perSecond: Math.round((writes / seconds) * 10) / 10 },
      baseline: {
        name: 'the bound on p99 lag: one poll interval plus 2 s',
        wallMs: pollMs + 2_000,
        perSecond: 0,
      },
      ratio: ratioOf(p99, pollMs + 2_000),
      twoWay: figures,
    };
  } finally {
    await b.close();
  }
}

export function twoWayScenario(): ScenarioEntry {
  return {
    describe:
      'CRM account phones and Books item rates changed on both sides for 3 minutes while runs start every poll interval: propagation lag p50/p99, lost, duplicated and echoed writes',
    defaultN: 10_000,
    run: twoWay,
  };
}
