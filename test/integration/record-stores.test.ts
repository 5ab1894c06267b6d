import { MongoClient, type Db, type Document } from 'mongodb';
import type { CrmAccount, CrmContact } from '../../domain/crm-schemas';
import type { BooksContact } from '../../domain/books-schemas';
import { DELTA_INDEX_NAME } from '../../stores/delta';
import { BOOKS_COLLECTIONS, CONTACT_TYPE_NAME_INDEX, createBooksStore } from '../../stores/books-store';
import { CONTACT_ACCOUNT_INDEX, CRM_COLLECTIONS, createCrmStore } from '../../stores/crm-store';
import {
  InvalidRecordsError,
  contentHashOf,
  normNameFilter,
  recordIndexes,
  type RecordIndexSpec,
} from '../../stores/record-collection';
import type { DeltaCursor } from '../../stores/delta';
import { FERRETDB_CAPABILITIES } from '../../stores/server-capabilities';
import type { RecordCollection, StoredRecord } from '../../stores/record-store';
import { integrationEndpoints, unique } from '../helpers';

/** How long an `$in` list FerretDB gets in one query; longer ones are sent in parts. */
const FERRETDB_LONGEST_IN = FERRETDB_CAPABILITIES.longestIn;

/** The CRM and Books stores against the real Mongo-wire server, one fresh database each for this file. */
describe('CRM and Books record stores on the real server', () => {
  const { mongoUri } = integrationEndpoints();
  const crmDbName = unique('crmstore').replace(/-/g, '_');
  const booksDbName = unique('booksstore').replace(/-/g, '_');
  let mongo: MongoClient;
  let crmDb: Db;
  let booksDb: Db;
  let isFerret = false;
  /** The clock of the stores: fixed unless a test moves it, so many writes share one modified time. */
  let clock = new Date('2025-03-01T10:00:00.000Z');
  const now = () => clock;
  let crm: ReturnType<typeof createCrmStore>;
  let books: ReturnType<typeof createBooksStore>;

  beforeAll(async () => {
    mongo = await MongoClient.connect(mongoUri);
    crmDb = mongo.db(crmDbName);
    booksDb = mongo.db(booksDbName);
    crm = createCrmStore(crmDb, { now });
    books = createBooksStore(booksDb, { now });
    await crm.ensureIndexes();
    await books.ensureIndexes();
    const info = await crmDb.admin().command({ buildInfo: 1 });
    isFerret = typeof info.ferretdbVersion === 'string';
  });

  afterAll(async () => {
    await crmDb?.dropDatabase();
    await booksDb?.dropDatabase();
    await mongo?.close();
  });

  const account = (id: string, name: string, extra: Partial<CrmAccount> = {}): CrmAccount => ({
    id,
    Account_Name: name,
    Billing_City: 'Pleasanton',
    Owner: { id: '9001', name: 'Patricia Boyle', email: 'patricia.boyle@example.com' },
    ...extra,
  });
  const contact = (id: string, last: string, accountId: string | null): CrmContact => ({
    id,
    First_Name: 'Amelia',
    Last_Name: last,
    Email: `amelia.${last.toLowerCase()}@example.com`,
    Account_Name: accountId === null ? null : { id: accountId, name: `Account ${accountId}` },
  });
  const writes = <T extends { id: string }>(records: T[]) => records.map((data) => ({ id: data.id, data }));

  async function readAll<T>(
    collection: RecordCollection<T>,
    org: string,
    limit: number,
    after?: DeltaCursor | null,
    options: { withoutField?: string } = {},
  ) {
    const seen: StoredRecord<T>[] = [];
    let cursor = after ?? null;
    let position = cursor;
    for (let pages = 0; pages < 10_000; pages++) {
      const page = await collection.findChangedSince(org, cursor, limit, options);
      expect(page.records.length).toBeLessThanOrEqual(limit);
      seen.push(...page.records);
      position = page.position;
      if (!page.next) return { seen, position };
      cursor = page.next;
    }
    throw new Error('the delta read did not end');
  }

  describe('indexes', () => {
    const expectIndexes = async (db: Db, collection: string, specs: readonly RecordIndexSpec[]) => {
      const indexes = await db.collection(collection).indexes();
      for (const spec of specs) {
        const index = indexes.find((i) => i.name === spec.name);
        expect(index).toMatchObject({ key: spec.key });
        expect(Boolean(index?.unique)).toBe(Boolean(spec.unique));
      }
    };

    it('exist on every CRM and Books record collection, with their keys and uniqueness', async () => {
      for (const name of Object.values(CRM_COLLECTIONS)) {
        await expectIndexes(
          crmDb,
          name,
          name === CRM_COLLECTIONS.Contacts ? recordIndexes([CONTACT_ACCOUNT_INDEX]) : recordIndexes(),
        );
      }
      for (const name of Object.values(BOOKS_COLLECTIONS)) {
        await expectIndexes(
          booksDb,
          name,
          name === BOOKS_COLLECTIONS.contacts ? recordIndexes([CONTACT_TYPE_NAME_INDEX]) : recordIndexes(),
        );
      }
      const names = (await crmDb.collection(CRM_COLLECTIONS.Accounts).indexes()).map((i) => i.name).sort();
      expect(names).toEqual(['_id_', DELTA_INDEX_NAME, 'org_id', 'org_normName', 'org_syncKey'].sort());
      expect(await crmDb.collection(CRM_COLLECTIONS.Contacts).indexes()).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'org_accountId', key: { org: 1, 'data.Account_Name.id': 1 } }),
        ]),
      );
    });

    it('make syncKey unique per org only where it is set (partial on MongoDB, sparse on FerretDB v1)', async () => {
      const index = (await crmDb.collection(CRM_COLLECTIONS.Deals).indexes()).find(
        (i) => i.name === 'org_syncKey',
      );
      if (isFerret) expect(index).toMatchObject({ key: { org: 1, syncKey: 1 }, unique: true });
      else
        expect(index).toMatchObject({
          partialFilterExpression: { syncKey: { $type: 'string' } },
          unique: true,
        });

      const deals = crm.module('Deals');
      const deal = (id: string) => ({ id, Deal_Name: `Deal ${id}`, Stage: 'Qualification' });
      // Many records without a sync key in one org: no collision.
      await deals.upsertMany('sk-org', writes([deal('1'), deal('2'), deal('3')]));
      await deals.upsertMany('sk-org', [{ id: '4', data: deal('4'), syncKey: 'cbs:i1:deal:4' }]);
      await deals.upsertMany('sk-org-2', [{ id: '4', data: deal('4'), syncKey: 'cbs:i1:deal:4' }]);
      await expect(
        deals.upsertMany('sk-org', [{ id: '5', data: deal('5'), syncKey: 'cbs:i1:deal:4' }]),
      ).rejects.toThrow(/duplicate key|E11000|UNIQUE/i);
      expect(await deals.count('sk-org')).toBe(4);
      // A later write without a sync key keeps the one stored.
      await deals.upsertMany('sk-org', [{ id: '4', data: { ...deal('4'), Amount: 10 } }]);
      expect((await deals.findByIds('sk-org', ['4']))[0]?.syncKey).toBe('cbs:i1:deal:4');
    });

    it('answer every `_id` condition the stores send; on FerretDB through our patched build (scripts/ferretdb-patches.ts)', async () => {
      const probe = crmDb.collection<{ _id: string; org: string }>('id_index_probe');
      await probe.insertMany(['a', 'b', 'c'].map((k) => ({ _id: `o1:${k}`, org: 'o1' })));
      const plan = async (filter: Document) => {
        const explained = await crmDb.command({ explain: { find: 'id_index_probe', filter } });
        return JSON.stringify(explained.queryPlanner);
      };
      const idFilters: Document[] = [
        { _id: 'o1:a' },
        { _id: 'o1:a', org: 'o1' },
        { _id: { $in: ['o1:a', 'o1:c'] }, org: 'o1' },
      ];
      for (const filter of idFilters)
        expect(await plan(filter)).toMatch(isFerret ? /USING INDEX \S+__id_/ : /IXSCAN|IDHACK|EXPRESS/);
      // The answers stay exact: the rest of the filter still applies to what the index finds.
      expect(await probe.find({ _id: { $in: ['o1:a', 'o1:c', 'o1:z'] }, org: 'o1' }).toArray()).toHaveLength(
        2,
      );
      expect(await probe.find({ _id: 'o1:a', org: 'o2' }).toArray()).toHaveLength(0);
      expect(await probe.updateOne({ _id: 'o1:b', org: 'o2' }, { $set: { x: 1 } })).toMatchObject({
        matchedCount: 0,
      });
      expect(await probe.updateOne({ _id: 'o1:b', org: 'o1' }, { $set: { x: 1 } })).toMatchObject({
        matchedCount: 1,
      });
      // Any other filter is still a scan on FerretDB: the stores keep those few (README, FerretDB).
      if (isFerret) expect(await plan({ org: 'o1' })).toMatch(/SCAN/);
    });

    it('answer conditions on indexed fields from the index, with exactly the answers of a full read', async () => {
      // Documents of every shape the server must still match: arrays where a string or date is indexed,
      // an array of documents on a dotted path, missing fields, other types.
      const probe = crmDb.collection<Document>('indexed_probe');
      await probe.createIndex({ org: 1, modifiedTime: 1, _id: 1 }, { name: 'org_modifiedTime_id' });
      await probe.createIndex({ org: 1, 'data.account.id': 1 }, { name: 'org_account' });
      const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
      const docs: Document[] = Array.from({ length: 60 }, (_, n) => ({
        _id: `p${n}`,
        org: n % 4 === 0 ? 'o2' : 'o1',
        modifiedTime: at(n),
        data: { account: { id: `a${n % 7}` } },
      }));
      docs.push(
        { _id: 'arr-org', org: ['o1', 'x'], modifiedTime: at(30), data: { account: { id: 'a1' } } },
        { _id: 'arr-time', org: 'o1', modifiedTime: [at(0), at(31)], data: { account: [{ id: 'a1' }] } },
        { _id: 'arr-data', org: 'o1', modifiedTime: at(32), data: [{ account: { id: 'a1' } }] },
        { _id: 'arr-leaf', org: 'o1', modifiedTime: at(33), data: { account: { id: ['z', 'a1'] } } },
        { _id: 'no-fields', other: 1 },
        { _id: 'numbers', org: 'o1', modifiedTime: 1_767_226_000_000, data: { account: { id: 1 } } },
        { _id: 'far', org: 'o1', modifiedTime: new Date(9_999_999_999_000), data: { account: { id: 'a1' } } },
        { _id: 'old', org: 'o1', modifiedTime: new Date(999_999_999_999), data: { account: { id: 'a1' } } },
        { _id: 'odd-text', org: 'o1 <&>', modifiedTime: at(34), data: { account: { id: 'a"1\\' } } },
      );
      await probe.insertMany(docs);
      const filters: Document[] = [
        { org: 'o1', modifiedTime: { $gte: at(29), $lte: new Date(9_999_999_999_999) } },
        {
          org: 'o1',
          modifiedTime: { $gt: at(29), $lt: at(40) },
          $or: [{ _id: { $gt: 'p3' } }, { other: 1 }],
        },
        { org: { $in: ['o1', 'o1 <&>'] }, modifiedTime: { $gte: at(0), $lt: at(59) } },
        { org: 'o1', 'data.account.id': { $in: ['a1', 'a"1\\'] } },
        { org: 'o1 <&>', 'data.account.id': 'a"1\\' },
        { org: 'o1', 'data.account.id': { $eq: 'a1', $ne: 'a2' } },
        { org: 'o1', $or: [{ 'data.account.id': 'a1' }, { _id: { $in: ['p2', 'p5'] } }] },
        { org: 'o1', modifiedTime: { $gte: new Date(0), $lt: at(10) } },
        { modifiedTime: { $gte: at(10), $lt: at(20) } },
      ];
      for (const filter of filters) {
        // `$and` of the one filter: the same question, which no build hands to an index.
        const full = await probe.find({ $and: [filter] }).toArray();
        const answered = await probe.find(filter).toArray();
        const ids = (found: Document[]) => found.map((d) => String(d._id)).sort();
        expect({ filter, ids: ids(answered) }).toEqual({ filter, ids: ids(full) });
        expect(full.length).toBeGreaterThan(0);
      }
      if (isFerret) {
        const plan = async (filter: Document) =>
          JSON.stringify((await crmDb.command({ explain: { find: 'indexed_probe', filter } })).queryPlanner);
        expect(await plan(filters[0]!)).toMatch(
          /USING INDEX \S+_org_modifiedTime_id \(<expr>=\? AND <expr>>\?/,
        );
        expect(await plan(filters[3]!)).toMatch(/USING INDEX \S+_org_account \(<expr>=\? AND <expr>=\?\)/);
        expect(await plan(filters[6]!)).toMatch(/USING INDEX \S+__id_/);
        expect(await plan(filters[6]!)).not.toMatch(/\bSCAN\b/);
        // A date range open at one end, or reaching before 2001-09-09, is left to a full read.
        expect(await plan(filters[7]!)).not.toMatch(/<expr>=\? AND <expr>>\?/);
      }
    });

    it('are created idempotently', async () => {
      await expect(crm.ensureIndexes()).resolves.toBeUndefined();
      await expect(books.ensureIndexes()).resolves.toBeUndefined();
    });
  });

  describe('delta reads', () => {
    it('return every record exactly once across small pages, records with equal modified times included', async () => {
      clock = new Date('2025-03-02T10:00:00.000Z');
      const accounts = crm.module('Accounts');
      // Ids whose byte order differs from their numeric order; all written in one call at one time.
      const ids = Array.from({ length: 57 }, (_, n) => [`${n}`, `A${n}`, `a-${n}`][n % 3]!);
      await accounts.upsertMany('delta-org', writes(ids.map((id) => account(id, `Company ${id}`))));
      await accounts.upsertMany(
        'delta-other',
        writes(ids.slice(0, 5).map((id) => account(id, `Other ${id}`))),
      );
      const stored = await accounts.findByIds('delta-org', ids);
      expect(new Set(stored.map((r) => r.modifiedTime.getTime()))).toEqual(new Set([clock.getTime()]));

      for (const limit of [1, 4, 7, 56, 57, 100]) {
        const { seen } = await readAll(accounts, 'delta-org', limit);
        expect(seen.map((r) => r.id).sort()).toEqual([...ids].sort());
        expect(new Set(seen.map((r) => r.id)).size).toBe(ids.length);
      }

      // Writing some again at the same clock moves them 1 ms past everything read so far.
      const { position } = await readAll(accounts, 'delta-org', 5);
      const changed = ids.filter((_, n) => n % 10 === 0);
      await accounts.upsertMany(
        'delta-org',
        writes(changed.map((id) => account(id, `Company ${id} (renamed)`))),
      );
      const again = await readAll(accounts, 'delta-org', 2, position);
      expect(again.seen.map((r) => r.id).sort()).toEqual([...changed].sort());
      expect(again.seen.every((r) => r.modifiedTime.getTime() === clock.getTime() + 1)).toBe(true);
    });

    it('read only the records without a value in a field when asked: contacts with no account', async () => {
      const contacts = crm.module('Contacts');
      const orphan = (n: number) => n % 3 === 0;
      const ids = Array.from({ length: 40 }, (_, n) => `dc${n}`);
      await contacts.upsertMany(
        'delta-orphans',
        writes(ids.map((id, n) => contact(id, `Last${n}`, orphan(n) ? null : `a${n}`))),
      );
      // And one whose data has no account field at all.
      const bare: Partial<CrmContact> = contact('dc-bare', 'Bare', null);
      delete bare.Account_Name;
      await contacts.upsertMany('delta-orphans', writes([bare as CrmContact]));
      const orphans = [...ids.filter((_id, n) => orphan(n)), 'dc-bare'].sort();

      for (const limit of [1, 3, 14, 100]) {
        const { seen, position } = await readAll(contacts, 'delta-orphans', limit, null, {
          withoutField: 'Account_Name',
        });
        expect(seen.map((r) => r.id).sort()).toEqual(orphans);
        // The position stands at the last record read.
        expect(position?.id).toBe(`delta-orphans|${seen[seen.length - 1]?.id}`);
      }
      expect((await readAll(contacts, 'delta-orphans', 7)).seen).toHaveLength(ids.length + 1);
      await expect(
        contacts.findChangedSince('delta-orphans', null, 5, { withoutField: '$where' }),
      ).rejects.toThrow(/field API name/);
    });
  });

  describe('upsertMany', () => {
    it('writes nothing the second time: all unchanged, modified time and stamp untouched', async () => {
      clock = new Date('2025-03-03T10:00:00.000Z');
      const contacts = crm.module('Contacts');
      const records = [
        contact('c1', 'Burrows', 'a1'),
        contact('c2', 'Okafor', null),
        contact('c3', 'Weber', 'a1'),
      ];
      expect(await contacts.upsertMany('up-org', writes(records))).toEqual({
        inserted: 3,
        updated: 0,
        unchanged: 0,
      });
      const first = await contacts.findByIds('up-org', ['c1', 'c2', 'c3']);
      expect(first.map((r) => r.data.Modified_Time)).toEqual(Array(3).fill('2025-03-03T10:00:00+00:00'));

      clock = new Date('2025-03-03T11:00:00.000Z');
      // The same content, with a different Modified_Time from elsewhere and keys in another order.
      const same = records.map((r) => ({
        id: r.id,
        data: { Modified_Time: '2020-01-01T00:00:00+00:00', ...r },
      }));
      expect(await contacts.upsertMany('up-org', same)).toEqual({ inserted: 0, updated: 0, unchanged: 3 });
      expect(await contacts.findByIds('up-org', ['c1', 'c2', 'c3'])).toEqual(first);

      const renamed = { ...records[1]!, Last_Name: 'Okafor-Smith' };
      expect(await contacts.upsertMany('up-org', writes([renamed, records[0]!]))).toEqual({
        inserted: 0,
        updated: 1,
        unchanged: 1,
      });
      const [c2] = await contacts.findByIds('up-org', ['c2']);
      expect(c2).toMatchObject({
        modifiedTime: clock,
        normName: 'amelia okafor-smith',
        deleted: false,
        data: { ...renamed, Modified_Time: '2025-03-03T11:00:00+00:00' },
      });
      const raw = await crmDb.collection(CRM_COLLECTIONS.Contacts).findOne({ _id: 'up-org|c2' } as Document);
      expect(raw).toMatchObject({
        org: 'up-org',
        id: 'c2',
        contentHash: contentHashOf(renamed, 'Modified_Time'),
      });
    });

    it('updates more than 100 stored records in one call (FerretDB v1 hangs on 100+ in one command)', async () => {
      clock = new Date('2025-03-03T12:00:00.000Z');
      const vendors = crm.module('Vendors');
      const vendor = (n: number, city: string) => ({ id: `v${n}`, Vendor_Name: `Vendor ${n}`, City: city });
      const ids = Array.from({ length: 130 }, (_, n) => n);
      expect(await vendors.upsertMany('many-org', writes(ids.map((n) => vendor(n, 'Berlin'))))).toMatchObject(
        {
          inserted: 130,
        },
      );
      clock = new Date('2025-03-03T12:00:01.000Z');
      expect(await vendors.upsertMany('many-org', writes(ids.map((n) => vendor(n, 'Lyon'))))).toEqual({
        inserted: 0,
        updated: 130,
        unchanged: 0,
      });
      expect(
        await vendors.markDeleted(
          'many-org',
          ids.map((n) => `v${n}`),
        ),
      ).toBe(130);
      expect(await vendors.count('many-org')).toBe(0);
    }, 120_000);

    it('settles concurrent writes of the same records (strictly on MongoDB, last-writer-wins on FerretDB v1)', async () => {
      clock = new Date('2025-03-03T13:00:00.000Z');
      const deals = crm.module('Deals');
      const deal = (n: number, stage: string) => ({ id: `r${n}`, Deal_Name: `Race ${n}`, Stage: stage });
      const ids = Array.from({ length: 20 }, (_, n) => n);
      // Two writers insert the same new records at once: one inserts, the other finds them equal.
      const inserted = await Promise.all([
        deals.upsertMany('race-org', writes(ids.map((n) => deal(n, 'Qualification')))),
        deals.upsertMany('race-org', writes(ids.map((n) => deal(n, 'Qualification')))),
      ]);
      expect(inserted.reduce((n, r) => n + r.inserted, 0)).toBe(20);
      expect(inserted.reduce((n, r) => n + r.unchanged, 0)).toBe(20);
      // Two writers change them at once, differently: both land, the later one on top of the earlier.
      const updated = await Promise.all([
        deals.upsertMany('race-org', writes(ids.map((n) => deal(n, 'Closed Won')))),
        deals.upsertMany('race-org', writes(ids.map((n) => deal(n, 'Closed Lost')))),
      ]);
      expect(updated.map((r) => r.updated)).toEqual([20, 20]);
      const stored = await deals.findByIds(
        'race-org',
        ids.map((n) => `r${n}`),
      );
      expect(stored).toHaveLength(20);
      expect(stored.every((r) => ['Closed Won', 'Closed Lost'].includes(r.data.Stage))).toBe(true);
      const bumps = stored.map((r) => r.modifiedTime.getTime() - clock.getTime());
      if (!isFerret) {
        // MongoDB: the version in the filter makes the loser's write miss; it is planned again on top.
        expect(bumps).toEqual(ids.map(() => 2));
      } else {
        // FerretDB v1 (SQLite) evaluates a filtered update's match and its write non-atomically: two
        // concurrent writes with the same version filter both match (199 of 200 trials in a probe), so the
        // second overwrites the first at the same modified time. A writer whose check then reads the other's
        // write plans again on top of it, 1 ms later, for at most three rounds each — so a record may move up
        // to 6 ms (seen: 3, about once in 20 runs under load). Every record still moved past the insert.
        expect(bumps.filter((b) => b < 1 || b > 6)).toEqual([]);
      }
    }, 120_000);

    it('refuses a batch with an invalid record, naming index, field and reason, and writes none of it', async () => {
      const contacts = crm.module('Contacts');
      const bad = { id: 'v2', First_Name: 'No', Email: 'nope' } as unknown as CrmContact;
      const promise = contacts.upsertMany('invalid-org', writes([contact('v1', 'Valid', null), bad]));
      await expect(promise).rejects.toThrow(InvalidRecordsError);
      await expect(promise).rejects.toThrow(/#1 \(id v2\) Last_Name: required/);
      await expect(promise).rejects.toMatchObject({ failures: [{ index: 1, id: 'v2', field: 'Last_Name' }] });
      // The id inside the record must be the write's id; a key with "." cannot be stored.
      await expect(
        contacts.upsertMany('invalid-org', [{ id: 'x1', data: contact('x2', 'Other', null) }]),
      ).rejects.toMatchObject({
        failures: [{ index: 0, field: 'id' }],
      });
      await expect(
        contacts.upsertMany('invalid-org', [{ id: 'x3', data: { ...contact('x3', 'Dot', null), 'a.b': 1 } }]),
      ).rejects.toMatchObject({ failures: [{ index: 0, field: 'a.b' }] });
      expect(await crm.collections.Contacts.countAll('invalid-org')).toBe(0);
    });

    it('refuses a malformed org id before building any filter', async () => {
      await expect(crm.module('Accounts').findByIds('{"$gt":""}', ['1'])).rejects.toThrow();
      await expect(crm.module('Accounts').count('a|b')).rejects.toThrow();
    });
  });

  describe('duplicate-name lookups', () => {
    const org = 'dup-org';
    beforeAll(async () => {
      clock = new Date('2025-03-04T10:00:00.000Z');
      await crm
        .module('Accounts')
        .upsertMany(
          org,
          writes([
            account('d1', 'Zylker  Traders'),
            account('d2', 'ZYLKER TRADERS'),
            account('d3', 'Acme, Inc.'),
            account('d4', 'Acme Inc'),
            ...Array.from({ length: 40 }, (_, n) => account(`f${n}`, `Filler ${n}`)),
          ]),
        );
      await crm.module('Accounts').upsertMany('dup-other', writes([account('d1', 'Zylker Traders')]));
    });

    it('match normalised names within the org, live records only', async () => {
      const found = await crm.module('Accounts').findByNormNames(org, ['zylker traders', 'acme inc']);
      expect(found.map((r) => r.id).sort()).toEqual(['d1', 'd2', 'd4']);
      expect(found.every((r) => r.org === org && r.normName !== '')).toBe(true);
      await crm.module('Accounts').markDeleted(org, ['d2']);
      expect(
        (await crm.module('Accounts').findByNormNames(org, ['zylker traders'])).map((r) => r.id),
      ).toEqual(['d1']);
      expect(await crm.module('Accounts').findByNormNames(org, [])).toEqual([]);
    });

    it('go through the (org, normName) index', async () => {
      const collection = crmDb.collection(CRM_COLLECTIONS.Accounts);
      const filter = normNameFilter(org, ['zylker traders']);
      const plan = await collection.find(filter).explain('queryPlanner');
      const index = (await collection.indexes()).find((i) => i.name === 'org_normName');
      expect(index?.key).toEqual({ org: 1, normName: 1 });
      if (plan.queryPlanner?.winningPlan) {
        // MongoDB: the winning plan scans that index.
        const text = JSON.stringify(plan.queryPlanner.winningPlan);
        expect(text).toContain('IXSCAN');
        expect(text).toContain('"indexName":"org_normName"');
      } else {
        // FerretDB v1 (SQLite): explain shows SQLite's plan and whether the filter was pushed down; its SQLite
        // backend pushes down only `_id` equality, so no Mongo-style index choice is visible. What can be
        // checked: it is FerretDB answering, and the store's filter is the index's prefix plus `deleted`.
        expect(plan.serverInfo).toHaveProperty('ferretdbVersion');
        expect(Array.isArray(plan.queryPlanner?.Plan)).toBe(true);
        expect(typeof plan.filterPushdown).toBe('boolean');
        const keys = Object.keys(index?.key ?? {});
        expect(Object.keys(filter).filter((k) => k !== 'deleted')).toEqual(keys);
      }
    });

    it('find Books customers and vendors apart, by type, through their own index', async () => {
      const contacts = books.module('contacts');
      const c = (id: string, name: string, type: 'customer' | 'vendor'): BooksContact => ({
        contact_id: id,
        contact_name: name,
        contact_type: type,
      });
      await contacts.upsertMany(
        'bdup',
        [
          c('b1', 'Zylker Traders', 'customer'),
          c('b2', 'Zylker Traders', 'vendor'),
          c('b3', 'Other', 'customer'),
        ].map((data) => ({ id: data.contact_id, data })),
      );
      const customers = await books.findContactsByNormNames('bdup', 'customer', ['zylker traders', 'other']);
      expect(customers.map((r) => r.id).sort()).toEqual(['b1', 'b3']);
      const vendors = await books.findContactsByNormNames('bdup', 'vendor', ['zylker traders']);
      expect(vendors.map((r) => r.data.contact_id)).toEqual(['b2']);
      expect((await contacts.findByNormNames('bdup', ['zylker traders'])).length).toBe(2);
      await expect(books.findContactsByNormNames('bdup', 'lead' as 'vendor', ['x'])).rejects.toThrow();
    });
  });

  describe('contacts by account', () => {
    it('are found in one query over the account lookup index, deleted ones left out', async () => {
      clock = new Date('2025-03-05T10:00:00.000Z');
      const org = 'acc-org';
      await crm
        .module('Contacts')
        .upsertMany(
          org,
          writes([
            contact('k1', 'One', 'A1'),
            contact('k2', 'Two', 'A1'),
            contact('k3', 'Three', 'A2'),
            contact('k4', 'Four', null),
            contact('k5', 'Five', 'A3'),
          ]),
        );
      await crm.module('Contacts').markDeleted(org, ['k2']);
      const found = await crm.findContactsByAccountIds(org, ['A1', 'A2']);
      expect(found.map((r) => r.id).sort()).toEqual(['k1', 'k3']);
      expect(await crm.findContactsByAccountIds(org, [])).toEqual([]);
    });
  });

  describe('lookups by long lists', () => {
    // Past FERRETDB_LONGEST_IN values a list is sent in parts: the answers must be those of the same lookups
    // in short lists.
    const org = 'long-org';
    const n = FERRETDB_LONGEST_IN + 200;
    const ids = Array.from({ length: n }, (_, i) => `L${String(i).padStart(4, '0')}`);
    const inShortLists = async <T>(list: string[], read: (part: string[]) => Promise<T[]>) =>
      (
        await Promise.all(
          Array.from({ length: Math.ceil(list.length / 100) }, (_, k) =>
            read(list.slice(k * 100, k * 100 + 100)),
          ),
        )
      ).flat();
    beforeAll(async () => {
      clock = new Date('2025-03-06T10:00:00.000Z');
      await crm.module('Accounts').upsertMany(org, writes(ids.map((id) => account(id, `Long ${id}`))));
      // The same ids in another org, and contacts of every account but the last 100.
      await crm
        .module('Accounts')
        .upsertMany('long-other', writes(ids.map((id) => account(id, `Long ${id}`))));
      await crm
        .module('Contacts')
        .upsertMany(org, writes(ids.slice(0, n - 100).map((id) => contact(`K${id}`, id, id))));
      await crm.module('Accounts').markDeleted(org, [ids[3]!]);
    });

    it('find by more ids than one `_id` query lists: in parts, merged in key order', async () => {
      const many = 'long-ids-org';
      const count = FERRETDB_CAPABILITIES.longestIn + 300;
      const all = Array.from({ length: count }, (_, i) => `M${String(i).padStart(5, '0')}`);
      await crm.module('Accounts').upsertMany(many, writes(all.slice(0, 900).map((id) => account(id, id))));
      await crm.module('Accounts').upsertMany(many, writes(all.slice(900).map((id) => account(id, id))));
      // Asked shuffled, with absent ids and repeats: each part comes back from its own query.
      const asked = [
        ...all.filter((_, i) => i % 2 === 1),
        'absent',
        ...all.filter((_, i) => i % 2 === 0),
        all[7]!,
      ];
      const found = await crm.module('Accounts').findByIds(many, asked);
      expect(found.map((r) => r.id)).toEqual(all);
    });

    it('find by id, name and account exactly what short lists find', async () => {
      const accounts = crm.module('Accounts');
      const asked = [...ids.slice(50), 'missing-1', 'missing-2'];
      expect(asked.length).toBeGreaterThan(FERRETDB_LONGEST_IN);
      const byIds = await accounts.findByIds(org, asked);
      expect(byIds.map((r) => r.id)).toEqual(ids.slice(50));
      expect(byIds.every((r) => r.org === org)).toBe(true);

      const names = ids.map((id) => `long ${id.toLowerCase()}`);
      const byNames = await accounts.findByNormNames(org, names);
      expect(byNames).toHaveLength(n - 1); // the deleted one left out
      expect(byNames.map((r) => r.id).sort()).toEqual(
        (await inShortLists(names, (part) => accounts.findByNormNames(org, part))).map((r) => r.id).sort(),
      );

      const contacts = await crm.findContactsByAccountIds(org, ids);
      expect(contacts.map((r) => r.id).sort()).toEqual(ids.slice(0, n - 100).map((id) => `K${id}`));

      // A long list that matches few: those few, whole, as a short list finds them.
      const fewOfMany = [...ids.slice(0, 10), ...ids.map((id) => `absent-${id}`)];
      expect(fewOfMany.length).toBeGreaterThan(FERRETDB_LONGEST_IN);
      expect(await accounts.findByIds(org, fewOfMany)).toEqual(
        await accounts.findByIds(org, ids.slice(0, 10)),
      );
      expect(await accounts.findByNormNames(org, [...names.slice(0, 5), ...fewOfMany])).toEqual(
        await accounts.findByNormNames(org, names.slice(0, 5)),
      );
    });

    it.each([
      ['long', ids.slice(0, FERRETDB_LONGEST_IN + 50), ids.slice(FERRETDB_LONGEST_IN)],
      ['short', ids.slice(0, 20), ids.slice(10, 40)],
    ])(
      'find by ids and names in one read what the two reads find (%s lists)',
      async (_kind, idPart, namePart) => {
        const accounts = crm.module('Accounts');
        const askedIds = [...idPart, 'missing-1'];
        const names = [...namePart.map((id) => `long ${id.toLowerCase()}`), 'no such name'];
        const { byId, byName } = await accounts.findByIdsAndNormNames(org, askedIds, names);
        expect(byId).toEqual(await accounts.findByIds(org, askedIds));
        expect(byName).toEqual(await accounts.findByNormNames(org, names));
        // The deleted account is found by its id, never by its name; nothing of the other org comes back.
        expect(byId.find((r) => r.id === ids[3])?.deleted).toBe(true);
        expect(byName.some((r) => r.deleted)).toBe(false);
        expect([...byId, ...byName].every((r) => r.org === org)).toBe(true);
        expect(byName.length).toBe(namePart.length - (namePart.includes(ids[3]!) ? 1 : 0));
      },
    );
  });

  describe('markDeleted', () => {
    it('keeps the record, bumps its modified time, hides it from counts; a later write revives it', async () => {
      clock = new Date('2025-03-06T10:00:00.000Z');
      const products = crm.module('Products');
      const product = { id: 'p1', Product_Name: 'Widget', Product_Type: 'Goods' as const, Unit_Price: 10 };
      await products.upsertMany('del-org', writes([product]));
      expect(await products.markDeleted('del-org', ['p1', 'missing'])).toBe(1);
      expect(await products.markDeleted('del-org', ['p1'])).toBe(0);
      const [stored] = await products.findByIds('del-org', ['p1']);
      expect(stored).toMatchObject({ deleted: true, modifiedTime: new Date(clock.getTime() + 1) });
      expect(await products.count('del-org')).toBe(0);
      expect(await crm.collections.Products.countAll('del-org')).toBe(1);
      expect((await readAll(products, 'del-org', 10)).seen.map((r) => r.deleted)).toEqual([true]);
      expect(await products.upsertMany('del-org', writes([product]))).toEqual({
        inserted: 0,
        updated: 1,
        unchanged: 0,
      });
      expect(await products.count('del-org')).toBe(1);
    });
  });

  describe('reads', () => {
    it('parse every document and refuse one that does not match its schema', async () => {
      await crmDb.collection(CRM_COLLECTIONS.Vendors).insertOne({
        _id: 'bad-org|v1',
        org: 'bad-org',
        id: 'v1',
        modifiedTime: new Date(),
        normName: 'x',
        deleted: false,
        contentHash: 'x',
        data: { id: 'v1', Vendor_Name: 42 },
      } as Document);
      await expect(crm.module('Vendors').findByIds('bad-org', ['v1'])).rejects.toThrow(
        /bad-org\|v1.*Vendor_Name/,
      );
    });
  });

  describe('settings', () => {
    it('keep the CRM org, roles, pipelines and views, idempotently', async () => {
      const org = {
        id: 'set-org',
        company_name: 'Zylker Corp',
        edition: 'PROFESSIONAL' as const,
        mc_status: true,
        iso_code: 'USD',
      };
      expect(await crm.getOrg('set-org')).toBeUndefined();
      expect(await crm.saveOrg(org)).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
      expect(await crm.saveOrg(org)).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
      expect(await crm.getOrg('set-org')).toEqual(org);

      const views = [
        { id: 'v1', name: 'All Accounts', module: 'Accounts', system_name: 'ALLVIEWS' },
        { id: 'v2', name: 'My Contacts', module: 'Contacts' },
        {
          id: 'v3',
          name: 'US',
          module: 'Accounts',
          criteria: { field: { api_name: 'Billing_Country' }, comparator: 'equal' as const, value: 'USA' },
        },
      ];
      await crm.saveViews('set-org', views);
      expect((await crm.listViews('set-org', 'Accounts')).map((v) => v.id)).toEqual(['v1', 'v3']);
      expect(await crm.getView('set-org', 'v3')).toEqual(views[2]);
      expect(await crm.getView('other-org', 'v3')).toBeUndefined();
      await expect(crm.saveViews('set-org', [{ id: 'v4', module: 'Accounts' } as never])).rejects.toThrow(
        InvalidRecordsError,
      );

      const pipeline = {
        id: 'pl1',
        display_value: 'Standard',
        maps: [{ display_value: 'Closed Won', probability: 100, forecast_type: 'Closed Won' as const }],
      };
      await crm.savePipelines('set-org', [pipeline]);
      expect(await crm.getPipeline('set-org', 'pl1')).toEqual(pipeline);
      await crm.saveRoles('set-org', [{ id: 'r1', name: 'CEO' }]);
      expect(await crm.listRoles('set-org')).toEqual([{ id: 'r1', name: 'CEO' }]);
    });

    it('keep the Books organization, currencies, taxes and custom fields per module', async () => {
      const organization = { organization_id: 'bset', name: 'Zylker Corp', currency_code: 'USD' };
      await books.saveOrganization(organization);
      expect(await books.getOrganization('bset')).toEqual(organization);
      await books.saveCurrencies('bset', [
        { currency_id: 'cu1', currency_code: 'USD', price_precision: 2, is_base_currency: true },
      ]);
      expect((await books.listCurrencies('bset')).map((c) => c.currency_code)).toEqual(['USD']);
      await books.saveTaxes('bset', [{ tax_id: 't1', tax_name: 'VAT', tax_percentage: 19 }]);
      expect(await books.listTaxes('bset')).toHaveLength(1);

      const tier = { customfield_id: 'cf1', label: 'Tier', api_name: 'cf_tier', data_type: 'dropdown' };
      const sku = {
        customfield_id: 'cf2',
        label: 'Legacy SKU',
        api_name: 'cf_legacy_sku',
        data_type: 'string',
      };
      await books.saveCustomFields('bset', 'contacts', [tier]);
      await books.saveCustomFields('bset', 'items', [sku]);
      expect(await books.listCustomFields('bset', 'contacts')).toEqual([tier]);
      expect(await books.listCustomFields('bset', 'items')).toEqual([sku]);
      expect(await books.saveCustomFields('bset', 'items', [sku])).toEqual({
        inserted: 0,
        updated: 0,
        unchanged: 1,
      });
      await expect(books.listCustomFields('bset', 'nope' as 'items')).rejects.toThrow();
    });
  });
});
