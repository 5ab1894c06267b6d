import { type AnyBulkWriteOperation, type Collection, type Db } from 'mongodb';
import { z } from 'zod';
import { canonicalJson } from '../../domain/canonical-json';
import {
  CrmModuleSchema,
  DocIdSchema,
  KeyPartSchema,
  LINK_IDENTITY_PROJECTION,
  LinkDocSchema,
  LinkEntitySchema,
  LinkIdentitySchema,
  LinkInputSchema,
  SideSchema,
  linkIdOf,
  type DeltaCursor,
  type LinkDoc,
  type LinkIdentity,
  type LinkEntity,
  type LinkInput,
  type Side,
} from '../../domain/sync-state-schemas';
import { cursorOf, deltaIndexKey, findChangedSince, nextModifiedTime, type DeltaPage } from '../delta';
import { bulkUpsert, defined, insertRefusals, type Stored } from '../mongo-helpers';
import { capabilitiesFor, findWithin, type StoreOptions } from '../server-capabilities';
import { IdListSchema, MAX_IDS, clockOf, createCollectionIndexes, type CollectionIndexSpec } from './common';

/**
 * The links of each entity in a collection of their own (`links_customer`, `links_item`, …): a sync step
 * reads the links of one or two entities, and on FerretDB v1 a read decodes its whole collection, so one
 * collection for all entities made every step pay for the links of every other (an initial sync of 100,000
 * records read five collections of up to 100,000 links). On MongoDB it is the same index per collection.
 */
export function linksCollectionOf(entity: LinkEntity): string {
  return `links_${LinkEntitySchema.parse(entity)}`;
}

/** Where every link was kept before the per-entity collections; ensureIndexes moves what it still holds. */
export const LEGACY_LINKS_COLLECTION = 'links';

/** Per entity's collection: a CRM record and a Books record are each linked at most once per integration. */
export const LINK_INDEXES: readonly CollectionIndexSpec[] = LinkEntitySchema.options.flatMap(
  (entity): CollectionIndexSpec[] => [
    {
      collection: linksCollectionOf(entity),
      name: 'integrationId_crmId',
      key: { integrationId: 1, crmId: 1 },
      unique: true,
    },
    {
      collection: linksCollectionOf(entity),
      name: 'integrationId_booksId',
      key: { integrationId: 1, booksId: 1 },
      unique: true,
    },
    {
      collection: linksCollectionOf(entity),
      name: 'integrationId_modifiedTime_id',
      key: deltaIndexKey('integrationId'),
    },
  ],
);

export interface LinkConflict {
  entity: LinkEntity;
  crmId: string;
  booksId: string;
  reason: string;
}

export interface UpsertLinksResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Links refused because their Books record is linked to another CRM record (or listed twice). */
  conflicts: LinkConflict[];
}

export type MarkDeletedResult = 'marked' | 'already_marked' | 'not_found';

