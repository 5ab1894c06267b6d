import { verifyIntegration } from '../../api/verify';
import { createSyncBench, totals, type SyncBench } from './sync-harness';

/*
 * The randomized race test: writers on both sides edit mapped fields and add records through the
 * stores while sync runs follow one another, for a bounded time; then two quiet runs, after which `verify` must
 * find the stores in agreement and a further run must write nothing. Seeded: CBS_RACE_SEED=<n> replays a
 * failing run's choices (the timing of the servers still varies); CBS_RACE_MS sets the writing time, and
 * CBS_RACE_VERBOSE=1 prints what happened even when the test passes.
 */

type Data = Record<string, unknown>;

const SEED = Number(process.env.CBS_RACE_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Writing time: with the runs around it the test stays under a minute on FerretDB. */
const WRITE_MS = Number(process.env.CBS_RACE_MS ?? 20_000);
/** Enough records that a lost change is seldom healed by a later edit of the same record. */
const SEEDED = { accounts: 40, products: 40, customers: 30, items: 30 };

/** mulberry32: a small, fast, seedable generator of floats in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Rand {
  (): number;
  int(min: number, max: number): number;
  pick<T>(list: readonly T[]): T;
  some<T>(list: readonly T[], max: number): T[];
}

function randOf(seed: number): Rand {
  const next = prng(seed);
  const rand = (() => next()) as Rand;
  rand.int = (min, max) => min + Math.floor(next() * (max - min + 1));
  rand.pick = (list) => list[Math.floor(next() * list.length)]!;
  rand.some = (list, max) => {
    const chosen = new Set<number>();
    const n = Math.min(list.length, rand.int(1, max));
    while (chosen.size < n) chosen.add(Math.floor(next() * list.length));
    return [...chosen].map((i) => list[i]!);
  };
  return rand;
}

const CITIES = ['Springfield', 'Shelbyville', 'Ogdenville', 'Capital City', 'North Haverbrook', 'Brockway'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cents = (rand: Rand) => rand.int(0, 99_999) / 100;

const account = (n: number) => ({
  id: `ra-${n}`,
  Account_Name: `Race Account ${n}`,
  Phone: `+1 555 ${1000 + n}`,
  Billing_City: 'Springfield',
  Currency: 'USD',
});
const product = (n: number) => ({
  id: `rp-${n}`,
  Product_Name: `Race Product ${n}`,
  Product_Code: `RP-${n}`,
  Unit_Price: 10 + n,
  Product_Active: true,
});
const customer = (n: number) => ({
  contact_id: `rc-${n}`,
  contact_name: `Race Customer ${n}`,
  company_name: `Race Customer ${n}`,
  contact_type: 'customer',
  customer_sub_type: 'business',
  phone: `+1 555 ${5000 + n}`,
  billing_address: { city: 'Shelbyville' },
});
const item = (n: number) => ({
  item_id: `ri-${n}`,
  name: `Race Item ${n}`,
  sku: `RI-${n}`,
  rate: 5 + n,
  status: 'active',
});

/** One side's writer: what it may add and edit, and through which collections. */
interface Side {
  name: 'crm' | 'books';
  /** Records of the side's two modules: [customers module, items module]. */
  modules: readonly [Module, Module];
}

interface Module {
  put(records: Data[]): Promise<unknown>;
  all(): Promise<{ id: string; data: Data; deleted: boolean }[]>;
  /** Whether a record of the module is one this test edits (Books Business customers, not vendors). */
  editable(data: Data): boolean;
  create(n: number): Data;
  /** A copy of the record with one or two mapped fields changed. */
  edit(data: Data, rand: Rand, n: number): Data;
}

type Edit = (data: Data, rand: Rand, n: number) => Data;

/** One of several edits, chosen by weight (the weights add up to 1). */
const oneOf =
  (...choices: [number, Edit][]): Edit =>
  (data, rand, n) => {
    let roll = rand();
    for (const [weight, edit] of choices) if ((roll -= weight) < 0) return edit(data, rand, n);
    return choices[choices.length - 1]![1](data, rand, n);
  };
const set =
  (field: string, value: (rand: Rand, n: number) => unknown): Edit =>
  (data, rand, n) => ({ ...data, [field]: value(rand, n) });
/** A new display name, unique to this write (a rename must not make a duplicate). */
const rename = (field: string, tag: string): Edit => set(field, (_rand, n) => `${tag} ${n}`);
const phone = (rand: Rand) => `+1 555 ${rand.int(1000, 9999)}`;

function sides(bench: SyncBench): Side[] {
  const crmAccounts: Module = {
    ...bench.crm('Accounts'),
    editable: () => true,
    create: (n) => account(1000 + n),
    edit: oneOf(
      [0.4, set('Phone', phone)],
      [0.35, set('Billing_City', (rand) => rand.pick(CITIES))],
      [0.2, set('Website', (_rand, n) => `https://crm-${n}.example.test`)],
      [0.05, rename('Account_Name', 'Renamed Account')],
    ),
  };
  const crmProducts: Module = {
    ...bench.crm('Products'),
    editable: () => true,
    create: (n) => product(1000 + n),
    edit: oneOf(
      [0.45, set('Unit_Price', cents)],
      [0.35, set('Description', (_rand, n) => `crm note ${n}`)],
      [0.15, set('Product_Code', (_rand, n) => `C-${n}`)],
      [0.05, rename('Product_Name', 'Renamed Product')],
    ),
  };
  const booksCustomers: Module = {
    ...bench.books('contacts'),
    editable: (d) => d.contact_type === 'customer' && d.customer_sub_type === 'business',
    create: (n) => customer(1000 + n),
    edit: oneOf(
      [0.4, set('phone', phone)],
      [
        0.4,
        (d, rand) => ({ ...d, billing_address: { ...(d.billing_address as Data), city: rand.pick(CITIES) } }),
      ],
      [0.2, set('website', (_rand, n) => `https://books-${n}.example.test`)],
    ),
  };
  const booksItems: Module = {
    ...bench.books('items'),
    editable: () => true,
    create: (n) => item(1000 + n),
    edit: oneOf(
      [0.45, set('rate', cents)],
      [0.35, set('description', (_rand, n) => `books note ${n}`)],
      [0.15, set('sku', (_rand, n) => `B-${n}`)],
      [0.05, rename('name', 'Renamed Item')],
    ),
  };
  return [
    { name: 'crm', modules: [crmAccounts, crmProducts] },
    { name: 'books', modules: [booksCustomers, booksItems] },
  ];
}

interface WriterStats {
  created: number;
  edited: number;
  batches: number;
}

/**
 * Writes until `stop()` says so: new records now and then, else a batch of edits of records read a moment
 * before (a user's read-modify-write), written in descending id order through upsertMany, with short random
 * pauses between batches.
 */
async function writer(side: Side, rand: Rand, stop: () => boolean): Promise<WriterStats> {
  const stats: WriterStats = { created: 0, edited: 0, batches: 0 };
  let n = 0;
  while (!stop()) {
    const module = rand.pick(side.modules);
    n++;
    if (rand() < 0.15) {
      const fresh = Array.from({ length: rand.int(1, 3) }, (_, i) => module.create(n * 10 + i));
      await module.put(fresh);
      stats.created += fresh.length;
    } else {
      const current = (await module.all()).filter((r) => !r.deleted && module.editable(r.data));
      const chosen = rand.some(current, rand() < 0.25 ? 25 : 6).sort((a, b) => (a.id < b.id ? 1 : -1));
      await module.put(chosen.map((r, i) => module.edit(r.data, rand, n * 100 + i)));
      stats.edited += chosen.length;
    }
    stats.batches++;
    await sleep(rand.int(0, 150));
  }
  return stats;
}

describe('randomized race: writers on both sides while syncs run', () => {
  let bench: SyncBench | undefined;
  afterAll(async () => {
    await bench?.close();
  });

  it('ends with verify clean and a further run writing nothing', async () => {
    const log: string[] = [`CBS_RACE_SEED=${SEED} CBS_RACE_MS=${WRITE_MS}`];
    try {
      bench = await createSyncBench();
      const b = bench;
      await b.configure({
        customers: { module: 'accounts', extent: 'both_ways', duplicatePolicy: 'clone' },
        items: { extent: 'both_ways', duplicatePolicy: 'clone' },
      });
      const range = (count: number) => Array.from({ length: count }, (_, i) => i + 1);
      await b.crm('Accounts').put(range(SEEDED.accounts).map(account));
      await b.crm('Products').put(range(SEEDED.products).map(product));
      await b.books('contacts').put(range(SEEDED.customers).map(customer));
      await b.books('items').put(range(SEEDED.items).map(item));
      const initial = await b.sync();
      expect(initial.status).toBe('completed');

      // The race: both writers and back-to-back sync runs, for WRITE_MS.
      const rand = randOf(SEED);
      const end = Date.now() + WRITE_MS;
      const stop = () => Date.now() >= end;
      const [crmSide, booksSide] = sides(b);
      const syncs = (async () => {
        const statuses: string[] = [];
        while (!stop()) statuses.push((await b.sync()).status);
        return statuses;
      })();
      const [crmStats, booksStats, statuses] = await Promise.all([
        writer(crmSide!, randOf(rand.int(1, 2 ** 30)), stop),
        writer(booksSide!, randOf(rand.int(1, 2 ** 30)), stop),
        syncs,
      ]);
      log.push(
        `crm writer ${JSON.stringify(crmStats)}, books writer ${JSON.stringify(booksStats)}, ` +
          `runs during the race: ${statuses.join(' ')}`,
      );
      expect(statuses.every((s) => s === 'completed')).toBe(true);

      // Two quiet runs, then the stores must agree.
      for (const quiet of [1, 2]) {
        const run = await b.sync();
        log.push(`quiet run ${quiet}: ${run.status} ${JSON.stringify(totals(run))}`);
        expect(run.status).toBe('completed');
      }
      const report = await verifyIntegration(
        { crm: b.deps.crmStore, books: b.deps.booksStore, syncState: b.deps.syncState },
        b.crmOrg,
        b.booksOrg,
      );
      log.push(
        `verify: checked ${JSON.stringify(report.checked)}, excluded ${JSON.stringify(report.excluded)}`,
      );
      for (const p of report.problems.slice(0, 20)) log.push(`  ${p.problem} ${p.detail}`);
      expect(report.problems).toEqual([]);
      expect(report.excluded).toEqual({});

      // A further run writes nothing: no counts, and no record's modified time moves.
      const stamps = async () => {
        const out = new Map<string, number>();
        const all = [
          ['Accounts', await b.crm('Accounts').all()],
          ['Products', await b.crm('Products').all()],
          ['contacts', await b.books('contacts').all()],
          ['items', await b.books('items').all()],
        ] as const;
        for (const [module, records] of all)
          for (const r of records) out.set(`${module}/${r.id}`, r.modifiedTime.getTime());
        return out;
      };
      const before = await stamps();
      const further = await b.sync();
      log.push(`further run: ${further.status} ${JSON.stringify(totals(further))}`);
      expect(totals(further)).toMatchObject({ added: 0, updated: 0, failed: 0 });
      const after = await stamps();
      const moved = [...after].filter(([key, time]) => before.get(key) !== time).map(([key]) => key);
      expect(moved).toEqual([]);
      expect(after.size).toBe(before.size);
      if (process.env.CBS_RACE_VERBOSE === '1') process.stderr.write(`${log.join('\n')}\n`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`race test failed; seed and log:\n${log.join('\n')}\n${message}`, { cause: err });
    }
  }, 180_000);
});
