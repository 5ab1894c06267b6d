import { accountIdOf, createdRecordId, KIND_SPECS } from '../../domain/sync/kinds';
import type { DecideContactPersonsInput, DecidePersonContactsInput } from '../../domain/sync/contact-persons';
import type { DecidePageInput, LinkState, PageRecord } from '../../domain/sync/decide';
import { normalizeName } from '../../domain/sync/names';
import type { LinkEntity } from '../../domain/sync-state-schemas';
import type { StoredRecord } from '../../stores/record-store';
import type { SyncStateStore } from '../../stores/sync-state-store';
import { slicesOf } from './slices';
import type { ChunkContext, Data } from './types';

/*
 * The load phase of a chunk: one read per collection the chunk's decisions need (links, linked targets,
 * duplicate candidates), turned into the plain records the pure deciders in domain/sync/ take.
 */

type Page = StoredRecord<Data>[];

/** The reads decidePage needs for a page of a stored kind. */
export async function loadRecordInputs(
  state: SyncStateStore,
  c: ChunkContext,
  page: Page,
): Promise<Pick<DecidePageInput, 'links' | 'linkedTargets' | 'candidates' | 'linkedCandidateIds'>> {
  const toBooks = c.step.direction === 'crm_to_books';
  const entity = c.spec.entity as LinkEntity;
  const ids = page.map((r) => r.id);
  const links = toBooks
    ? await state.findLinksByCrmIds(c.integrationId, entity, ids, c.spec.crmModule)
    : await state.findLinksByBooksIds(c.integrationId, entity, ids);
  const linkedTargetIds = new Set(links.map((l) => (toBooks ? l.booksId : l.crmId)));
  // Duplicates (S2.3) and our own earlier creations are looked for only for records not linked yet: decidePage
  // reads them for no other record. A chunk of changes to linked records (a delta) then reads its targets by
  // `_id` alone, which every server answers from the index, instead of also scanning for names.
  const linkedSources = new Set(links.map((l) => (toBooks ? l.crmId : l.booksId)));
  const unlinked = page.filter((r) => !linkedSources.has(r.id));
  const names = [
    ...new Set(
      unlinked.map((r) => normalizeName(toBooks ? c.spec.crmName(r.data) : c.spec.booksName(r.data))),
    ),
  ].filter(Boolean);
  // Our own earlier creations (a retry after the write but before the link) are found by their derived id,
  // in the same read as the linked targets.
  const ownIds = new Set(
    unlinked.map((r) => createdRecordId(c.integrationId, c.spec.entity, toBooks ? 'books' : 'crm', r.id)),
  );
  const targetIds = [...new Set([...linkedTargetIds, ...ownIds])];
  const { byId, byName: candidates } =
    names.length > 0
      ? await c.target.findByIdsAndNormNames(c.targetOrg, targetIds, names)
      : { byId: targetIds.length > 0 ? await c.target.findByIds(c.targetOrg, targetIds) : [], byName: [] };
  const linkedTargets = byId.filter((r) => linkedTargetIds.has(r.id));
  const own = byId.filter((r) => ownIds.has(r.id));
  const candidateIds = [...new Set([...candidates, ...own].map((r) => r.id))];
  const candidateLinks = candidateIds.length
    ? toBooks
      ? await state.findLinksByBooksIds(c.integrationId, entity, candidateIds)
      : await state.findLinksByCrmIds(c.integrationId, entity, candidateIds)
    : [];
  return {
    links: links.map(toLinkState),
    linkedTargets: linkedTargets.map(toPageRecord),
    candidates: [...candidates, ...own].map(toPageRecord),
    linkedCandidateIds: new Set(candidateLinks.map((l) => (toBooks ? l.booksId : l.crmId))),
  };
}

