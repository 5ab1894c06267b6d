import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoNetworkError, type Document } from 'mongodb';

import { STEP_SIZE } from '../../activities/sync';
import { DATA_EXIT, openDataStores, runImport } from '../../cli/data/commands';
import { apiTimestamp, contentHashOf, recordKey } from '../../stores/record-collection';
import type { SyncRunResult } from '../../workflows/sync-run';
import { createSyncBench, type SyncBench } from './sync-harness';
import {
  conflictMentions,
  deferred,
  interceptWrites,
  pad,
  range,
  rawEnvelope,
  sleep,
  syncWithin,
  type Data,
  type InterceptedWrite,
} from './sync-safety-helpers';

/*
 * Issue 20, "Must show": changes made while a sync runs are neither skipped nor overwritten, a record that
 * cannot be synced fails alone, and a retried step counts true — on the real servers, the worker in process.
 * (The randomized race test lives elsewhere.)
 */

/** A run still going after this long is terminated and its test fails saying so, rather than hanging. */
const RUN_LIMIT_MS = 120_000;
/** A run over 21 records takes seconds; a step retried for ever (a poison record today) is cut short here. */
const POISON_RUN_LIMIT_MS = 60_000;

const acctId = (i: number) => `acct-${pad(i)}`;
const custId = (i: number) => `cust-${pad(i)}`;

const crmAccount = (i: number, extra: Data = {}): Data => ({
  id: acctId(i),
  Account_Name: `Account ${pad(i)}`,
  Phone: `+1 555 ${pad(i)}`,
  Billing_City: 'Springfield',
  Currency: 'USD',
  ...extra,
});

const booksCustomer = (i: number, extra: Data = {}): Data => ({
  contact_id: custId(i),
  contact_name: `Customer ${pad(i)}`,
  contact_type: 'customer',
  customer_sub_type: 'business',
  phone: `+44 20 ${pad(i)}`,
  billing_address: { city: 'Leeds' },
  ...extra,
});

/** A stored document as the driver sees it: the stores key records by a string `_id`. */
type RawDoc = Document & { _id: string };

const cityOf = (books: Data | undefined) => (books?.billing_address as Data | undefined)?.city;

/** The linked counterpart of each given record, by the links of the customer entity. */
async function counterparts(bench: SyncBench, side: 'crm' | 'books', ids: string[]) {
  const links =
    side === 'crm'
      ? await bench.deps.syncState.findLinksByCrmIds(bench.integrationId, 'customer', ids)
      : await bench.deps.syncState.findLinksByBooksIds(bench.integrationId, 'customer', ids);
  const out = new Map(links.map((l) => (side === 'crm' ? [l.crmId, l.booksId] : [l.booksId, l.crmId])));
  expect(ids.filter((id) => !out.has(id))).toEqual([]);
  return out as Map<string, string>;
}

async function crmData(bench: SyncBench) {
  return new Map((await bench.crm('Accounts').all()).map((r) => [r.id, r.data]));
}

async function booksData(bench: SyncBench) {
  return new Map((await bench.books('contacts').all()).map((r) => [r.id, r.data]));
}

/**
 * An independent check of the linked pairs (the `verify` the issue asks for does not exist yet): every link's
 * CRM account and Books customer agree on the fields these tests change. Returns the pairs that differ.
 */
async function unequalPairs(bench: SyncBench, crmIds: string[]) {
  const links = await counterparts(bench, 'crm', crmIds);
  const crm = await crmData(bench);
  const books = await booksData(bench);
  return crmIds.flatMap((crmId) => {
    const a = crm.get(crmId);
    const c = books.get(links.get(crmId)!);
    const pairs = {
      name: [a?.Account_Name, c?.contact_name],
      phone: [a?.Phone, c?.phone],
      city: [a?.Billing_City, cityOf(c)],
    };
    const differ = Object.entries(pairs).filter(([, [x, y]]) => x !== y);
    return differ.length ? [{ crmId, differ: Object.fromEntries(differ) }] : [];
  });
}