export interface LinksRepository {
  /**
   * Creates LINK_INDEXES, then moves what the old single `links` collection still holds into the entities'
   * own. Idempotent; awaited once at start-up; fails on a server error.
   */
  ensureIndexes(): Promise<void>;
  /**
   * The links of these CRM records, in one query; with `crmModule`, only those from that CRM module (the
   * records' own: CRM ids are unique across modules). On FerretDB the module keeps the other modules' links
   * of the entity from being sent when the id list is left to the store. Read-only; ZodError for a malformed id.
   */
  findLinksByCrmIds(
    integrationId: string,
    entity: LinkEntity,
    crmIds: readonly string[],
    crmModule?: string,
  ): Promise<LinkDoc[]>;
  /**
   * findLinksByCrmIds for several entities at once: one query per entity's collection, all sent together. The
   * links of all of them together; each link's `entity` tells whose it is.
   */
  findLinksByCrmIdsOf(
    integrationId: string,
    wanted: readonly { entity: LinkEntity; crmIds: readonly string[] }[],
  ): Promise<LinkDoc[]>;
  /**
   * findLinksByCrmIdsOf without the values of the last sync and the content hashes (LinkIdentitySchema):
   * which Books record each CRM record is, for a reader that maps ids. The server sends only those fields.
   */
  findLinkIdentitiesByCrmIdsOf(
    integrationId: string,
    wanted: readonly { entity: LinkEntity; crmIds: readonly string[] }[],
  ): Promise<LinkIdentity[]>;
  /** findLinksByBooksIds, the identities only (see findLinkIdentitiesByCrmIdsOf). */
  findLinkIdentitiesByBooksIds(
    integrationId: string,
    entity: LinkEntity,
    booksIds: readonly string[],
  ): Promise<LinkIdentity[]>;
  /** The links of these Books records, in one query. Read-only; ZodError for a malformed id. */
  findLinksByBooksIds(
    integrationId: string,
    entity: LinkEntity,
    booksIds: readonly string[],
  ): Promise<LinkDoc[]>;
  /**
   * Creates or updates links keyed by (integrationId, entity, crmId) in one unordered bulk write. Idempotent:
   * an unchanged link is not written (its modifiedTime stays). A Books record already linked to another CRM
   * record is reported in `conflicts`, not thrown. Throws ZodError for bad input (nothing written).
   */
  upsertLinks(links: readonly LinkInput[]): Promise<UpsertLinksResult>;
  /** Marks a link deleted on one side (deletes are not propagated, S3.8). Idempotent; never removes the link. */
  markLinkDeleted(
    integrationId: string,
    entity: LinkEntity,
    side: Side,
    recordId: string,
  ): Promise<MarkDeletedResult>;
  /** Links (of these entities, else of all) changed after `after`, oldest first, with the next cursor. Read-only. */
  findLinksChangedSince(
    integrationId: string,
    options: { after?: DeltaCursor | null; limit: number; entities?: readonly LinkEntity[] },
  ): Promise<DeltaPage<LinkDoc>>;
}

/**
 * Moves what a store from before the per-entity link collections kept in one `links` collection into each
 * link's own collection, then drops the old one. Safe to repeat after a crash: a link moved already is
 * refused by its _id and left as it is. A document that is no valid link stays where it is, and so does the
 * old collection with it: nothing is lost.
 */
async function moveLegacyLinks(db: Db): Promise<void> {
  const found = await db.listCollections({ name: LEGACY_LINKS_COLLECTION }, { nameOnly: true }).toArray();
  if (found.length === 0) return;
  const legacy = db.collection<Stored>(LEGACY_LINKS_COLLECTION);
  let kept = 0;
  let batch: Stored[] = [];
  const move = async () => {
    for (const entity of LinkEntitySchema.options) {
      const docs = batch.filter((d) => d.entity === entity);
      await insertRefusals(
        db.collection<Stored>(linksCollectionOf(entity)),
        docs.map((document) => ({ insertOne: { document } })),
      );
    }
    batch = [];
  };
  for await (const doc of legacy.find({})) {
    if (!LinkDocSchema.safeParse(doc).success) kept++;
    else batch.push(doc);
    if (batch.length >= 1000) await move();
  }
  await move();
  if (kept === 0) await legacy.drop();
}

/** How a read of link identities asks the server (findWithin's options). */
const IDENTITY_READ = { projection: LINK_IDENTITY_PROJECTION };

