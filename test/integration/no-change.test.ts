import type { CommandStartedEvent, Document } from 'mongodb';
import type { MongoRecordCollection } from '../../stores/record-collection';
import { createSyncBench, totals, type SyncBench } from './sync-harness';

/*
 * A sync's cost follows the changes (issue 13): a run in which nothing changed reads no record and writes
 * nothing, since each step finds its source's change marker as its last complete read left it
 * (stores/change-markers.ts); and a change written while runs race is never missed by the next run.
 * Every command the worker sends is watched through the driver's command monitoring.
 */

const ACCOUNTS = 12;
const PRODUCTS = 6;
/** How long the writers race the runs: long enough for several runs and quiet gaps between bursts. */
const RACE_MS = 8_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const account = (n: number, phone = `+1 555 ${1000 + n}`) => ({
  id: `a${n}`,
  Account_Name: `Quiet Account ${n}`,
  Phone: phone,
  Billing_City: 'Springfield',
  Currency: 'USD',
});
const product = (n: number) => ({
  id: `p${n}`,
  Product_Name: `Quiet Product ${n}`,
  Product_Code: `QP-${n}`,
  Unit_Price: 10 + n,
  Product_Active: true,
});

const WRITES = new Set(['insert', 'update', 'delete', 'findAndModify']);
const READS = new Set(['find', 'aggregate', 'count', 'distinct']);

/** A read that names exactly one document by its `_id` (FerretDB answers only those without a scan). */
const isPointRead = (e: CommandStartedEvent) => {
  const filter = (e.command as Document).filter as Document | undefined;
  return (
    e.commandName === 'find' &&
    filter !== undefined &&
    Object.keys(filter).join() === '_id' &&
    typeof filter._id === 'string'
  );
};