/** CRM → Books contact persons: the page's accounts' links, its contacts' person links, their customers. */
export async function loadPersonInputs(
  state: SyncStateStore,
  c: ChunkContext,
  page: Page,
): Promise<Pick<DecideContactPersonsInput, 'accountLinks' | 'personLinks' | 'customers'>> {
  const accountIds = [...new Set(page.flatMap((r) => accountIdOf(r.data) ?? []))];
  // The accounts' links only map ids: their identities, without the values of the last sync.
  const [accountLinks, personLinks] = await Promise.all([
    state.findLinkIdentitiesByCrmIdsOf(c.integrationId, [{ entity: 'customer', crmIds: accountIds }]),
    state.findLinksByCrmIds(
      c.integrationId,
      'contact_person',
      page.map((r) => r.id),
    ),
  ]);
  // The customers the contacts' accounts are linked to, and those their persons were last written to (a
  // contact that moved takes its person out of the old one).
  const customerIds = [
    ...new Set([
      ...accountLinks.map((l) => l.booksId),
      ...personLinks.flatMap((l) => (l.parentBooksId === undefined ? [] : [l.parentBooksId])),
    ]),
  ];
  const customers = customerIds.length ? await c.target.findByIds(c.targetOrg, customerIds) : [];
  return {
    accountLinks,
    personLinks: personLinks.map(toLinkState),
    customers: customers.map(toPageRecord),
  };
}

/** Books → CRM contact persons: the page's customers' account links, their persons' links and contacts. */
export async function loadPersonContactInputs(
  state: SyncStateStore,
  c: ChunkContext,
  page: Page,
): Promise<Pick<DecidePersonContactsInput, 'accountLinks' | 'personLinks' | 'contacts'>> {
  const business = page.filter((r) => !r.deleted && KIND_SPECS.account.booksInScope(r.data));
  const personIds = [
    ...new Set(
      business.flatMap((r) =>
        Array.isArray(r.data.contact_persons)
          ? (r.data.contact_persons as Data[]).flatMap((p) =>
              typeof p.contact_person_id === 'string' ? [p.contact_person_id] : [],
            )
          : [],
      ),
    ),
  ];
  const [accountLinks, personLinks] = await Promise.all([
    business.length
      ? state.findLinkIdentitiesByBooksIds(
          c.integrationId,
          'customer',
          business.map((r) => r.id),
        )
      : Promise.resolve([]),
    // A page's customers may hold more persons than one read lists.
    readInParts(personIds, (part) => state.findLinksByBooksIds(c.integrationId, 'contact_person', part)),
  ]);
  const contacts = await readInParts(
    personLinks.map((l) => l.crmId),
    (part) => c.target.findByIds(c.targetOrg, part),
  );
  return {
    // A customer linked to a CRM contact is an Individual's; only accounts hold contact persons.
    accountLinks: accountLinks.filter((l) => l.crmModule === 'Accounts' && l.deletedIn === undefined),
    personLinks: personLinks.map(toLinkState),
    contacts: contacts.map(toPageRecord),
  };
}

/** The most ids one read by a derived list (a page's contact persons) sends: the stores take up to 100,000. */
const READ_PART = 50_000;

/** A read by an id list of any length: in parts of READ_PART, one after another (none for no ids). */
async function readInParts<T>(ids: readonly string[], read: (part: string[]) => Promise<T[]>): Promise<T[]> {
  const found: T[] = [];
  for (const part of slicesOf(ids, READ_PART)) found.push(...(await read(part)));
  return found;
}

export function toPageRecord(r: StoredRecord<Data>): PageRecord {
  return { id: r.id, data: r.data, modifiedTime: r.modifiedTime.toISOString(), deleted: r.deleted };
}

function toLinkState(l: {
  crmId: string;
  booksId: string;
  lastSynced: { crm: Record<string, unknown>; books: Record<string, unknown> };
  contentHash: { crm?: string | undefined; books?: string | undefined };
  deletedIn?: 'crm' | 'books' | undefined;
  parentBooksId?: string | undefined;
  createdTime?: Date | undefined;
}): LinkState {
  return {
    crmId: l.crmId,
    booksId: l.booksId,
    lastSynced: l.lastSynced as LinkState['lastSynced'],
    contentHash: l.contentHash,
    deletedIn: l.deletedIn,
    parentBooksId: l.parentBooksId,
    ...(l.createdTime && { createdTime: l.createdTime.toISOString() }),
  };
}