/** The MongoDB implementation of the links collections, over an injected sync-state `Db`. */
export function createLinksRepository(db: Db, options: StoreOptions = {}): LinksRepository {
  const now = clockOf(options);
  const capabilities = capabilitiesFor(db, options.capabilities);
  const linksOf = (entity: LinkEntity) => db.collection<Stored>(linksCollectionOf(entity));
  const parseLink = (doc: unknown) => LinkDocSchema.parse(doc);
  const parseIdentity = (doc: unknown) => LinkIdentitySchema.parse(doc);

  async function linksByCrmIds(
    integrationId: string,
    wanted: readonly { entity: LinkEntity; crmIds: readonly string[] }[],
    crmModule?: string,
  ): Promise<LinkDoc[]> {
    return (await linkDocsByCrmIds(integrationId, wanted, crmModule)).map(parseLink);
  }

  /** The stored links of these CRM records (only their identities with `identities`), unparsed. */
  async function linkDocsByCrmIds(
    integrationId: string,
    wanted: readonly { entity: LinkEntity; crmIds: readonly string[] }[],
    crmModule?: string,
    identities = false,
  ): Promise<Stored[]> {
    const id = DocIdSchema.parse(integrationId);
    // A link's _id is derived from its CRM side, entity included; each entity's links are read from its own
    // collection.
    const idsOf = new Map<LinkEntity, string[]>();
    for (const { entity, crmIds } of wanted) {
      const e = LinkEntitySchema.parse(entity);
      const ids = IdListSchema.parse(crmIds).map((crmId) => linkIdOf(id, e, crmId));
      if (ids.length > 0) idsOf.set(e, [...(idsOf.get(e) ?? []), ...ids]);
    }
    const base = {
      integrationId: id,
      ...(crmModule !== undefined && { crmModule: CrmModuleSchema.parse(crmModule) }),
    };
    const caps = await capabilities();
    const found = await Promise.all(
      [...idsOf].map(([entity, ids]) =>
        findWithin(caps, linksOf(entity), base, { _id: ids }, identities ? IDENTITY_READ : {}),
      ),
    );
    return found.flat();
  }

  async function linkDocsByBooksIds(
    integrationId: string,
    entity: LinkEntity,
    booksIds: readonly string[],
    identities = false,
  ): Promise<Stored[]> {
    const ids = IdListSchema.parse(booksIds);
    if (ids.length === 0) return [];
    return findWithin(
      await capabilities(),
      linksOf(entity),
      { integrationId: DocIdSchema.parse(integrationId) },
      { booksId: ids },
      identities ? IDENTITY_READ : {},
    );
  }

  return {
    async ensureIndexes() {
      await createCollectionIndexes(db, LINK_INDEXES);
      await moveLegacyLinks(db);
    },

    findLinksByCrmIds(integrationId, entity, crmIds, crmModule) {
      return linksByCrmIds(integrationId, [{ entity, crmIds }], crmModule);
    },

    findLinksByCrmIdsOf(integrationId, wanted) {
      return linksByCrmIds(integrationId, wanted);
    },

    async findLinksByBooksIds(integrationId, entity, booksIds) {
      return (await linkDocsByBooksIds(integrationId, entity, booksIds)).map(parseLink);
    },

    async findLinkIdentitiesByCrmIdsOf(integrationId, wanted) {
      return (await linkDocsByCrmIds(integrationId, wanted, undefined, true)).map(parseIdentity);
    },

    async findLinkIdentitiesByBooksIds(integrationId, entity, booksIds) {
      return (await linkDocsByBooksIds(integrationId, entity, booksIds, true)).map(parseIdentity);
    },

    async upsertLinks(raw) {
      const inputs = z.array(LinkInputSchema).max(MAX_IDS).parse(raw);
      const result: UpsertLinksResult = { inserted: 0, updated: 0, unchanged: 0, conflicts: [] };
      if (inputs.length === 0) return result;

      const linkIds = inputs.map((l) => linkIdOf(l.integrationId, l.entity, l.crmId));
      const booksKey = (l: { integrationId: string; entity: string; booksId: string }) =>
        `${l.integrationId}|${l.entity}|${l.booksId}`;
      const contentOf = (link: LinkInput) => ({
        crmModule: link.crmModule,
        booksId: link.booksId,
        lastSynced: link.lastSynced,
        contentHash: defined(link.contentHash),
        ...(link.parentBooksId === undefined ? {} : { parentBooksId: link.parentBooksId }),
      });
      const keyOf = (link: LinkInput) => ({
        integrationId: link.integrationId,
        entity: link.entity,
        crmId: link.crmId,
      });
      const time = now();
      const newLink = (id: string, link: LinkInput) =>
        ({ _id: id, ...keyOf(link), ...contentOf(link), createdTime: time, modifiedTime: time }) as Stored;

      // The batch against itself first: a CRM record or a Books record listed twice.
      const checked: { id: string; link: LinkInput }[] = [];
      const seenIds = new Set<string>();
      const claimedBooks = new Map<string, string>();
      for (const [index, link] of inputs.entries()) {
        const id = linkIds[index]!;
        const conflict = (reason: string) =>
          result.conflicts.push({ entity: link.entity, crmId: link.crmId, booksId: link.booksId, reason });
        if (seenIds.has(id)) {
          conflict('the batch lists this CRM record twice');
          continue;
        }
        seenIds.add(id);
        const holder = claimedBooks.get(booksKey(link));
        if (holder !== undefined && holder !== link.crmId) {
          conflict(`Books record ${link.booksId} is already linked to CRM record ${holder}`);
          continue;
        }
        claimedBooks.set(booksKey(link), link.crmId);
        checked.push({ id, link });
      }

      // Each entity's links in their own collection, one entity after another.
      for (const entity of new Set(checked.map((p) => p.link.entity))) {
        await writeEntityLinks(
          linksOf(entity),
          checked.filter((p) => p.link.entity === entity),
        );
      }
      return result;

      async function writeEntityLinks(links: Collection<Stored>, batch: typeof checked) {
        const caps = await capabilities();
        let pending = batch;
        // Where every read but one by _id decodes the whole collection (FerretDB), new links are inserted
        // before anything is read: only the ones refused (stored already, or their Books record held) go on to
        // the read. MongoDB reads them from the _id index first.
        if (pending.length > 0 && caps.insertBeforeRead) {
          const refused = await insertRefusals(
            links,
            pending.map((p) => ({ insertOne: { document: newLink(p.id, p.link) } })),
          );
          result.inserted += pending.length - refused.size;
          pending = pending.filter((_p, index) => refused.has(index));
        }
        // The links these records already have. A Books record held by another link is found by the unique
        // index on the write (and named below): a read by booksId would cost a scan on FerretDB.
        const byId = new Map(
          (pending.length
            ? await findWithin(
                caps,
                links,
                {},
                {
                  // Their integrations too: on FerretDB, with a long id list, only their links are sent.
                  integrationId: [...new Set(pending.map((p) => p.link.integrationId))],
                  _id: pending.map((p) => p.id),
                },
              )
            : []
          )
            .map(parseLink)
            .map((l) => [l._id, l]),
        );

        const ops: AnyBulkWriteOperation<Stored>[] = [];
        const opInputs: LinkInput[] = [];
        const opKinds: ('insert' | 'update')[] = [];
        for (const { id, link } of pending) {
          const content = contentOf(link);
          const current = byId.get(id);
          if (current) {
            const stored = {
              crmModule: current.crmModule,
              booksId: current.booksId,
              lastSynced: current.lastSynced,
              contentHash: current.contentHash,
              ...(current.parentBooksId === undefined ? {} : { parentBooksId: current.parentBooksId }),
            };
            if (canonicalJson(stored) === canonicalJson(content)) {
              result.unchanged += 1;
              continue;
            }
          }
          // Filter on _id (derived from the key): FerretDB v1 answers only _id equality without a full scan.
          ops.push(
            current
              ? {
                  updateOne: {
                    filter: { _id: id },
                    update: {
                      $set: { ...content, modifiedTime: nextModifiedTime(current.modifiedTime, time) },
                      ...(content.parentBooksId === undefined && current.parentBooksId !== undefined
                        ? { $unset: { parentBooksId: '' } }
                        : {}),
                      $setOnInsert: { ...keyOf(link), createdTime: time },
                    },
                    upsert: true,
                  },
                }
              : // A new link is an insert: on FerretDB an upsert is an update, many times slower. A concurrent
                // insert of the same link is refused by the _id and reported like any duplicate key.
                { insertOne: { document: newLink(id, link) } },
          );
          opInputs.push(link);
          opKinds.push(current ? 'update' : 'insert');
        }

        const outcome = await bulkUpsert(links, ops, caps.maxUpdatesPerCommand);
        // Refused by the unique Books-side index: named with the link holding the Books record (a read only when
        // something was refused, which is rare).
        const refusedLinks = outcome.duplicates.map((d) => opInputs[d.index]!);
        const holders = refusedLinks.length
          ? (
              await links
                .find({
                  $or: refusedLinks.map((l) => ({
                    integrationId: l.integrationId,
                    entity: l.entity,
                    booksId: l.booksId,
                  })),
                })
                .toArray()
            ).map(parseLink)
          : [];
        for (const [i, { message }] of outcome.duplicates.entries()) {
          const link = refusedLinks[i]!;
          const holder = holders.find((h) => booksKey(h) === booksKey(link) && h.crmId !== link.crmId);
          result.conflicts.push({
            entity: link.entity,
            crmId: link.crmId,
            booksId: link.booksId,
            reason: holder
              ? `Books record ${link.booksId} is already linked to CRM record ${holder.crmId}`
              : `refused by a unique link index (linked concurrently?): ${message}`,
          });
        }
        if (outcome.replayed) {
          const refused = new Set(outcome.duplicates.map((d) => d.index));
          const applied = opKinds.filter((_kind, index) => !refused.has(index));
          const inserted = applied.filter((kind) => kind === 'insert').length;
          result.inserted += inserted;
          result.updated += applied.length - inserted;
        } else {
          result.inserted += outcome.upserted;
          result.updated += outcome.modified;
          result.unchanged += ops.length - outcome.upserted - outcome.modified;
        }
      }
    },

    async markLinkDeleted(integrationId, entity, side, recordId) {
      const deletedIn = SideSchema.parse(side);
      const field = deletedIn === 'crm' ? 'crmId' : 'booksId';
      const links = linksOf(entity);
      const doc = await links.findOne({
        integrationId: DocIdSchema.parse(integrationId),
        [field]: KeyPartSchema.parse(recordId),
      });
      if (!doc) return 'not_found';
      const link = parseLink(doc);
      if (link.deletedIn !== undefined) return 'already_marked';
      const time = now();
      const result = await links.updateOne(
        { _id: link._id, deletedIn: { $exists: false } },
        {
          $set: {
            deletedIn: side,
            deletedTime: time,
            modifiedTime: nextModifiedTime(link.modifiedTime, time),
          },
        },
      );
      return result.modifiedCount === 1 ? 'marked' : 'already_marked';
    },

    async findLinksChangedSince(integrationId, { after, limit, entities }) {
      // A page of each entity's collection, merged in (modifiedTime, _id) order: the first `limit` of them
      // are the page of all, and the read is exhausted only when every collection was.
      const org = DocIdSchema.parse(integrationId);
      const pages = await Promise.all(
        z
          .array(LinkEntitySchema)
          .parse(entities ?? LinkEntitySchema.options)
          .map((entity) =>
            findChangedSince(linksOf(entity), { org, scopeField: 'integrationId', after, limit }),
          ),
      );
      const merged = pages
        .flatMap((p) => p.docs)
        .sort(
          (a, b) =>
            (a.modifiedTime as Date).getTime() - (b.modifiedTime as Date).getTime() ||
            (a._id < b._id ? -1 : a._id > b._id ? 1 : 0),
        );
      const docs = merged.slice(0, limit);
      const last = docs[docs.length - 1];
      const position = last ? cursorOf(last) : (after ?? null);
      const more = merged.length > limit || pages.some((p) => p.next !== null);
      return { docs: docs.map(parseLink), next: more ? position : null, position };
    },
  };
}