describe('a sync run costs what changed', () => {
  let bench: SyncBench;
  const events: CommandStartedEvent[] = [];
  let watching = false;

  beforeAll(async () => {
    // The worker's client reports its commands; the URI is this file's own (jest copies the env per file).
    const uri = process.env.CBS_TEST_MONGODB_URI!;
    process.env.CBS_TEST_MONGODB_URI = `${uri}${uri.includes('?') ? '&' : '?'}monitorCommands=true`;
    bench = await createSyncBench();
    bench.deps.mongo.on('commandStarted', (e) => {
      if (watching) events.push(e);
    });
    await bench.configure({ customers: { module: 'accounts' }, items: { extent: 'both_ways' } });
    await bench.crm('Accounts').put(Array.from({ length: ACCOUNTS }, (_, n) => account(n)));
    await bench.crm('Products').put(Array.from({ length: PRODUCTS }, (_, n) => product(n)));
    const initial = await bench.sync();
    if (initial.status !== 'completed') throw new Error(`the initial sync ended ${initial.status}`);
  });
  afterAll(async () => {
    await bench?.close();
  });

  /** The commands of one run, by what they did to which database and collection. */
  async function watchedRun() {
    events.length = 0;
    watching = true;
    const result = await bench.sync();
    watching = false;
    const of = (db: string) => events.filter((e) => e.databaseName === db);
    const collectionOf = (e: CommandStartedEvent) => String((e.command as Document)[e.commandName]);
    return { result, of, collectionOf };
  }

  it('a run with nothing changed reads no record and writes nothing', async () => {
    expect(totals(await bench.sync())).toMatchObject({ added: 0, updated: 0, failed: 0 });
    // No writer runs and every write was acknowledged: as if the markers had been quiet for the settle time.
    bench.deps.quietMs = 0;
    // This run's reads to the end vouch for the markers they found; the next finds them unchanged.
    expect(totals(await bench.sync())).toMatchObject({ added: 0, updated: 0, failed: 0 });

    const { result, of, collectionOf } = await watchedRun();
    expect(result.status).toBe('completed');
    expect(totals(result)).toEqual({ added: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0, deleted: 0 });
    const records = new Set(
      [
        ...(['Accounts', 'Contacts', 'Vendors', 'Products'] as const).map((m) =>
          bench.deps.crmStore.module(m),
        ),
        ...(['contacts', 'items'] as const).map((m) => bench.deps.booksStore.module(m)),
      ].map((c) => (c as unknown as { name: string }).name),
    );
    const storeCommands = [...of(bench.dbs.crm), ...of(bench.dbs.books)];
    expect(storeCommands.filter((e) => WRITES.has(e.commandName))).toEqual([]);
    const recordReads = storeCommands.filter(
      (e) => READS.has(e.commandName) && records.has(collectionOf(e)) && !isPointRead(e),
    );
    expect(recordReads.map((e) => `${e.commandName} ${collectionOf(e)}`)).toEqual([]);
    // Of the sync state only the run's own history is written, its entry and its outcome in the audit log
    // (S9.8): no cursor, link or failure.
    const stateWrites = of(bench.dbs.sync).filter((e) => WRITES.has(e.commandName));
    expect([...new Set(stateWrites.map(collectionOf))].sort()).toEqual(['audit', 'runs']);
  });

  it('every write path of a record collection moves its org’s marker before it writes', async () => {
    // The whole collection, imports included (the CLI's import reaches it so).
    const accounts = bench.deps.crmStore.module('Accounts') as unknown as MongoRecordCollection<
      Record<string, unknown>
    >;
    const org = `${bench.crmOrg}-markers`;
    const tokens: (string | undefined)[] = [(await accounts.changeMarker(org))?.token];
    const moved = async () => {
      tokens.push((await accounts.changeMarker(org))?.token);
      return new Set(tokens).size === tokens.length;
    };
    await accounts.upsertMany(org, [{ id: 'a1', data: account(1) }]);
    expect(await moved()).toBe(true);
    await accounts.upsertMany(org, [{ id: 'a1', data: account(1, '+1 555 0001') }]);
    expect(await moved()).toBe(true);
    await accounts.importMany(org, [{ id: 'a1', data: account(1, '+1 555 0002') }]);
    expect(await moved()).toBe(true);
    const [stored] = await accounts.findByIds(org, ['a1']);
    await accounts.patchMany(org, [
      {
        id: 'a1',
        expectedModifiedTime: stored!.modifiedTime,
        base: stored!.data,
        data: { ...stored!.data, Phone: '+1 555 0003' },
      },
    ]);
    expect(await moved()).toBe(true);
    await accounts.markDeleted(org, ['a1']);
    expect(await moved()).toBe(true);
    // Another org's marker is its own.
    expect((await accounts.changeMarker(bench.crmOrg))?.token).not.toBe(tokens[tokens.length - 1]);
  });

  it('a change written while runs race is never missed by the next run', async () => {
    // Markers quiet for 1.5 s are trusted (a write here lands in milliseconds), so racing steps do skip.
    bench.deps.quietMs = 1_500;
    const phones = new Map<string, string>();
    const rates = new Map<string, number>();
    const items = await bench.books('items').all();
    let stop = false;
    const writer = (async () => {
      for (let n = 0; !stop; n++) {
        const a = n % (ACCOUNTS + 4); // beyond the seeded ones: new accounts
        const phone = `+1 555 ${5000 + n}`;
        await bench.crm('Accounts').put([account(a, phone)]);
        phones.set(`a${a}`, phone);
        const item = items[n % items.length]!;
        const rate = 100 + n;
        await bench.books('items').put([{ ...item.data, rate }]);
        rates.set(item.id, rate);
        // Bursts, and between them pauses long enough for the markers to settle and a step to skip.
        await sleep(n % 3 === 2 ? 4_000 : 100);
      }
    })();
    const raced: string[] = [];
    for (const until = Date.now() + RACE_MS; Date.now() < until;) raced.push((await bench.sync()).status);
    stop = true;
    await writer;
    expect(raced.every((status) => status === 'completed')).toBe(true);

    expect((await bench.sync()).status).toBe('completed');
    const links = await bench.deps.syncState.findLinksByCrmIds(bench.integrationId, 'customer', [
      ...phones.keys(),
    ]);
    const customers = new Map((await bench.books('contacts').all()).map((c) => [c.id, c.data]));
    const arrived = new Map(links.map((l) => [l.crmId, customers.get(l.booksId)?.phone]));
    expect(Object.fromEntries(arrived)).toEqual(Object.fromEntries(phones));
    const itemLinks = await bench.deps.syncState.findLinksByBooksIds(bench.integrationId, 'item', [
      ...rates.keys(),
    ]);
    const products = new Map((await bench.crm('Products').all()).map((p) => [p.id, p.data]));
    const prices = new Map(itemLinks.map((l) => [l.booksId, products.get(l.crmId)?.Unit_Price]));
    expect(Object.fromEntries(prices)).toEqual(Object.fromEntries(rates));
  });
});
