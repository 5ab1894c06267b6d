import { MongoClient, type Collection, type Db } from 'mongodb';
import { ZodError } from 'zod';
import {
  DELTA_INDEX_KEY,
  DELTA_INDEX_NAME,
  deltaQuery,
  findChangedSince,
  nextModifiedTime,
  type DeltaCursor,
  type DeltaPage,
} from '../../stores/delta';
import { integrationEndpoints, unique } from '../helpers';

interface Rec {
  _id: string;
  org: string;
  modifiedTime: Date;
  kind: 'a' | 'b';
  n: number;
}

/** The shared delta read against the real Mongo-wire server. */
describe('findChangedSince on the real server', () => {
  const { mongoUri } = integrationEndpoints();
  const dbName = unique('delta').replace(/-/g, '_');
  let mongo: MongoClient;
  let db: Db;
  let records: Collection<Rec>;

  const base = Date.parse('2024-05-01T10:00:00.000Z');
  // 250 records of org o1 on only 9 distinct modified times (so most share a time with many others), with
  // ids whose byte order differs from their numeric order; and 40 records of another org interleaved.
  const ids = Array.from({ length: 250 }, (_, n) => [`r-${n}`, `R${n}`, `${n}`, `r_${n}`, `x.${n}`][n % 5]!);
  const docs: Rec[] = [
    ...ids.map((id, n) => ({
      _id: id,
      org: 'o1',
      modifiedTime: new Date(base + (n % 9 === 0 ? n : (n % 4) * 1000)),
      kind: n % 3 === 0 ? ('a' as const) : ('b' as const),
      n,
    })),
    ...Array.from({ length: 40 }, (_, n) => ({
      _id: `other-${n}`,
      org: 'o2',
      modifiedTime: new Date(base + (n % 4) * 1000),
      kind: 'a' as const,
      n,
    })),
  ];

  /** Reads every page of o1 and returns the ids in read order and the last position. */
  async function readAll(limit: number, extra: Partial<Parameters<typeof findChangedSince<Rec>>[1]> = {}) {
    const seen: Rec[] = [];
    let after: DeltaCursor | null = null;
    let position: DeltaCursor | null = null;
    for (let pages = 0; pages < 1000; pages++) {
      const page: DeltaPage<Rec> = await findChangedSince(records, { org: 'o1', after, limit, ...extra });
      expect(page.docs.length).toBeLessThanOrEqual(limit);
      seen.push(...page.docs);
      position = page.position;
      if (!page.next) return { seen, position };
      expect(page.docs).toHaveLength(limit);
      after = page.next;
    }
    throw new Error('the delta read did not end');
  }

  const sortKey = (r: Rec) => [r.modifiedTime.getTime(), r._id] as const;
  const before = (a: Rec, b: Rec) => {
    const [ta, ia] = sortKey(a);
    const [tb, ib] = sortKey(b);
    return ta < tb || (ta === tb && ia < ib);
  };

  beforeAll(async () => {
    mongo = await MongoClient.connect(mongoUri);
    db = mongo.db(dbName);
    records = db.collection<Rec>('records');
    await records.createIndex(DELTA_INDEX_KEY, { name: DELTA_INDEX_NAME });
    await records.insertMany(docs);
  });

  afterAll(async () => {
    await db?.dropDatabase();
    await mongo?.close();
  });

  it('declares the (org, modifiedTime, _id) index', async () => {
    const indexes = await records.indexes();
    expect(indexes.find((i) => i.name === DELTA_INDEX_NAME)).toMatchObject({
      key: { org: 1, modifiedTime: 1, _id: 1 },
    });
  });

  it('reads after a cursor through that index, on MongoDB and on our FerretDB build', async () => {
    const after = { modifiedTime: new Date(base + 1000).toISOString(), id: 'r-5' };
    const { filter, sort, limit } = deltaQuery<Rec>({ org: 'o1', after, limit: 7 });
    const plan = await records.find(filter).sort(sort).limit(limit).explain('queryPlanner');
    if (plan.queryPlanner?.winningPlan) {
      // MongoDB: the cost of a delta read follows the records after the cursor, not the collection.
      const text = JSON.stringify(plan.queryPlanner.winningPlan);
      expect(text).toContain('IXSCAN');
      expect(text).toContain(`"indexName":"${DELTA_INDEX_NAME}"`);
      expect(text).not.toContain('"stage":"SORT"');
    } else {
      // Our FerretDB build answers the scope's equality and the date range from the same index, as SQL
      // (scripts/ferretdb/cbs_pushdown.go): a SEARCH of its expressions, not a SCAN of the table.
      expect(plan.serverInfo).toHaveProperty('ferretdbVersion');
      expect(plan.filterPushdown).toBe(true);
      expect(JSON.stringify(plan.queryPlanner)).toMatch(
        new RegExp(
          `SEARCH \\S+ USING INDEX \\S+_${DELTA_INDEX_NAME} \\(<expr>=\\? AND <expr>>\\? AND <expr><\\?\\)`,
        ),
      );
      expect(JSON.stringify(plan.queryPlanner)).not.toMatch(/\bSCAN\b/);
    }
  });

  it('returns every record of the org exactly once across pages of 7, in (modifiedTime, _id) order', async () => {
    const shared = docs.filter(
      (d) =>
        d.org === 'o1' &&
        docs.filter((o) => o.org === 'o1' && +o.modifiedTime === +d.modifiedTime).length > 1,
    );
    expect(shared.length).toBeGreaterThan(200);

    const { seen, position } = await readAll(7);
    const seenIds = seen.map((r) => r._id);
    expect(new Set(seenIds).size).toBe(seenIds.length);
    expect([...seenIds].sort()).toEqual([...ids].sort());
    for (let i = 1; i < seen.length; i++) expect(before(seen[i - 1]!, seen[i]!)).toBe(true);
    const last = seen[seen.length - 1]!;
    expect(position).toEqual({ modifiedTime: last.modifiedTime.toISOString(), id: last._id });
  });

  it('gives the same records whatever the page size', async () => {
    const reference = (await readAll(7)).seen.map((r) => r._id);
    for (const limit of [3, 50, 249, 250, 251, 1000]) {
      const { seen } = await readAll(limit);
      expect(seen.map((r) => r._id)).toEqual(reference);
    }
  }, 30_000);

  it('reports the end of the data without a further page, and keeps the position on an empty page', async () => {
    const all = await findChangedSince(records, { org: 'o1', limit: 250 });
    expect(all.docs).toHaveLength(250);
    expect(all.next).toBeNull();
    const empty = await findChangedSince(records, { org: 'o1', after: all.position, limit: 7 });
    expect(empty).toEqual({ docs: [], next: null, position: all.position });
    expect(await findChangedSince(records, { org: 'nobody', limit: 7 })).toEqual({
      docs: [],
      next: null,
      position: null,
    });
  });

  it('applies the calling store’s extra filter and an upper time bound', async () => {
    const { seen } = await readAll(7, { extraFilter: { kind: 'a' } });
    expect(seen.map((r) => r._id).sort()).toEqual(
      docs
        .filter((d) => d.org === 'o1' && d.kind === 'a')
        .map((d) => d._id)
        .sort(),
    );
    const bound = new Date(base + 2000);
    const bounded = await readAll(7, { before: bound });
    expect(bounded.seen.map((r) => r._id).sort()).toEqual(
      docs
        .filter((d) => d.org === 'o1' && d.modifiedTime < bound)
        .map((d) => d._id)
        .sort(),
    );
  });

  it('sees a record written again in the same millisecond the cursor passed it', async () => {
    const all = await findChangedSince(records, { org: 'o1', limit: 1000 });
    const last = all.docs[all.docs.length - 1]!;
    // The clock has not moved since the record was last written: without the bump it would stay behind.
    const time = nextModifiedTime(last.modifiedTime, last.modifiedTime);
    await records.updateOne({ _id: last._id }, { $set: { n: -1, modifiedTime: time } });
    const after = await findChangedSince(records, { org: 'o1', after: all.position, limit: 7 });
    expect(after.docs.map((r) => [r._id, r.n])).toEqual([[last._id, -1]]);
  });

  it('refuses operator objects, bad cursors and bad limits before querying', async () => {
    const bad: Parameters<typeof findChangedSince<Rec>>[1][] = [
      { org: { $ne: null } as unknown as string, limit: 7 },
      { org: 'o1', limit: 0 },
      { org: 'o1', limit: 1.5 },
      { org: 'o1', limit: 100_000 },
      { org: 'o1', limit: 7, after: { modifiedTime: 'yesterday', id: 'a' } },
      {
        org: 'o1',
        limit: 7,
        after: { modifiedTime: '2024-05-01T10:00:00.000Z', id: { $gt: '' } as unknown as string },
      },
    ];
    for (const options of bad)
      await expect(findChangedSince(records, options)).rejects.toBeInstanceOf(ZodError);
    await expect(
      findChangedSince(records, { org: 'o1', limit: 7, extraFilter: { modifiedTime: { $gt: new Date(0) } } }),
    ).rejects.toThrow('modifiedTime');
  });
});

describe('nextModifiedTime', () => {
  const t = new Date('2024-05-01T10:00:00.000Z');
  it.each([
    ['no previous time', undefined, t, t],
    ['the clock moved on', new Date(+t - 5), t, t],
    ['the same millisecond', t, t, new Date(+t + 1)],
    ['a clock that stepped back', new Date(+t + 1000), t, new Date(+t + 1001)],
  ])('%s', (_name, previous, now, expected) => {
    expect(nextModifiedTime(previous, now)).toEqual(expected);
    if (previous) expect(nextModifiedTime(previous, now).getTime()).toBeGreaterThan(previous.getTime());
  });
});