/** Summary of a list that must be empty: how many, and the first few (a short failure message). */
const none = <T>(list: T[]) => ({ count: list.length, first: list.slice(0, 5) });

describe('sync safety (issue 20) on the real servers', () => {
  const benches: SyncBench[] = [];
  const open = async () => {
    const bench = await createSyncBench();
    benches.push(bench);
    return bench;
  };
  afterEach(async () => {
    for (const bench of benches.splice(0)) await bench.close();
  });

  // -------------------------------------------------------------------------------------------------------
  // 1. The delta cursor and a slow writer

  it('a slow writer committing one shared stamp in descending id order during a sync: every edit arrives within two runs', async () => {
    const bench = await open();
    await bench.configure({ customers: { module: 'accounts', extent: 'both_ways' } });
    const n = 300;
    await bench.books('contacts').put(range(n).map((i) => booksCustomer(i)));
    const initial = await syncWithin(bench, RUN_LIMIT_MS);
    expect(initial.status).toBe('completed');
    expect(initial.counts.customers?.books_to_crm).toMatchObject({ added: n });
    const crmIdOf = await counterparts(bench, 'books', range(n).map(custId));

    // The writer's batch: a new phone for 100 linked customers, committed in descending id order, every record
    // with ONE modified time taken before the first write (as a bulk import stamps a batch), through the driver.
    const newPhone = (i: number) => `+44 77 ${pad(i)}`;
    const edited = range(n)
      .filter((i) => i % 3 === 1)
      .sort((a, b) => b - a);
    const stored = await booksData(bench);
    const stamp = new Date();
    const writes = edited.map((i) => {
      const data = {
        ...stored.get(custId(i)),
        phone: newPhone(i),
        last_modified_time: apiTimestamp(stamp, 'last_modified_time'),
      };
      return {
        _id: recordKey(bench.booksOrg, custId(i)),
        set: { modifiedTime: stamp, contentHash: contentHashOf(data, 'last_modified_time'), data },
      };
    });
    const raw = bench.deps.mongo.db(bench.dbs.books).collection<RawDoc>('books_contacts');
    let committed = 0;
    const commit = async (w: (typeof writes)[number]) => {
      const result = await raw.updateOne({ _id: w._id }, { $set: w.set });
      expect(result.matchedCount).toBe(1);
      committed++;
    };

    // The interleaving: the first few records are committed, then the sync starts; the writer holds until the
    // sync's first delta read of the Books customers (the Books → CRM step) has returned, then commits the rest,
    // paced, while that step decides and writes. The worker reads through the very object the bench's store
    // hands out (workers/deps.ts: books.records(m) is booksStore.module(m)), so wrapping its findChangedSince
    // sees the worker's read.
    const head = 5;
    for (const w of writes.slice(0, head)) await commit(w);
    const contacts = bench.deps.booksStore.module('contacts');
    const findChangedSince = contacts.findChangedSince;
    const firstRead = deferred();
    let committedAtFirstRead: number | undefined;
    contacts.findChangedSince = async (...args: Parameters<typeof findChangedSince>) => {
      const page = await findChangedSince.apply(contacts, args);
      if (args[0] === bench.booksOrg && committedAtFirstRead === undefined) {
        committedAtFirstRead = committed;
        firstRead.resolve();
      }
      return page;
    };
    let during: SyncRunResult;
    try {
      const syncing = syncWithin(bench, RUN_LIMIT_MS);
      const writer = (async () => {
        await Promise.race([
          firstRead.promise,
          syncing.then(
            () => undefined,
            () => undefined,
          ),
        ]);
        for (const w of writes.slice(head)) {
          await commit(w);
          await sleep(15);
        }
      })();
      [during] = await Promise.all([syncing, writer]);
    } finally {
      contacts.findChangedSince = findChangedSince;
    }
    expect(during.status).toBe('completed');
    // The read fell inside the batch: some of it committed, the rest (lower ids, same stamp) after.
    expect(committedAtFirstRead).toBe(head);
    expect(committed).toBe(edited.length);

    const quiet = [await syncWithin(bench, RUN_LIMIT_MS), await syncWithin(bench, RUN_LIMIT_MS)];
    for (const run of quiet) expect(run.status).toBe('completed');

    const crm = await crmData(bench);
    const lost = edited.filter((i) => crm.get(crmIdOf.get(custId(i))!)?.Phone !== newPhone(i)).map(custId);
    expect(none(lost)).toEqual(none([]));
    // Books keeps the writer's phones; the customers nobody edited keep theirs on both sides.
    const books = await booksData(bench);
    expect(none(edited.filter((i) => books.get(custId(i))?.phone !== newPhone(i)))).toEqual(none([]));
    const untouched = range(n).filter((i) => i % 3 !== 1);
    expect(
      none(untouched.filter((i) => crm.get(crmIdOf.get(custId(i))!)?.Phone !== `+44 20 ${pad(i)}`)),
    ).toEqual(none([]));
    expect(await unequalPairs(bench, [...crmIdOf.values()])).toEqual([]);
    // Each edit was moved exactly once over the three runs, and the counts say so.
    const moved = [during, ...quiet].map((r) => r.counts.customers?.books_to_crm?.updated ?? 0);
    expect(moved.reduce((a, b) => a + b, 0)).toBe(edited.length);
  }, 300_000);

  // -------------------------------------------------------------------------------------------------------
  // 2 and 3. A CRM user editing the records a sync step is rewriting

  /**
   * N linked accounts synced both ways (created in the CRM, so their Books customers are the sync's), then the
   * Books billing city of the even ones changed through the store: the next run's Books → CRM step rewrites
   * those CRM accounts.
   */
  async function accountsWithBooksCityEdits(
    bench: SyncBench,
    n: number,
    fieldMaps: {
      crmField: string;
      booksField: string;
      owner: 'crm' | 'books' | 'latest';
      mandatory: boolean;
    }[] = [],
  ) {
    await bench.configure({ customers: { module: 'accounts', extent: 'both_ways', fieldMaps } });
    await bench.crm('Accounts').put(range(n).map((i) => crmAccount(i)));
    const initial = await syncWithin(bench, RUN_LIMIT_MS);
    expect(initial.status).toBe('completed');
    expect(initial.counts.customers?.crm_to_books).toMatchObject({ added: n });
    const booksIdOf = await counterparts(bench, 'crm', range(n).map(acctId));
    const edited = range(n).filter((i) => i % 2 === 0);
    const booksCity = (i: number) => `Bookstown ${pad(i)}`;
    const books = await booksData(bench);
    await bench.books('contacts').put(
      edited.map((i) => {
        const data = books.get(booksIdOf.get(acctId(i))!)!;
        return { ...data, billing_address: { ...(data.billing_address as Data), city: booksCity(i) } };
      }),
    );
    return { booksIdOf, edited, booksCity };
  }

  /**
   * Runs a sync during which a CRM user edits the given accounts: on the sync's first write command to the CRM
   * accounts collection — after the step has read and decided them, before any of its writes is sent — the
   * write is held while the user reads each account's current version by `_id` and writes it back changed,
   * one store write each; then the sync's write goes on. The hook is on the driver's Collection, so it holds
   * whatever the engine sends (a bulk of replacements, per-field updates, …).
   */
  async function syncWhileCrmUserEdits(bench: SyncBench, ids: string[], change: (data: Data) => Data) {
    const accounts = bench.deps.mongo.db(bench.dbs.crm).collection<RawDoc>('crm_accounts');
    let trigger: InterceptedWrite | undefined;
    let userEdits = 0;
    const remove = interceptWrites(bench.dbs.crm, 'crm_accounts', async (write) => {
      if (trigger) return; // the user's own writes, and the sync's once the user is done
      trigger = write;
      for (const id of ids) {
        const doc = await accounts.findOne({ _id: recordKey(bench.crmOrg, id) });
        await bench.crm('Accounts').put([change(doc!.data as Data)]);
        userEdits++;
      }
    });
    try {
      const run = await syncWithin(bench, RUN_LIMIT_MS);
      expect(trigger).toBeDefined();
      expect(userEdits).toBe(ids.length);
      return run;
    } finally {
      remove();
    }
  }

  it('a CRM user edits Phone while the sync rewrites the same accounts (a different field): no edit is lost', async () => {
    const bench = await open();
    const n = 100;
    const { booksIdOf, edited, booksCity } = await accountsWithBooksCityEdits(bench, n);
    const userPhone = (i: number) => `+1 777 ${pad(i)}`;
    const phoneOf = new Map(edited.map((i) => [acctId(i), userPhone(i)]));

    const during = await syncWhileCrmUserEdits(bench, [...phoneOf.keys()], (data) => ({
      ...data,
      Phone: phoneOf.get(String(data.id)),
    }));
    expect(during.status).toBe('completed');
    const quiet = [await syncWithin(bench, RUN_LIMIT_MS), await syncWithin(bench, RUN_LIMIT_MS)];
    for (const run of quiet) expect(run.status).toBe('completed');

    const crm = await crmData(bench);
    const books = await booksData(bench);
    const wrong = range(n).flatMap((i) => {
      const isEdited = i % 2 === 0;
      const want = {
        phone: isEdited ? userPhone(i) : `+1 555 ${pad(i)}`,
        city: isEdited ? booksCity(i) : 'Springfield',
      };
      const a = crm.get(acctId(i));
      const c = books.get(booksIdOf.get(acctId(i))!);
      const got = {
        crmPhone: a?.Phone,
        crmCity: a?.Billing_City,
        booksPhone: c?.phone,
        booksCity: cityOf(c),
      };
      const ok =
        got.crmPhone === want.phone &&
        got.booksPhone === want.phone &&
        got.crmCity === want.city &&
        got.booksCity === want.city;
      return ok ? [] : [{ id: acctId(i), want, got }];
    });
    expect(none(wrong)).toEqual(none([]));
  }, 300_000);

  it.each([
    ['latest (the default): the CRM edit is the later one', undefined, 'crm'],
    ['crm', 'crm', 'crm'],
    ['books', 'books', 'books'],
  ] as const)(
    'a CRM user edits the Billing_City the sync is writing (owner %s): the conflict rule decides, visibly',
    async (_label, owner, winner) => {
      const bench = await open();
      const n = 40;
      const maps = owner
        ? [{ crmField: 'Billing_City', booksField: 'billing_address.city', owner, mandatory: false }]
        : [];
      const { booksIdOf, edited, booksCity } = await accountsWithBooksCityEdits(bench, n, maps);
      const userCity = (i: number) => `Usertown ${pad(i)}`;
      const cityOfId = new Map(edited.map((i) => [acctId(i), userCity(i)]));

      const during = await syncWhileCrmUserEdits(bench, [...cityOfId.keys()], (data) => ({
        ...data,
        Billing_City: cityOfId.get(String(data.id)),
      }));
      expect(during.status).toBe('completed');
      const quiet = [await syncWithin(bench, RUN_LIMIT_MS), await syncWithin(bench, RUN_LIMIT_MS)];
      for (const run of quiet) expect(run.status).toBe('completed');

      // Both sides changed the field since the last sync: the owner's value on both sides (S9.5); for
      // `latest`, the side changed most recently — the CRM user's edit, made after the Books change.
      const crm = await crmData(bench);
      const books = await booksData(bench);
      const wrong = edited.flatMap((i) => {
        const want = winner === 'crm' ? userCity(i) : booksCity(i);
        const a = crm.get(acctId(i));
        const c = books.get(booksIdOf.get(acctId(i))!);
        const got = { crm: a?.Billing_City, books: cityOf(c), crmPhone: a?.Phone, booksPhone: c?.phone };
        const ok =
          got.crm === want &&
          got.books === want &&
          got.crmPhone === `+1 555 ${pad(i)}` &&
          got.booksPhone === `+1 555 ${pad(i)}`;
        return ok ? [] : [{ id: acctId(i), want, got }];
      });
      expect(none(wrong)).toEqual(none([]));
      expect(await unequalPairs(bench, range(n).map(acctId))).toEqual([]);

      // Recorded: somewhere in the sync state (the run's entry, the audit log, a place of its own) or in what
      // the runs reported, each conflicting record is named with the field and the word "conflict".
      const ids = edited.flatMap((i) => [acctId(i), booksIdOf.get(acctId(i))!]);
      const { named } = await conflictMentions(bench, /Billing_City|billing_address\.city/, ids, [
        during,
        ...quiet,
      ]);
      const unrecorded = edited
        .filter((i) => !named.has(acctId(i)) && !named.has(booksIdOf.get(acctId(i))!))
        .map(acctId);
      expect(none(unrecorded)).toEqual(none([]));
    },
    300_000,
  );

  // -------------------------------------------------------------------------------------------------------
  // 4. Poison records

  const LONG_NAME = 'N'.repeat(1001);
  const LONG_ID = `a${'9'.repeat(128)}`; // 129 characters: record ids are 1-128

  interface Poison {
    side: 'crm' | 'books';
    id: string;
    data: Data;
    displayName: string;
    direction: 'crm_to_books' | 'books_to_crm';
    field: string;
    reason: RegExp;
  }

  const POISONS: [string, Poison][] = [
    [
      'a CRM account named with 1,001 characters (names are listed up to 1,000)',
      {
        side: 'crm',
        id: 'acct-poison',
        data: { id: 'acct-poison', Account_Name: LONG_NAME, Currency: 'USD' },
        displayName: LONG_NAME,
        direction: 'crm_to_books',
        field: 'Account_Name',
        reason: /1,?000/,
      },
    ],
    [
      'a Books customer named with 1,001 characters',
      {
        side: 'books',
        id: 'cust-poison',
        data: {
          contact_id: 'cust-poison',
          contact_name: LONG_NAME,
          contact_type: 'customer',
          customer_sub_type: 'business',
        },
        displayName: LONG_NAME,
        direction: 'books_to_crm',
        field: 'contact_name',
        reason: /1,?000/,
      },
    ],
    [
      'a CRM account whose id has 129 characters (record ids have at most 128)',
      {
        side: 'crm',
        id: LONG_ID,
        data: { id: LONG_ID, Account_Name: 'Long Id Corp', Currency: 'USD' },
        displayName: 'Long Id Corp',
        direction: 'crm_to_books',
        field: 'id',
        reason: /128/,
      },
    ],
    [
      "a CRM account the module's schema refuses (Employees -5)",
      {
        side: 'crm',
        id: 'acct-negative',
        data: { id: 'acct-negative', Account_Name: 'Negative Staff Ltd', Currency: 'USD', Employees: -5 },
        displayName: 'Negative Staff Ltd',
        direction: 'crm_to_books',
        field: 'Employees',
        reason: /\S/,
      },
    ],
  ];

  it.each(POISONS)(
    'written to the store directly, %s fails alone: the run completes with failures and the rest syncs',
    async (_label, poison) => {
      const bench = await open();
      await bench.configure({ customers: { module: 'accounts', extent: 'both_ways' } });
      // Eleven valid accounts (one named with exactly 1,000 characters: at the limit, not past it) and ten
      // valid Books customers.
      const crmNames = [...range(10).map((i) => `Account ${pad(i)}`), 'B'.repeat(1000)];
      await bench
        .crm('Accounts')
        .put([...range(10).map((i) => crmAccount(i)), crmAccount(10, { Account_Name: crmNames[10] })]);
      await bench.books('contacts').put(range(10).map((i) => booksCustomer(i)));
      const [db, collection, modifiedField] =
        poison.side === 'crm'
          ? [bench.dbs.crm, 'crm_accounts', 'Modified_Time' as const]
          : [bench.dbs.books, 'books_contacts', 'last_modified_time' as const];
      await bench.deps.mongo
        .db(db)
        .collection<RawDoc>(collection)
        .insertOne(
          rawEnvelope({
            org: poison.side === 'crm' ? bench.crmOrg : bench.booksOrg,
            id: poison.id,
            data: poison.data,
            modifiedField,
            displayName: poison.displayName,
          }),
        );

      const run = await syncWithin(bench, POISON_RUN_LIMIT_MS);
      expect({ status: run.status, reason: run.reason }).toEqual({
        status: 'completed_with_failures',
        reason: undefined,
      });
      expect(run.failureCount).toBe(1);
      const failures = await bench.deps.syncState.listFailures(bench.integrationId, { limit: 10 });
      expect(failures).toHaveLength(1);
      const [failure] = failures;
      expect(failure).toMatchObject({
        module: 'customers',
        direction: poison.direction,
        field: poison.field,
        status: 'open',
      });
      expect(failure!.reason).toMatch(poison.reason);
      // Named: by its id, or (an id too long to be a key) by the id in the failure's payload.
      const payload = failure!.payload as Data;
      expect([failure!.recordId, failure!.payloadId, payload.id, payload.contact_id]).toContain(poison.id);

      // Everything else synced, both ways; the poison has no counterpart.
      const crmToBooks = poison.direction === 'crm_to_books' ? 1 : 0;
      expect(run.counts.customers?.crm_to_books).toMatchObject({ added: 11, failed: crmToBooks });
      expect(run.counts.customers?.books_to_crm).toMatchObject({ added: 10, failed: 1 - crmToBooks });
      // The side without the poison holds every valid record of both sides, and nothing else.
      const everyValidName = [...crmNames, ...range(10).map((i) => `Customer ${pad(i)}`)].sort();
      const otherNames =
        poison.side === 'crm'
          ? (await bench.books('contacts').all()).map((r) => r.data.contact_name)
          : (await bench.crm('Accounts').all()).map((r) => r.data.Account_Name);
      expect(otherNames.sort()).toEqual(everyValidName);
    },
    180_000,
  );

  it('import refuses a 1,001-character name, and each other store limit, with its field and reason, and stores nothing of it', async () => {
    const bench = await open();
    const stores = await openDataStores(bench.deps.mongo, { crmDb: bench.dbs.crm, booksDb: bench.dbs.books });
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'cbs-safety-'));
    try {
      const crmFile = path.join(dir, 'accounts.json');
      const crmRecords = [
        crmAccount(0),
        crmAccount(1, { Account_Name: 'B'.repeat(1000) }),
        crmAccount(2, { Account_Name: LONG_NAME }),
        crmAccount(3, { id: LONG_ID }),
        crmAccount(4, { Employees: -5 }),
      ];
      await fs.writeFile(crmFile, JSON.stringify({ data: crmRecords, info: { more_records: false } }));
      const crmReport = await runImport({
        system: 'crm',
        module: 'Accounts',
        file: crmFile,
        org: bench.crmOrg,
        stores,
      });
      expect(crmReport.invalid.map((f) => [f.index, f.field])).toEqual([
        [2, 'Account_Name'],
        [3, 'id'],
        [4, 'Employees'],
      ]);
      expect(crmReport.invalid[0]?.reason).toMatch(/1,?000/);
      expect(crmReport.invalid[1]?.reason).toMatch(/128/);
      expect(crmReport).toMatchObject({ exitCode: DATA_EXIT.invalidRecords, read: 5, imported: 2 });
      const crmRaw = bench.deps.mongo.db(bench.dbs.crm).collection<RawDoc>('crm_accounts');
      expect(await crmRaw.countDocuments({ org: bench.crmOrg })).toBe(2);
      expect(await crmRaw.countDocuments({ 'data.Account_Name': LONG_NAME })).toBe(0);

      const booksFile = path.join(dir, 'contacts.json');
      const booksRecords = [booksCustomer(0), booksCustomer(1, { contact_name: LONG_NAME })];
      await fs.writeFile(booksFile, JSON.stringify({ code: 0, message: 'success', contacts: booksRecords }));
      const booksReport = await runImport({
        system: 'books',
        module: 'contacts',
        file: booksFile,
        org: bench.booksOrg,
        stores,
      });
      expect(booksReport.invalid.map((f) => [f.index, f.id, f.field])).toEqual([
        [1, custId(1), 'contact_name'],
      ]);
      expect(booksReport.invalid[0]?.reason).toMatch(/1,?000/);
      expect(booksReport).toMatchObject({ exitCode: DATA_EXIT.invalidRecords, imported: 1 });
      const booksRaw = bench.deps.mongo.db(bench.dbs.books).collection<RawDoc>('books_contacts');
      expect(await booksRaw.countDocuments({ org: bench.booksOrg })).toBe(1);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  // -------------------------------------------------------------------------------------------------------
  // 5. Counts across a retry

  it('a step retried after its worker was killed mid-chunk reports the counts of an uninterrupted run', async () => {
    const n = 300;
    const sizes = { chunkSize: 50, maxRecordsPerActivity: 150 };
    const prepare = async (bench: SyncBench) => {
      await bench.configure({ customers: { module: 'accounts', extent: 'both_ways' } });
      await bench.crm('Accounts').put(range(n).map((i) => crmAccount(i)));
      await bench.books('contacts').put(range(100).map((i) => booksCustomer(i)));
      // A chunk's records and links go to the stores in slices of 10, so a chunk is several write commands.
      bench.deps.stepSize = { ...(bench.deps.stepSize ?? STEP_SIZE), writeSlice: 10 };
    };

    const plain = await open();
    await prepare(plain);
    const expected = await syncWithin(plain, RUN_LIMIT_MS, sizes);
    expect(expected).toMatchObject({ status: 'completed', failureCount: 0 });
    expect(expected.counts.customers?.crm_to_books).toMatchObject({ added: n, updated: 0, failed: 0 });
    expect(expected.counts.customers?.books_to_crm).toMatchObject({ added: 100, updated: 0, failed: 0 });

    // The same data on a second bench, whose worker dies in the CRM → Books step: once 220 links have been sent
    // (the first activity's three chunks, and two slices of the fifth chunk — its records are all written, its
    // links partly), the next links command fails and so does every write of that worker from then on, as if
    // its process were gone; the worker is shut down, and a new one takes the step's retry.
    const bench = await open();
    await prepare(bench);
    const killAfterLinks = 220;
    let linksSent = 0;
    let killedAt: number | undefined;
    let dead = false;
    let revived: Promise<void> | undefined;
    const gone = () => new MongoNetworkError('the worker was killed');
    const removers = [
      interceptWrites(bench.dbs.sync, /^links/, (write) => {
        if (killedAt === undefined && linksSent + write.ops > killAfterLinks) {
          killedAt = linksSent;
          dead = true;
          revived = (async () => {
            await bench.stopWorkers();
            dead = false;
            await bench.startWorker();
          })();
        }
        if (dead) throw gone();
        linksSent += write.ops;
      }),
      ...[bench.dbs.crm, bench.dbs.books, bench.dbs.sync].map((db) =>
        interceptWrites(db, /.*/, () => {
          if (dead) throw gone();
        }),
      ),
    ];
    let result: SyncRunResult;
    try {
      result = await syncWithin(bench, RUN_LIMIT_MS, sizes);
      await revived;
    } finally {
      for (const remove of removers) remove();
    }
    expect(killedAt).toBeGreaterThan(0);
    expect(killedAt).toBeLessThan(n);
    // The step was retried: a syncStep attempt after the first started (only the last attempt's start is in
    // the history, with its attempt number).
    const history = await bench.client.workflow.getHandle(result.runId).fetchHistory();
    const attempts = (history.events ?? []).flatMap((e) =>
      e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt ?? 1] : [],
    );
    expect(Math.max(...attempts)).toBeGreaterThan(1);

    // The data is complete and the counts are those of the uninterrupted run.
    expect(await bench.deps.booksStore.module('contacts').count(bench.booksOrg)).toBe(n + 100);
    expect(await bench.deps.crmStore.module('Accounts').count(bench.crmOrg)).toBe(n + 100);
    expect({ status: result.status, failureCount: result.failureCount, counts: result.counts }).toEqual({
      status: expected.status,
      failureCount: expected.failureCount,
      counts: expected.counts,
    });
    const entry = await bench.deps.syncState.getRun(result.runId);
    expect(entry?.counts).toEqual(expected.counts);
  }, 300_000);
});
