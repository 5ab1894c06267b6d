import { MongoClient, type Db } from 'mongodb';
import type { CrmAccount } from '../../domain/crm-schemas';
import { LATE_WRITE_MS, WRITE_SETTLE_MS } from '../../stores/delta';
import { CRM_COLLECTIONS, createCrmStore } from '../../stores/crm-store';
import { InvalidRecordsError } from '../../stores/record-collection';
import { integrationEndpoints, unique } from '../helpers';

/**
 * How the record stores write, on the real server (issue: changes made while a sync runs): per-field writes
 * on the version read, a stamp per command, late commands stamped again, and the name limit at entry.
 */
describe('record writes that lose nothing', () => {
  const { mongoUri } = integrationEndpoints();
  const dbName = unique('writes').replace(/-/g, '_');
  let mongo: MongoClient;
  let db: Db;
  /** The store's clock: each call returns the next value of `ticks` (or the last one). */
  let ticks: Date[] = [];
  let last = new Date('2026-01-01T10:00:00.000Z');
  const now = () => {
    const t = ticks.shift();
    if (t) last = t;
    return last;
  };
  let crm: ReturnType<typeof createCrmStore>;
  const org = 'org1';

  beforeAll(async () => {
    mongo = await MongoClient.connect(mongoUri);
    db = mongo.db(dbName);
    crm = createCrmStore(db, { now });
    await crm.ensureIndexes();
  });
  afterAll(async () => {
    await db?.dropDatabase();
    await mongo?.close();
  });

  const account = (id: string, extra: Partial<CrmAccount> = {}): CrmAccount => ({
    id,
    Account_Name: `Account ${id}`,
    Billing_City: 'Pleasanton',
    Phone: '555-0100',
    Owner: { id: '9001', name: 'Patricia Boyle', email: 'patricia.boyle@example.com' },
    ...extra,
  });
  const read = async (id: string) => (await crm.module('Accounts').findByIds(org, [id]))[0]!;

  it('a per-field write keeps a field another writer changed, and a write on an old version is stale', async () => {
    const accounts = crm.module('Accounts');
    await accounts.upsertMany(org, [
      { id: 'p1', data: account('p1') },
      { id: 'p2', data: account('p2') },
    ]);
    const seen = await read('p1');
    // Another writer changes the phone of p1 after the version was read.
    last = new Date(last.getTime() + 1000);
    await accounts.upsertMany(org, [{ id: 'p1', data: { ...seen.data, Phone: '555-9999' } }]);
    const seen2 = await read('p2');
    const result = await accounts.patchMany(org, [
      {
        id: 'p1',
        expectedModifiedTime: seen.modifiedTime,
        base: seen.data,
        data: { ...seen.data, Billing_City: 'Dublin' },
      },
      {
        id: 'p2',
        expectedModifiedTime: seen2.modifiedTime,
        base: seen2.data,
        data: { ...seen2.data, Billing_City: 'Dublin' },
      },
    ]);
    expect(result).toEqual({ updated: 1, unchanged: 0, stale: ['p1'] });
    // p1: the other writer's phone stands, the stale city was not written.
    expect((await read('p1')).data).toMatchObject({ Phone: '555-9999', Billing_City: 'Pleasanton' });
    // p2: only the city was written; its modified time moved, so delta readers see it.
    const p2 = await read('p2');
    expect(p2.data).toMatchObject({ Phone: '555-0100', Billing_City: 'Dublin' });
    expect(p2.modifiedTime.getTime()).toBeGreaterThan(seen2.modifiedTime.getTime());
    // Decided again on the fresh version, p1's city goes in and the phone stays.
    const fresh = await read('p1');
    const again = await accounts.patchMany(org, [
      {
        id: 'p1',
        expectedModifiedTime: fresh.modifiedTime,
        base: fresh.data,
        data: { ...fresh.data, Billing_City: 'Dublin' },
      },
    ]);
    expect(again).toEqual({ updated: 1, unchanged: 0, stale: [] });
    expect((await read('p1')).data).toMatchObject({ Phone: '555-9999', Billing_City: 'Dublin' });
    // The stored content hash follows the patched data: writing the same content again is a no-op.
    const stored = await read('p1');
    expect(await accounts.upsertMany(org, [{ id: 'p1', data: stored.data }])).toMatchObject({ unchanged: 1 });
  });

  it('a patch with nothing to change writes nothing', async () => {
    const seen = await read('p2');
    const result = await crm
      .module('Accounts')
      .patchMany(org, [
        { id: 'p2', expectedModifiedTime: seen.modifiedTime, base: seen.data, data: seen.data },
      ]);
    expect(result).toEqual({ updated: 0, unchanged: 1, stale: [] });
    expect((await read('p2')).modifiedTime).toEqual(seen.modifiedTime);
  });

  it('a command acknowledged late stamps its records again, so no delta reader can have passed them', async () => {
    const accounts = crm.module('Accounts');
    const stamp = new Date('2026-01-02T10:00:00.000Z');
    const acknowledged = new Date(stamp.getTime() + LATE_WRITE_MS + 1);
    const restamp = new Date(acknowledged.getTime() + 5);
    // Calls of the clock: the command's stamp, its acknowledgement (late), the re-stamp, its acknowledgement.
    ticks = [stamp, acknowledged, restamp, restamp];
    await accounts.upsertMany(org, [{ id: 'late1', data: account('late1') }]);
    const stored = await read('late1');
    expect(stored.modifiedTime.toISOString()).toBe(restamp.toISOString());
    expect(stored.data.Modified_Time).toBe(`${restamp.toISOString().slice(0, 19)}+00:00`);
    // On time: one stamp, kept.
    const onTime = new Date(restamp.getTime() + WRITE_SETTLE_MS);
    ticks = [onTime, new Date(onTime.getTime() + 10)];
    await accounts.upsertMany(org, [{ id: 'late2', data: account('late2') }]);
    expect((await read('late2')).modifiedTime.toISOString()).toBe(onTime.toISOString());
  });

  it('stamps each write command when it is sent, not once for the batch', async () => {
    const accounts = crm.module('Accounts');
    // 1,500 new records: two insert commands (at most 1,000 each), each with the clock's next value.
    const first = new Date('2026-01-03T10:00:00.000Z');
    const second = new Date(first.getTime() + 2000);
    ticks = [first, first, second, second];
    const records = Array.from({ length: 1500 }, (_, i) => {
      const id = `batch${String(i).padStart(4, '0')}`;
      return { id, data: account(id) };
    });
    await accounts.upsertMany(org, records);
    const times = new Set(
      (
        await db
          .collection(CRM_COLLECTIONS.Accounts)
          .find({ id: /^batch/ })
          .toArray()
      ).map((d) => (d.modifiedTime as Date).toISOString()),
    );
    expect([...times].sort()).toEqual([first.toISOString(), second.toISOString()]);
  });

  it('refuses at entry a name longer than the stores keep, naming its field', async () => {
    const long = 'N'.repeat(1001);
    const write = crm.module('Accounts').upsertMany(org, [
      { id: 'ok1', data: account('ok1') },
      { id: 'long1', data: account('long1', { Account_Name: long }) },
    ]);
    await expect(write).rejects.toThrow(InvalidRecordsError);
    await expect(write).rejects.toMatchObject({
      failures: [
        expect.objectContaining({
          id: 'long1',
          field: 'Account_Name',
          reason: expect.stringMatching(/1001 characters/),
        }),
      ],
    });
    expect(await crm.module('Accounts').findByIds(org, ['ok1', 'long1'])).toEqual([]);
  });
});
