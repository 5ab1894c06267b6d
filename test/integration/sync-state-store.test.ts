import { MongoClient, type Db } from 'mongodb';
import { ZodError } from 'zod';
import {
  LinkEntitySchema,
  type IntegrationInput,
  type LinkDoc,
  type LinkEntity,
  type LinkInput,
} from '../../domain/sync-state-schemas';
import {
  LEGACY_LINKS_COLLECTION,
  RunConflictError,
  SYNC_STATE_INDEXES,
  TwoWayIntegrationExistsError,
  VersionConflictError,
  createSyncStateStore,
  linksCollectionOf,
  type SyncStateStore,
} from '../../stores/sync-state-store';
import { integrationEndpoints, unique } from '../helpers';
import { FERRETDB_CAPABILITIES } from '../../stores/server-capabilities';
import { createFailuresRepository } from '../../stores/sync-state/failures';
import { createLinksRepository } from '../../stores/sync-state/links';

/** How long an `$in` list FerretDB gets in one query; longer ones are sent in parts. */
const FERRETDB_LONGEST_IN = FERRETDB_CAPABILITIES.longestIn;

/** The sync-state store against the real Mongo-wire server, one fresh database for this file. */
describe('sync-state store on the real server', () => {
  const { mongoUri } = integrationEndpoints();
  const dbName = unique('syncstate').replace(/-/g, '_');
  let mongo: MongoClient;
  let db: Db;
  let store: SyncStateStore;
  /** Names of the commands sent to the server, to prove a refused call never reached it. */
  const commands: string[] = [];

  beforeAll(async () => {
    mongo = new MongoClient(mongoUri, { monitorCommands: true });
    mongo.on('commandStarted', (event) => commands.push(event.commandName));
    await mongo.connect();
    db = mongo.db(dbName);
    store = createSyncStateStore(db);
    await store.ensureIndexes();
  });

  afterAll(async () => {
    await db?.dropDatabase();
    await mongo?.close();
  });

  const config: IntegrationInput['config'] = {
    customers: { module: 'accounts_and_contacts', extent: 'both_ways', duplicatePolicy: 'overwrite' },
    vendors: { extent: 'fetch_from_crm', duplicatePolicy: 'skip' },
    items: { extent: 'both_ways', duplicatePolicy: 'clone' },
  };
  const newIntegration = (crmOrgId: string, booksOrgId: string, over: Partial<IntegrationInput> = {}) =>
    ({
      crmOrgId,
      booksOrgId,
      environment: 'production',
      direction: 'two_way',
      status: 'active',
      config,
      version: 0,
      ...over,
    }) satisfies IntegrationInput;

  describe('indexes', () => {
    it('are all created, with their keys and uniqueness', async () => {
      for (const spec of SYNC_STATE_INDEXES) {
        const indexes = await db.collection(spec.collection).indexes();
        const index = indexes.find((i) => i.name === spec.name);
        expect(index).toMatchObject({ key: spec.key });
        expect(Boolean(index?.unique)).toBe(Boolean(spec.unique));
      }
    });

    it('include the unique link keys and the link delta index in the link collection of every entity', async () => {
      for (const entity of LinkEntitySchema.options) {
        const indexes = await db.collection(linksCollectionOf(entity)).indexes();
        const byName = Object.fromEntries(
          indexes.map((i) => [i.name, { key: i.key, unique: Boolean(i.unique) }]),
        );
        expect(byName).toMatchObject({
          integrationId_crmId: { key: { integrationId: 1, crmId: 1 }, unique: true },
          integrationId_booksId: { key: { integrationId: 1, booksId: 1 }, unique: true },
          integrationId_modifiedTime_id: {
            key: { integrationId: 1, modifiedTime: 1, _id: 1 },
            unique: false,
          },
        });
      }
    });

    it('can be ensured again', async () => {
      await expect(store.ensureIndexes()).resolves.toBeUndefined();
    });
  });

  describe('integrations', () => {
    it('are created at version 1 and saved with optimistic concurrency', async () => {
      const crm = unique('crm');
      const created = await store.saveIntegration(newIntegration(crm, 'b1'));
      expect(created).toMatchObject({ _id: `${crm}/b1/production`, version: 1, status: 'active' });
      expect(created.config.periodicSyncMinutes).toBe(120);

      const paused = await store.saveIntegration({ ...created, status: 'paused' });
      expect(paused).toMatchObject({ version: 2, status: 'paused' });
      expect(paused.createdTime).toEqual(created.createdTime);
      expect(await store.getIntegration(created._id)).toEqual(paused);

      // Someone saving from the version-1 copy, with other content, is refused.
      const stale = store.saveIntegration({ ...created, status: 'disabled' });
      await expect(stale).rejects.toBeInstanceOf(VersionConflictError);
      await expect(stale).rejects.toMatchObject({ expectedVersion: 1, actualVersion: 2 });
      // A second create of the same integration is refused too.
      await expect(
        store.saveIntegration(newIntegration(crm, 'b1', { status: 'disabled' })),
      ).rejects.toMatchObject({
        name: 'VersionConflict',
        expectedVersion: 0,
        actualVersion: 2,
      });
      expect((await store.getIntegration(created._id))?.version).toBe(2);
    });

    it('treat a retried save that already landed as done', async () => {
      const crm = unique('crm');
      const input = newIntegration(crm, 'b1');
      const first = await store.saveIntegration(input);
      expect(await store.saveIntegration(input)).toEqual(first);
      const second = await store.saveIntegration({ ...first, status: 'paused' });
      expect(await store.saveIntegration({ ...first, status: 'paused' })).toEqual(second);
      await expect(store.saveIntegration({ ...first, version: 7, status: 'paused' })).rejects.toBeInstanceOf(
        VersionConflictError,
      );
    });

    it('allow one live two-way integration per CRM org and environment (S1.1)', async () => {
      const crm = unique('crm');
      const first = await store.saveIntegration(newIntegration(crm, 'b1'));
      const refused = store.saveIntegration(newIntegration(crm, 'b2'));
      await expect(refused).rejects.toBeInstanceOf(TwoWayIntegrationExistsError);
      await expect(refused).rejects.toMatchObject({ existingIntegrationId: first._id });

      const oneWay = await store.saveIntegration(
        newIntegration(crm, 'b2', {
          direction: 'one_way',
          config: {
            ...config,
            customers: { ...config.customers, extent: 'fetch_from_crm' },
            items: { ...config.items, extent: 'fetch_from_crm' },
          },
        }),
      );
      expect(oneWay.direction).toBe('one_way');
      const sandbox = await store.saveIntegration(newIntegration(crm, 'b3', { environment: 'sandbox' }));
      expect(sandbox._id).toBe(`${crm}/b3/sandbox`);

      // Disabling the first frees the slot for a different Books org; re-enabling it is then refused.
      const disabled = await store.saveIntegration({ ...first, status: 'disabled' });
      const replacement = await store.saveIntegration(newIntegration(crm, 'b4'));
      await expect(store.saveIntegration({ ...disabled, status: 'active' })).rejects.toBeInstanceOf(
        TwoWayIntegrationExistsError,
      );

      const listed = await store.listIntegrationsForCrmOrg(crm);
      expect(listed.map((i) => [i.booksOrgId, i.environment, i.direction, i.status])).toEqual([
        ['b1', 'production', 'two_way', 'disabled'],
        ['b2', 'production', 'one_way', 'active'],
        ['b3', 'sandbox', 'two_way', 'active'],
        ['b4', 'production', 'two_way', 'active'],
      ]);
      expect(replacement.version).toBe(1);
    });

    it('refuse a one-way integration that would push to the CRM, before writing', async () => {
      await expect(
        store.saveIntegration(newIntegration(unique('crm'), 'b1', { direction: 'one_way' })),
      ).rejects.toBeInstanceOf(ZodError);
    });
  });

  describe('links', () => {
    const integrationId = 'crmL/booksL/production';
    const link = (crmId: string, booksId: string, over: Partial<LinkInput> = {}): LinkInput => ({
      integrationId,
      entity: 'customer',
      crmModule: 'Accounts',
      crmId,
      booksId,
      lastSynced: {
        crm: { Account_Name: `Acme ${crmId}`, Tags: ['x'] },
        books: { contact_name: `Acme ${crmId}` },
      },
      contentHash: { crm: `h-${crmId}` },
      ...over,
    });

    it('are upserted idempotently: the second identical write changes nothing', async () => {
      const page = ['1', '2', '3'].map((n) => link(`c${n}`, `b${n}`));
      expect(await store.upsertLinks(page)).toEqual({ inserted: 3, updated: 0, unchanged: 0, conflicts: [] });
      const before = await store.findLinksByCrmIds(integrationId, 'customer', ['c1', 'c2', 'c3']);
      expect(before).toHaveLength(3);

      // Same content, keys in another order.
      const again = page.map((l) => ({
        ...l,
        lastSynced: { books: l.lastSynced.books, crm: l.lastSynced.crm },
      }));
      expect(await store.upsertLinks(again)).toEqual({
        inserted: 0,
        updated: 0,
        unchanged: 3,
        conflicts: [],
      });
      const after = await store.findLinksByCrmIds(integrationId, 'customer', ['c1', 'c2', 'c3']);
      expect(after).toEqual(before);
    });

    it('bump modifiedTime past the previous one when the content changes', async () => {
      const [current] = await store.findLinksByCrmIds(integrationId, 'customer', ['c1']);
      const changed = link('c1', 'b1', { contentHash: { crm: 'h-c1', books: 'new' } });
      expect(await store.upsertLinks([changed, link('c2', 'b2')])).toMatchObject({
        inserted: 0,
        updated: 1,
        unchanged: 1,
      });
      const [updated] = await store.findLinksByBooksIds(integrationId, 'customer', ['b1']);
      expect(updated!.contentHash).toEqual({ crm: 'h-c1', books: 'new' });
      expect(updated!.createdTime).toEqual(current!.createdTime);
      expect(updated!.modifiedTime.getTime()).toBeGreaterThan(current!.modifiedTime.getTime());
    });

    it('link a Books record to one CRM record only', async () => {
      const result = await store.upsertLinks([link('c9', 'b1'), link('c10', 'b10'), link('c11', 'b10')]);
      expect(result.inserted).toBe(1);
      // One held by a stored link (refused by the unique index), one claimed twice in the batch.
      expect(result.conflicts).toHaveLength(2);
      expect(result.conflicts).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            crmId: 'c9',
            booksId: 'b1',
            reason: expect.stringContaining('CRM record c1'),
          }),
          expect.objectContaining({ crmId: 'c11', booksId: 'b10', reason: expect.stringContaining('c10') }),
        ]),
      );
      expect(await store.findLinksByCrmIds(integrationId, 'customer', ['c9', 'c11'])).toEqual([]);
      // Moving an existing link onto a Books record another link holds is refused the same way.
      expect((await store.upsertLinks([link('c2', 'b1')])).conflicts).toHaveLength(1);
      expect((await store.findLinksByCrmIds(integrationId, 'customer', ['c2']))[0]?.booksId).toBe('b2');
      // The same Books id under another entity or integration is a different link.
      expect(
        await store.upsertLinks([
          link('c9', 'b1', { entity: 'contact_person', crmModule: 'Contacts' }),
          link('c9', 'b1', { integrationId: 'crmL/booksM/production' }),
        ]),
      ).toMatchObject({ inserted: 2, conflicts: [] });
    });

    it('are held unique by the server itself, also under concurrent writers', async () => {
      await expect(
        db.collection<{ _id: string; [field: string]: unknown }>(linksCollectionOf('customer')).insertOne({
          _id: 'raw',
          integrationId,
          entity: 'customer',
          crmId: 'c-raw',
          booksId: 'b2',
        }),
      ).rejects.toMatchObject({ code: 11000 });

      // Each writer's page holds two links of its own around the contended one: whichever interleaving the
      // server picks, the contended Books record ends up linked once and every other link is written.
      const writers = ['x1', 'x2', 'x3', 'x4'];
      const results = await Promise.all(
        writers.map((w) =>
          store.upsertLinks([link(`${w}-a`, `${w}-a`), link(w, 'b-contended'), link(`${w}-b`, `${w}-b`)]),
        ),
      );
      expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(1 + 2 * writers.length);
      expect(results.flatMap((r) => r.conflicts.map((c) => c.booksId))).toEqual([
        'b-contended',
        'b-contended',
        'b-contended',
      ]);
      expect(await store.findLinksByBooksIds(integrationId, 'customer', ['b-contended'])).toHaveLength(1);
      const own = writers.flatMap((w) => [`${w}-a`, `${w}-b`]);
      expect(await store.findLinksByCrmIds(integrationId, 'customer', own)).toHaveLength(own.length);
    });

    it('are marked deleted, never removed', async () => {
      const [before] = await store.findLinksByCrmIds(integrationId, 'customer', ['c3']);
      expect(await store.markLinkDeleted(integrationId, 'customer', 'books', 'b3')).toBe('marked');
      expect(await store.markLinkDeleted(integrationId, 'customer', 'crm', 'c3')).toBe('already_marked');
      expect(await store.markLinkDeleted(integrationId, 'customer', 'crm', 'nope')).toBe('not_found');
      const [after] = await store.findLinksByCrmIds(integrationId, 'customer', ['c3']);
      expect(after).toMatchObject({ deletedIn: 'books', booksId: 'b3' });
      expect(after!.modifiedTime.getTime()).toBeGreaterThan(before!.modifiedTime.getTime());
    });

    it('are found by long id lists as by short ones, within their integration and entity', async () => {
      // Longer than FERRETDB_LONGEST_IN: on FerretDB the lists are sent in parts.
      const longId = 'crmLong/booksLong/production';
      const ids = Array.from({ length: FERRETDB_LONGEST_IN + 200 }, (_, i) => String(i));
      const page = ids.map((i) => link(`lc${i}`, `lb${i}`, { integrationId: longId }));
      expect((await store.upsertLinks(page)).inserted).toBe(ids.length);
      // The same records under another entity and another integration.
      await store.upsertLinks(
        ids.map((i) =>
          link(`lc${i}`, `lb${i}`, {
            integrationId: longId,
            entity: 'contact_person',
            crmModule: 'Contacts',
          }),
        ),
      );
      await store.upsertLinks(ids.slice(0, 50).map((i) => link(`lc${i}`, `lb${i}`)));

      // Asked for all but the first 100 (still a long list) and one id that has no link.
      const wanted = ids.slice(100);
      const byCrm = await store.findLinksByCrmIds(longId, 'customer', [
        ...wanted.map((i) => `lc${i}`),
        'lc-missing',
      ]);
      expect(byCrm.map((l) => l.crmId).sort()).toEqual(wanted.map((i) => `lc${i}`).sort());
      expect(byCrm.every((l) => l.integrationId === longId && l.entity === 'customer')).toBe(true);
      const byBooks = await store.findLinksByBooksIds(longId, 'contact_person', [
        ...wanted.map((i) => `lb${i}`),
        'x',
      ]);
      expect(byBooks.map((l) => l.booksId).sort()).toEqual(wanted.map((i) => `lb${i}`).sort());
      expect(byBooks.every((l) => l.entity === 'contact_person')).toBe(true);
      // Written again: every one found stored and unchanged.
      expect(await store.upsertLinks(page)).toEqual({
        inserted: 0,
        updated: 0,
        unchanged: ids.length,
        conflicts: [],
      });
    });

    it('of several entities are found in one read, each by its own ids', async () => {
      const longId = 'crmLong/booksLong/production';
      const ids = Array.from({ length: FERRETDB_LONGEST_IN + 200 }, (_, i) => String(i));
      for (const [size, first] of [
        [FERRETDB_LONGEST_IN + 10, 0], // a long list: in parts on FerretDB
        [20, 600],
      ] as const) {
        const customers = ids.slice(first, first + size).map((i) => `lc${i}`);
        // Persons asked by a shifted range: each entity's links are found by its own list only.
        const persons = ids.slice(first + 5, first + size + 5).map((i) => `lc${i}`);
        const found = await store.findLinksByCrmIdsOf(longId, [
          { entity: 'customer', crmIds: customers },
          { entity: 'contact_person', crmIds: persons },
          { entity: 'vendor', crmIds: [] },
        ]);
        const of = (entity: string) =>
          found
            .filter((l) => l.entity === entity)
            .map((l) => l.crmId)
            .sort();
        const existing = new Set(ids.map((i) => `lc${i}`));
        expect(of('customer')).toEqual(customers.filter((id) => existing.has(id)).sort());
        expect(of('contact_person')).toEqual(persons.filter((id) => existing.has(id)).sort());
        expect(found.every((l) => l.integrationId === longId)).toBe(true);
        expect(found).toHaveLength(of('customer').length + of('contact_person').length);
      }
      expect(await store.findLinksByCrmIdsOf(longId, [{ entity: 'customer', crmIds: [] }])).toEqual([]);
    });

    it('are read as identities only: the same links without the values of the last sync and their hashes', async () => {
      const longId = 'crmLong/booksLong/production';
      const crmIds = Array.from({ length: FERRETDB_LONGEST_IN + 10 }, (_, i) => `lc${i}`);
      const whole = await store.findLinksByCrmIdsOf(longId, [{ entity: 'customer', crmIds }]);
      expect(whole.length).toBeGreaterThan(FERRETDB_LONGEST_IN);
      const identity = ({ lastSynced: _l, contentHash: _c, ...rest }: LinkDoc) => rest;
      const byId = (links: { _id: string }[]) => [...links].sort((a, b) => (a._id < b._id ? -1 : 1));
      const identities = await store.findLinkIdentitiesByCrmIdsOf(longId, [{ entity: 'customer', crmIds }]);
      expect(byId(identities)).toEqual(byId(whole.map(identity)));
      expect(identities.every((l) => !('lastSynced' in l) && !('contentHash' in l))).toBe(true);
      const booksIds = whole.slice(0, 30).map((l) => l.booksId);
      expect(byId(await store.findLinkIdentitiesByBooksIds(longId, 'customer', booksIds))).toEqual(
        byId(whole.slice(0, 30).map(identity)),
      );
    });

    it('are read by CRM ids from one CRM module only when it is named, by short and long id lists', async () => {
      await store.upsertLinks([
        link('mA1', 'mb1'),
        link('mA2', 'mb2'),
        link('mC1', 'mb3', { crmModule: 'Contacts' }),
        link('mC2', 'mb4', { crmModule: 'Contacts' }),
      ]);
      const short = ['mA1', 'mA2', 'mC1', 'mC2', 'mX'];
      const long = [...short, ...Array.from({ length: FERRETDB_LONGEST_IN + 10 }, (_, i) => `absent${i}`)];
      for (const ids of [short, long]) {
        const crmIdsOf = async (crmModule?: string) =>
          (await store.findLinksByCrmIds(integrationId, 'customer', ids, crmModule))
            .map((l) => l.crmId)
            .sort();
        expect(await crmIdsOf()).toEqual(['mA1', 'mA2', 'mC1', 'mC2']);
        expect(await crmIdsOf('Contacts')).toEqual(['mC1', 'mC2']);
        expect(await crmIdsOf('Accounts')).toEqual(['mA1', 'mA2']);
      }
      await expect(store.findLinksByCrmIds(integrationId, 'customer', short, '$where')).rejects.toThrow(
        ZodError,
      );
    });

    it('are read as a delta, each once, in the order they changed, across entities', async () => {
      const countOf = (entities: readonly LinkEntity[]) =>
        Promise.all(
          entities.map((e) => db.collection(linksCollectionOf(e)).countDocuments({ integrationId })),
        ).then((counts) => counts.reduce((a, b) => a + b, 0));
      const readAll = async (entities?: ('customer' | 'contact_person')[]) => {
        const seen: { _id: string; entity: string; modifiedTime: Date }[] = [];
        let page = await store.findLinksChangedSince(integrationId, {
          limit: 2,
          ...(entities && { entities }),
        });
        seen.push(...page.docs);
        while (page.next) {
          page = await store.findLinksChangedSince(integrationId, {
            after: page.next,
            limit: 2,
            ...(entities && { entities }),
          });
          seen.push(...page.docs);
        }
        return seen;
      };
      const all = await countOf(LinkEntitySchema.options);
      const seen = await readAll();
      // Links of more than one entity, so the pages merge several collections.
      expect(new Set(seen.map((l) => l.entity)).size).toBeGreaterThan(1);
      expect(new Set(seen.map((l) => l._id)).size).toBe(all);
      expect(seen).toHaveLength(all);
      const order = seen.map((l) => [l.modifiedTime.getTime(), l._id] as const);
      expect([...order].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1))).toEqual(order);

      const persons = await readAll(['contact_person']);
      expect(persons.length).toBe(await countOf(['contact_person']));
      expect(persons.every((l) => l.entity === 'contact_person')).toBe(true);
    });

    it('left in the one links collection of an older store move to their entity collections at start', async () => {
      const legacyDb = mongo.db(`${dbName}_legacy`);
      const legacyStore = createSyncStateStore(legacyDb);
      const time = new Date('2024-05-01T10:00:00.000Z');
      const old = (entity: 'customer' | 'item', crmId: string, booksId: string) => ({
        _id: `crmL/booksL/production|${entity}|${crmId}`,
        integrationId,
        entity,
        crmModule: entity === 'item' ? 'Products' : 'Accounts',
        crmId,
        booksId,
        lastSynced: { crm: { Account_Name: crmId }, books: {} },
        contentHash: { crm: `h-${crmId}` },
        createdTime: time,
        modifiedTime: time,
      });
      const legacy = legacyDb.collection<{ _id: string }>(LEGACY_LINKS_COLLECTION);
      await legacy.insertMany([
        old('customer', 'c1', 'b1'),
        old('customer', 'c2', 'b2'),
        old('item', 'p1', 'i1'),
      ]);
      // One of them moved already, as by a start that stopped half-way.
      await legacyDb
        .collection<{ _id: string }>(linksCollectionOf('customer'))
        .insertOne(old('customer', 'c1', 'b1'));

      await legacyStore.ensureIndexes();
      const customers = await legacyStore.findLinksByCrmIds(integrationId, 'customer', ['c1', 'c2']);
      expect(customers.map((l) => [l.crmId, l.booksId]).sort()).toEqual([
        ['c1', 'b1'],
        ['c2', 'b2'],
      ]);
      expect((await legacyStore.findLinksByBooksIds(integrationId, 'item', ['i1']))[0]?.crmId).toBe('p1');
      expect(await legacyDb.listCollections({ name: LEGACY_LINKS_COLLECTION }).toArray()).toEqual([]);

      // A document that is no link stays, and the old collection with it.
      await legacy.insertOne({ _id: 'not-a-link' });
      await legacyStore.ensureIndexes();
      expect(await legacy.countDocuments()).toBe(1);
      await legacyDb.dropDatabase();
    });
  });

  describe('cursors', () => {
    it('are saved per integration, module and direction', async () => {
      const id = 'crmC/booksC/production';
      expect(await store.getCursor(id, 'accounts', 'crm_to_books')).toBeUndefined();
      const cursor = { modifiedTime: '2024-05-01T10:00:00.000Z', id: '42' };
      await store.saveCursor(id, 'accounts', 'crm_to_books', cursor);
      await store.saveCursor(id, 'accounts', 'crm_to_books', cursor);
      expect(await store.getCursor(id, 'accounts', 'crm_to_books')).toEqual(cursor);
      expect(await store.getCursor(id, 'accounts', 'books_to_crm')).toBeUndefined();
      const later = { modifiedTime: '2024-05-02T10:00:00.000Z', id: '7' };
      await store.saveCursor(id, 'accounts', 'crm_to_books', later);
      expect(await store.getCursor(id, 'accounts', 'crm_to_books')).toEqual(later);
      expect(await db.collection('cursors').countDocuments({ integrationId: id })).toBe(1);
    });
  });

  describe('runs', () => {
    const integrationId = 'crmR/booksR/production';
    const runId = (n: number) => `sync-run/${integrationId}/${n}`;

    it('start idempotently and refuse a run number taken by another run', async () => {
      const run = await store.startRun({ runId: runId(1), integrationId, runNumber: 1, trigger: 'initial' });
      expect(run).toMatchObject({ status: 'running', counts: {}, failureCount: 0 });
      expect(
        await store.startRun({ runId: runId(1), integrationId, runNumber: 1, trigger: 'initial' }),
      ).toEqual(run);
      await expect(
        store.startRun({ runId: 'another-run', integrationId, runNumber: 1, trigger: 'instant' }),
      ).rejects.toBeInstanceOf(RunConflictError);
      await expect(
        store.startRun({ runId: runId(1), integrationId, runNumber: 1, trigger: 'periodic' }),
      ).rejects.toBeInstanceOf(RunConflictError);
    });

    it('add page counts concurrently, each page once', async () => {
      const pages = Array.from({ length: 12 }, (_, i) => ({
        runId: runId(1),
        pageKey: `accounts|crm_to_books|page-${i}`,
        module: i % 3 === 0 ? 'contacts' : 'accounts',
        direction: 'crm_to_books' as const,
        counts: { added: 2, updated: 1, unchanged: 5, failed: i % 4 === 0 ? 1 : 0 },
      }));
      const first = await Promise.all(pages.map((p) => store.addRunCounts(p)));
      expect(first.every((r) => r.counted)).toBe(true);
      // A retried page activity reports the same page again: it does not count twice.
      const retried = await Promise.all(pages.slice(0, 4).map((p) => store.addRunCounts(p)));
      expect(retried.every((r) => !r.counted)).toBe(true);
      await store.addRunCounts({
        runId: runId(1),
        pageKey: 'items|books_to_crm|page-0',
        module: 'items',
        direction: 'books_to_crm',
        counts: { skipped: 3 },
      });

      const run = await store.getRun(runId(1));
      expect(run?.counts).toEqual({
        accounts: {
          crm_to_books: {
            added: 16,
            matched: 0,
            updated: 8,
            unchanged: 40,
            skipped: 0,
            failed: 2,
            deleted: 0,
          },
        },
        contacts: {
          crm_to_books: {
            added: 8,
            matched: 0,
            updated: 4,
            unchanged: 20,
            skipped: 0,
            failed: 1,
            deleted: 0,
          },
        },
        items: {
          books_to_crm: { added: 0, matched: 0, updated: 0, unchanged: 0, skipped: 3, failed: 0, deleted: 0 },
        },
      });
      expect(run?.failureCount).toBe(3);
    });

    it('finish once, with their totals, and are listed newest first', async () => {
      const done = await store.finishRun(runId(1), { status: 'completed' });
      expect(done).toMatchObject({ status: 'completed_with_failures', failureCount: 3 });
      expect(done.endedTime).toBeInstanceOf(Date);
      const stored = await db.collection('runs').findOne({ _id: runId(1) as never });
      expect(stored).toMatchObject({
        status: 'completed_with_failures',
        failureCount: 3,
        counts: done.counts,
      });
      expect(await store.finishRun(runId(1), { status: 'completed' })).toEqual(done);
      await expect(store.finishRun(runId(1), { status: 'failed', reason: 'x' })).rejects.toBeInstanceOf(
        RunConflictError,
      );

      await store.startRun({ runId: runId(2), integrationId, runNumber: 2, trigger: 'periodic' });
      await store.finishRun(runId(2), { status: 'failed', reason: 'paused' });
      await store.startRun({ runId: runId(3), integrationId, runNumber: 3, trigger: 'instant' });
      const clean = await store.finishRun(runId(3), { status: 'completed' });
      expect(clean).toMatchObject({ status: 'completed', failureCount: 0 });

      const history = await store.listRuns(integrationId, { limit: 10 });
      expect(history.map((r) => [r.runNumber, r.status, r.reason])).toEqual([
        [3, 'completed', undefined],
        [2, 'failed', 'paused'],
        [1, 'completed_with_failures', undefined],
      ]);
      expect(history[2]!.counts).toEqual(done.counts);
      expect((await store.listRuns(integrationId, { limit: 1, before: 3 })).map((r) => r.runNumber)).toEqual([
        2,
      ]);
    });
  });

  describe('failures', () => {
    const integrationId = 'crmF/booksF/production';
    const failure = (recordId: string, runId = 'run-1') => ({
      integrationId,
      runId,
      module: 'accounts',
      direction: 'crm_to_books' as const,
      recordId,
      field: 'Account_Name',
      reason: 'is required',
      payload: { id: recordId, Account_Name: null },
    });

    it('are recorded once per record, counting attempts', async () => {
      expect(await store.recordFailures([failure('100'), failure('101')])).toEqual({ recorded: 2 });
      expect(await store.recordFailures([failure('100', 'run-2')])).toEqual({ recorded: 1 });
      const docs = await store.listFailures(integrationId, { limit: 10 });
      expect(docs).toHaveLength(2);
      const first = docs.find((f) => f.recordId === '100');
      expect(first).toMatchObject({
        _id: `${integrationId}|accounts|crm_to_books|100`,
        attempts: 2,
        runId: 'run-2',
        status: 'open',
      });
      expect(first!.createdTime.getTime()).toBeLessThanOrEqual(first!.modifiedTime.getTime());
    });

    it('are marked reprocessed, and reopened when the record fails again', async () => {
      const id100 = `${integrationId}|accounts|crm_to_books|100`;
      expect(await store.markFailuresReprocessed([id100])).toBe(1);
      expect(await store.markFailuresReprocessed([id100])).toBe(0);
      expect(
        (await store.listFailures(integrationId, { status: 'open', limit: 10 })).map((f) => f.recordId),
      ).toEqual(['101']);
      expect(await store.listFailures(integrationId, { module: 'vendors', limit: 10 })).toEqual([]);
      await store.recordFailures([{ ...failure('100', 'run-3'), payloadId: 'p-1' }]);
      const [again] = await store.getFailures([id100]);
      expect(again).toMatchObject({ status: 'open', attempts: 3, payloadId: 'p-1', runId: 'run-3' });
      expect(await store.markFailuresResolved([id100, 'unknown-id'])).toBe(1);
      expect((await store.listFailures(integrationId, { runId: 'run-3', limit: 10 }))[0]?.status).toBe(
        'resolved',
      );
    });

    it('refuse a payload with operator keys as a whole batch, before writing', async () => {
      const before = await db.collection('failures').countDocuments();
      await expect(
        store.recordFailures([failure('200'), { ...failure('201'), payload: { $approved: true } }]),
      ).rejects.toBeInstanceOf(ZodError);
      expect(await db.collection('failures').countDocuments()).toBe(before);
    });
  });

  describe('audit', () => {
    const integrationId = 'crmA/booksA/production';
    const entry = (id: string, at: string, action = 'sync_run.completed') => ({
      _id: id,
      at: new Date(at),
      actor: { type: 'workflow' as const, id: 'sync-run/x/1' },
      integrationId,
      action,
      payloadIds: ['100', '101'],
      outcome: 'success' as const,
    });

    it('appends idempotently when ids are deterministic', async () => {
      expect(
        await store.appendAudit([entry('e1', '2024-05-01T10:00:00Z'), entry('e2', '2024-05-01T11:00:00Z')]),
      ).toEqual({ appended: 2, duplicates: 0 });
      expect(
        await store.appendAudit([
          entry('e1', '2024-05-01T10:00:00Z'),
          entry('e3', '2024-05-01T12:00:00Z', 'link.created'),
          entry('e2', '2024-05-01T11:00:00Z'),
        ]),
      ).toEqual({ appended: 1, duplicates: 2 });
      expect(await db.collection('audit').countDocuments({ integrationId })).toBe(3);
      // Without ids every entry is new.
      const anonymous = { ...entry('x', '2024-05-01T09:00:00Z', 'integration.paused'), _id: undefined };
      expect(await store.appendAudit([anonymous, anonymous])).toEqual({ appended: 2, duplicates: 0 });
    });

    it('is queried newest first by integration, action and time', async () => {
      expect((await store.queryAudit({ integrationId, limit: 10 })).map((e) => e.action)).toEqual([
        'link.created',
        'sync_run.completed',
        'sync_run.completed',
        'integration.paused',
        'integration.paused',
      ]);
      expect((await store.queryAudit({ action: 'sync_run.completed', limit: 10 })).map((e) => e._id)).toEqual(
        ['e2', 'e1'],
      );
      const window = await store.queryAudit({
        integrationId,
        from: new Date('2024-05-01T10:00:00Z'),
        to: new Date('2024-05-01T12:00:00Z'),
        limit: 10,
      });
      expect(window.map((e) => e._id)).toEqual(['e2', 'e1']);
      expect(await store.queryAudit({ integrationId, limit: 1 })).toHaveLength(1);
    });
  });

  /*
   * FerretDB's choices (insert-before-read, long $in lists sent in parts, updates in commands of 50) are
   * taken from the capabilities, not from the server, and each is safe on MongoDB too: given them, the
   * repositories must answer as with the server's own on whichever server this is (on MongoDB, the tests
   * above take the other paths). Not the other way round: MongoDB's unbounded update commands hang FerretDB.
   * The repositories are built alone, as a caller using only them would.
   */
  describe("with FerretDB's capabilities on this server", () => {
    const capabilities = FERRETDB_CAPABILITIES;
    const integrationId = 'crmCap/booksCap/production';
    const ids = Array.from({ length: FERRETDB_LONGEST_IN + 50 }, (_, i) => String(i));
    const link = (n: string, booksId = `b${n}`): LinkInput => ({
      integrationId,
      entity: 'customer',
      crmModule: 'Accounts',
      crmId: `c${n}`,
      booksId,
      lastSynced: { crm: { Account_Name: `Acme ${n}` }, books: { contact_name: `Acme ${n}` } },
      contentHash: { crm: `h-${n}` },
    });

    it('links: a long page is inserted, found by long id lists, then written again unchanged', async () => {
      const links = createLinksRepository(db, { capabilities });
      const page = ids.map((n) => link(n));
      expect(await links.upsertLinks(page)).toEqual({
        inserted: ids.length,
        updated: 0,
        unchanged: 0,
        conflicts: [],
      });
      const byCrm = await links.findLinksByCrmIds(
        integrationId,
        'customer',
        ids.map((n) => `c${n}`),
      );
      expect(byCrm).toHaveLength(ids.length);
      const byBooks = await links.findLinksByBooksIds(
        integrationId,
        'customer',
        ids.map((n) => `b${n}`),
      );
      expect(byBooks).toHaveLength(ids.length);
      expect(await links.upsertLinks(page)).toEqual({
        inserted: 0,
        updated: 0,
        unchanged: ids.length,
        conflicts: [],
      });
    });

    it('links: a new link onto a held Books record is refused, the rest of its page written', async () => {
      const links = createLinksRepository(db, { capabilities });
      const result = await links.upsertLinks([link('new-1'), link('new-2', 'b0'), link('1')]);
      expect(result).toMatchObject({ inserted: 1, updated: 0, unchanged: 1 });
      expect(result.conflicts).toEqual([
        expect.objectContaining({ crmId: 'cnew-2', booksId: 'b0', reason: expect.stringContaining('c0') }),
      ]);
    });

    it('failures: more than one command of updates is recorded once per record, twice counted twice', async () => {
      const failures = createFailuresRepository(db, { capabilities });
      const batch = ids.slice(0, 120).map((recordId) => ({
        integrationId,
        runId: 'run-1',
        module: 'accounts',
        direction: 'crm_to_books' as const,
        recordId,
        field: 'Account_Name',
        reason: 'is required',
        payload: { id: recordId },
      }));
      expect(await failures.recordFailures(batch)).toEqual({ recorded: batch.length });
      expect(await failures.recordFailures(batch)).toEqual({ recorded: batch.length });
      const listed = await failures.listFailures(integrationId, { limit: 1000 });
      expect(listed).toHaveLength(batch.length);
      expect(listed.every((f) => f.attempts === 2)).toBe(true);
    });
  });

  describe('untrusted input', () => {
    const operator = { $ne: null } as unknown as string;
    const calls: [string, () => Promise<unknown>][] = [
      ['getIntegration', () => store.getIntegration(operator)],
      ['listIntegrationsForCrmOrg', () => store.listIntegrationsForCrmOrg(operator)],
      ['findLinksByCrmIds', () => store.findLinksByCrmIds('a/b/production', 'customer', [operator])],
      ['findLinksByBooksIds', () => store.findLinksByBooksIds(operator, 'customer', ['1'])],
      ['findLinksByCrmIds entity', () => store.findLinksByCrmIds('a/b/production', operator as never, ['1'])],
      ['markLinkDeleted', () => store.markLinkDeleted('a/b/production', 'customer', 'crm', operator)],
      ['getCursor', () => store.getCursor(operator, 'accounts', 'crm_to_books')],
      ['getRun', () => store.getRun(operator)],
      ['listRuns', () => store.listRuns('a/b/production', { limit: 10, before: operator as never })],
      ['listFailures', () => store.listFailures('a/b/production', { status: operator as never, limit: 10 })],
      ['getFailures', () => store.getFailures([operator])],
      ['markFailuresReprocessed', () => store.markFailuresReprocessed([operator])],
      ['queryAudit', () => store.queryAudit({ action: operator, limit: 10 })],
      [
        'upsertLinks with an operator key in lastSynced',
        () =>
          store.upsertLinks([
            {
              integrationId: 'a/b/production',
              entity: 'customer',
              crmModule: 'Accounts',
              crmId: '1',
              booksId: '2',
              lastSynced: { crm: { $where: 'sleep(1000)' } as never, books: {} },
              contentHash: {},
            },
          ]),
      ],
    ];

    it.each(calls)(
      '%s: an operator where an id belongs is refused by zod before reaching the server',
      async (_n, call) => {
        commands.length = 0;
        await expect(call()).rejects.toBeInstanceOf(ZodError);
        expect(commands).toEqual([]);
      },
    );
  });
});
