import {
  booksSourceOf,
  booksValues,
  crmValues,
  type FieldValues,
  type ResolvedFieldMap,
} from './sync/field-maps';
import { stableStringify } from './hash';
import { normalizeName } from './sync/names';
import { KIND_SPECS, accountIdOf, kindSpecOf, type KindSpec, type SyncKind } from './sync/kinds';
import type { IntegrationConfig, SyncDirection } from './sync-state-schemas';

/*
 * `verify`: the two stores compared under an integration's mapping, by rules stated here and
 * nowhere else. It reads the field map (field-maps.ts) and the kinds' modules and scopes (sync/kinds/) —
 * the mapping — but none of the sync's decisions (no decidePage, reconcile or contact-person decisions), so a
 * mistake in those cannot hide itself from the check. Pure: the caller reads every record, link and open
 * failure, and this judges them.
 */

type Data = Record<string, unknown>;

export interface VerifyRecord {
  id: string;
  data: Data;
  deleted: boolean;
}

export interface VerifyLink {
  entity: string;
  crmModule: string;
  crmId: string;
  booksId: string;
  deletedIn?: 'crm' | 'books' | undefined;
  parentBooksId?: string | undefined;
}

export interface VerifyFailure {
  module: string;
  direction: SyncDirection;
  recordId: string;
}

export type VerifyConfig = Pick<IntegrationConfig, 'customers' | 'vendors' | 'items'>;

export interface VerifyInput {
  integrationId: string;
  config: VerifyConfig;
  /** Every record of the org in each module (deleted ones included); modules not read are empty. */
  crm: Record<'Accounts' | 'Contacts' | 'Vendors' | 'Products', readonly VerifyRecord[]>;
  books: Record<'contacts' | 'items', readonly VerifyRecord[]>;
  /** Every link of the integration's master-data entities. */
  links: readonly VerifyLink[];
  /** The integration's open failures. */
  openFailures: readonly VerifyFailure[];
  /** The resolved field maps of every kind the configuration syncs. */
  maps: Partial<Record<SyncKind, readonly ResolvedFieldMap[]>>;
  /** The chosen CRM view of a kind, as a predicate; absent: every record is in the view. */
  inView?: Partial<Record<SyncKind, (data: Data) => boolean>>;
}

export type VerifyProblemKind = 'unlinked' | 'unequal' | 'linked_twice' | 'dangling_link';

export interface VerifyProblem {
  problem: VerifyProblemKind;
  /** The sync module: customers, vendors or items. */
  module: string;
  side: 'crm' | 'books';
  recordId: string;
  otherId?: string;
  field?: string;
  crm?: unknown;
  books?: unknown;
  detail: string;
}

export interface VerifyReport {
  integrationId: string;
  ok: boolean;
  /** Records of the synced kinds looked at on each side, and links looked at. */
  checked: { crm: number; books: number; links: number };
  problems: VerifyProblem[];
  /** Records (or linked pairs) left out by a stated rule, by rule. */
  excluded: Record<string, number>;
  /** What each rule counted in `excluded` means. */
  rules: Record<string, string>;
}

/** The rules that leave a record out of the check, as the sync applies them (README "The sync run"). */
export const EXCLUSION_RULES = {
  open_failure:
    'unlinked, with an open failure of its module and direction (the failure is the report: S9.6)',
  deleted: 'unlinked and deleted (deletes are not propagated: S3.8)',
  outside_view: 'an unlinked CRM record outside the chosen view (S2.4: skipped CRM → Books)',
  duplicate_skipped:
    'unlinked while a same-named unlinked record exists on the other side and the policy is skip ' +
    '(or overwrite in the module second direction, where it acts as skip: S2.3)',
  orphan_contact_not_included:
    'a CRM contact without an account under "Accounts and their Contacts" without orphans (S2.1)',
  account_not_synced:
    'a CRM contact whose account is not linked to a live Books customer: it has no customer to join',
  customer_not_synced:
    'a contact person of a Books Business customer not linked to a CRM account: nothing to join in the CRM',
  compare_skipped_deleted: 'a linked pair not compared: a side is deleted (S3.8)',
  compare_skipped_open_failure: 'a linked pair not compared: a side has an open failure',
  compare_skipped_outside_view:
    'a linked pair not compared: its CRM record is outside the chosen view, so CRM changes do not move',
  compare_skipped_unsynced_kind:
    'a linked pair not compared: the configuration no longer syncs its kind (e.g. after changing module)',
  person_link_detached:
    'a contact-person link whose person was taken off its customer (its CRM contact lost its account)',
} as const;
export type ExclusionRule = keyof typeof EXCLUSION_RULES;

type Direction = SyncDirection;
type Entity = 'customer' | 'contact_person' | 'vendor' | 'item';

interface Scope {
  kind: SyncKind;
  directions: Direction[];
}

const ENTITY_OF: Record<SyncKind, Entity> = {
  account: 'customer',
  contact: 'customer',
  contact_person: 'contact_person',
  vendor: 'vendor',
  item: 'item',
};

const LABEL: Record<SyncKind, { crm: string; books: string }> = {
  account: { crm: 'CRM account', books: 'Books Business customer' },
  contact: { crm: 'CRM contact', books: 'Books Individual customer' },
  contact_person: { crm: 'CRM contact', books: 'Books contact person' },
  vendor: { crm: 'CRM vendor', books: 'Books vendor' },
  item: { crm: 'CRM product', books: 'Books item' },
};

/** The kinds the configuration syncs and in which directions (S2.1, S2.2). */
export function verifyScopes(config: VerifyConfig): Scope[] {
  const dirs = (extent: string): Direction[] =>
    extent === 'both_ways' ? ['crm_to_books', 'books_to_crm'] : ['crm_to_books'];
  const c = config.customers;
  const customerKinds: SyncKind[] =
    c.module === 'accounts'
      ? ['account']
      : c.module === 'contacts'
        ? ['contact']
        : ['account', 'contact_person', ...(c.includeOrphanContacts ? (['contact'] as const) : [])];
  return [
    ...customerKinds.map((kind) => ({ kind, directions: dirs(c.extent) })),
    { kind: 'vendor', directions: dirs(config.vendors.extent) },
    { kind: 'item', directions: dirs(config.items.extent) },
  ];
}

/** The kind a link belongs to, from its entity and CRM module. */
function kindOfLink(link: VerifyLink): SyncKind | undefined {
  if (link.entity === 'customer') return link.crmModule === 'Contacts' ? 'contact' : 'account';
  if (link.entity === 'contact_person' || link.entity === 'vendor' || link.entity === 'item')
    return link.entity;
  return undefined;
}

const personsOf = (data: Data): Data[] =>
  Array.isArray(data.contact_persons)
    ? (data.contact_persons as Data[]).filter((p) => typeof p?.contact_person_id === 'string')
    : [];

const moduleOfEntity = (entity: string) =>
  entity === 'vendor' ? 'vendors' : entity === 'item' ? 'items' : 'customers';

/** Compares the stores; see EXCLUSION_RULES for what is left out and why. */
export function verifyStores(input: VerifyInput): VerifyReport {
  const { config } = input;
  const problems: VerifyProblem[] = [];
  const excluded: Record<string, number> = {};
  const exclude = (rule: ExclusionRule) => (excluded[rule] = (excluded[rule] ?? 0) + 1);
  const checked = { crm: 0, books: 0, links: 0 };
  const scopes = verifyScopes(config);
  const synced = new Set(scopes.map((s) => s.kind));

  // ---- indexes
  const byCrm = new Map<string, Map<string, VerifyLink[]>>();
  const byBooks = new Map<string, Map<string, VerifyLink[]>>();
  const push = (index: Map<string, Map<string, VerifyLink[]>>, entity: string, id: string, l: VerifyLink) => {
    const ids = index.get(entity) ?? new Map<string, VerifyLink[]>();
    index.set(entity, ids);
    ids.set(id, [...(ids.get(id) ?? []), l]);
  };
  for (const l of input.links) {
    push(byCrm, l.entity, l.crmId, l);
    push(byBooks, l.entity, l.booksId, l);
  }
  const linkedCrm = (entity: string, id: string) => byCrm.get(entity)?.has(id) ?? false;
  const linkedBooks = (entity: string, id: string) => byBooks.get(entity)?.has(id) ?? false;

  const crmById = Object.fromEntries(
    Object.entries(input.crm).map(([m, rs]) => [m, new Map(rs.map((r) => [r.id, r]))]),
  ) as Record<string, Map<string, VerifyRecord>>;
  const booksContacts = new Map(input.books.contacts.map((r) => [r.id, r]));
  const booksItems = new Map(input.books.items.map((r) => [r.id, r]));
  const booksOf = (spec: KindSpec) => (spec.booksModule === 'items' ? booksItems : booksContacts);
  /** Every contact person of a Books customer, by its id, with the customer holding it. */
  const persons = new Map<string, { person: Data; customer: VerifyRecord }>();
  for (const customer of input.books.contacts)
    for (const person of personsOf(customer.data))
      if (!persons.has(person.contact_person_id as string))
        persons.set(person.contact_person_id as string, { person, customer });

  const failed = new Set(input.openFailures.map((f) => `${f.module}|${f.direction}|${f.recordId}`));
  const hasFailure = (module: string, direction: Direction, id: string) =>
    failed.has(`${module}|${direction}|${id}`);
  const inView = (kind: SyncKind, data: Data) => input.inView?.[kind]?.(data) ?? true;

  /** A live customer linked to this CRM account (the customer a contact person belongs in). */
  const customerOfAccount = (accountId: string): string | undefined => {
    const link = byCrm
      .get('customer')
      ?.get(accountId)
      ?.find((l) => l.crmModule === 'Accounts');
    const customer = link && !link.deletedIn ? booksContacts.get(link.booksId) : undefined;
    return customer && !customer.deleted ? customer.id : undefined;
  };

  // ---- links: linked twice, dangling, unequal
  for (const [index, side] of [
    [byCrm, 'crm'],
    [byBooks, 'books'],
  ] as const) {
    for (const [entity, ids] of index)
      for (const [id, links] of ids) {
        if (links.length < 2) continue;
        const others = links.map((l) => (side === 'crm' ? l.booksId : l.crmId));
        problems.push({
          problem: 'linked_twice',
          module: moduleOfEntity(entity),
          side,
          recordId: id,
          otherId: others.join(','),
          detail: `${side === 'crm' ? 'CRM' : 'Books'} record ${id} is linked ${links.length} times as ${entity} (to ${others.join(', ')})`,
        });
      }
  }

  for (const link of input.links) {
    const kind = kindOfLink(link);
    if (!kind) continue;
    checked.links++;
    const spec = kindSpecOf(kind);
    const crm = crmById[link.crmModule]?.get(link.crmId);
    const found = kind === 'contact_person' ? persons.get(link.booksId) : undefined;
    const books =
      kind === 'contact_person'
        ? found && { id: link.booksId, data: found.person, deleted: found.customer.deleted }
        : booksOf(spec).get(link.booksId);
    const dangling = (side: 'crm' | 'books', what: string) =>
      problems.push({
        problem: 'dangling_link',
        module: spec.module,
        side,
        recordId: side === 'crm' ? link.crmId : link.booksId,
        otherId: side === 'crm' ? link.booksId : link.crmId,
        detail: `${link.entity} link ${link.crmId} ↔ ${link.booksId}: ${what} does not exist`,
      });
    if (!crm) dangling('crm', `${LABEL[kind].crm} ${link.crmId}`);
    if (!books) {
      if (kind === 'contact_person' && link.parentBooksId === undefined) exclude('person_link_detached');
      else dangling('books', `${LABEL[kind].books} ${link.booksId}`);
    }
    if (!crm || !books) continue;
    if (!synced.has(kind)) {
      exclude('compare_skipped_unsynced_kind');
      continue;
    }
    if (link.deletedIn || crm.deleted || books.deleted) {
      exclude('compare_skipped_deleted');
      continue;
    }
    const failureId = kind === 'contact_person' && found ? found.customer.id : link.booksId;
    if (
      hasFailure(spec.module, 'crm_to_books', link.crmId) ||
      hasFailure(spec.module, 'books_to_crm', failureId)
    ) {
      exclude('compare_skipped_open_failure');
      continue;
    }
    if (!inView(kind, crm.data)) {
      exclude('compare_skipped_outside_view');
      continue;
    }
    problems.push(...compare(kind, input.maps[kind] ?? [], link, crm.data, books.data));
    if (kind === 'contact_person' && found) {
      // A contact person sits under the customer of its contact's account (S2.1: a move moves it).
      const accountId = accountIdOf(crm.data);
      const expected = accountId === undefined ? undefined : customerOfAccount(accountId);
      if (expected !== undefined && expected !== found.customer.id)
        problems.push({
          problem: 'unequal',
          module: spec.module,
          side: 'crm',
          recordId: link.crmId,
          otherId: link.booksId,
          field: 'Account_Name',
          crm: accountId,
          books: found.customer.id,
          detail:
            `CRM contact ${link.crmId} belongs to account ${accountId} (Books customer ${expected}), but its ` +
            `contact person ${link.booksId} is under Books customer ${found.customer.id}`,
        });
    }
  }

  // ---- sources: every in-scope record linked, failed or excluded by a rule
  const sameNamed = duplicateIndex(input, byCrm, byBooks);
  for (const { kind, directions } of scopes) {
    const spec = kindSpecOf(kind);
    const entity = ENTITY_OF[kind];
    const policy = (kind === 'vendor' ? config.vendors : kind === 'item' ? config.items : config.customers)
      .duplicatePolicy;
    // Overwrite acts in the module's first direction only: Books → CRM for items both ways, else CRM → Books.
    const firstDirection: Direction =
      kind === 'item' && config.items.extent === 'both_ways' ? 'books_to_crm' : 'crm_to_books';
    const skipsDuplicates = (d: Direction) =>
      policy === 'skip' || (policy === 'overwrite' && d !== firstDirection);
    /**
     * An unlinked source record: failed, or left out by a rule (the common ones here, the kind's own from
     * `rule`), else a problem. Contact persons have no duplicate rule: they are matched by id only.
     */
    const judge = (c: {
      side: 'crm' | 'books';
      record: VerifyRecord;
      name: string;
      /** The record its failure is recorded against (a Books person's is its customer's). */
      failureId: string;
      rule: () => ExclusionRule | undefined;
      detail: string;
      otherId?: string;
    }) => {
      const direction: Direction = c.side === 'crm' ? 'crm_to_books' : 'books_to_crm';
      if (hasFailure(spec.module, direction, c.failureId)) return exclude('open_failure');
      if (c.record.deleted) return exclude('deleted');
      const rule = c.rule();
      if (rule) return exclude(rule);
      const other = c.side === 'crm' ? 'books' : 'crm';
      if (
        kind !== 'contact_person' &&
        skipsDuplicates(direction) &&
        sameNamed(kind, other, normalizeName(c.name))
      )
        return exclude('duplicate_skipped');
      problems.push({
        problem: 'unlinked',
        module: spec.module,
        side: c.side,
        recordId: c.record.id,
        ...(c.otherId !== undefined && { otherId: c.otherId }),
        detail: `${LABEL[kind][c.side]} ${c.record.id} "${c.name}" ${c.detail}, and has no open failure`,
      });
    };

    for (const record of crmSources(kind, input, config)) {
      checked.crm++;
      if (linkedCrm(entity, record.id)) continue;
      const accountId = kind === 'contact_person' ? accountIdOf(record.data) : undefined;
      judge({
        side: 'crm',
        record,
        name: spec.crmName(record.data),
        failureId: record.id,
        // Under "Accounts and their Contacts" a contact without an account is first of all an orphan.
        rule: () =>
          kind === 'contact_person' && accountId === undefined
            ? 'orphan_contact_not_included'
            : !inView(kind, record.data)
              ? 'outside_view'
              : accountId !== undefined && customerOfAccount(accountId) === undefined
                ? 'account_not_synced'
                : undefined,
        detail:
          accountId === undefined
            ? 'is not linked'
            : `of account ${accountId} is not a contact person of the account's customer`,
      });
    }

    if (!directions.includes('books_to_crm')) {
      checked.books += booksSources(kind, input).length;
      continue;
    }
    for (const { record, customer } of booksSources(kind, input)) {
      checked.books++;
      if (linkedBooks(entity, record.id)) continue;
      judge({
        side: 'books',
        record,
        name:
          kind === 'contact_person'
            ? [record.data.first_name, record.data.last_name].filter((v) => typeof v === 'string').join(' ')
            : spec.booksName(record.data),
        // A contact person's failure is recorded against its customer, the source record a reprocess reads.
        failureId: customer?.id ?? record.id,
        rule: () =>
          customer &&
          !byBooks
            .get('customer')
            ?.get(customer.id)
            ?.some((l) => l.crmModule === 'Accounts' && !l.deletedIn)
            ? 'customer_not_synced'
            : undefined,
        detail: customer ? `of customer ${customer.id} has no CRM contact` : 'is not linked',
        ...(customer && { otherId: customer.id }),
      });
    }
  }

  problems.sort(
    (a, b) =>
      order(a.problem) - order(b.problem) ||
      a.module.localeCompare(b.module) ||
      a.side.localeCompare(b.side) ||
      a.recordId.localeCompare(b.recordId) ||
      (a.field ?? '').localeCompare(b.field ?? ''),
  );
  const rules = Object.fromEntries(
    Object.keys(excluded).map((rule) => [rule, EXCLUSION_RULES[rule as ExclusionRule]]),
  );
  return {
    integrationId: input.integrationId,
    ok: problems.length === 0,
    checked,
    problems,
    excluded,
    rules,
  };
}

const order = (p: VerifyProblemKind) => ({ linked_twice: 0, dangling_link: 1, unlinked: 2, unequal: 3 })[p];

/** The CRM records a kind moves CRM → Books (S2.1: under "Accounts and their Contacts" contacts split). */
function crmSources(kind: SyncKind, input: VerifyInput, config: VerifyConfig): readonly VerifyRecord[] {
  const records = input.crm[kindSpecOf(kind).crmModule];
  if (config.customers.module !== 'accounts_and_contacts') return records;
  if (kind === 'contact_person') {
    // Orphans go to the Individuals step when included; else they are counted (and left out) here.
    if (config.customers.includeOrphanContacts)
      return records.filter((r) => accountIdOf(r.data) !== undefined);
    return records;
  }
  if (kind === 'contact') return records.filter((r) => accountIdOf(r.data) === undefined);
  return records;
}

/** The Books records a kind moves Books → CRM: its scope of Books contacts or items, or their persons. */
function booksSources(
  kind: SyncKind,
  input: VerifyInput,
): { record: VerifyRecord; customer?: VerifyRecord }[] {
  const spec = kindSpecOf(kind);
  if (kind === 'contact_person')
    return input.books.contacts
      .filter((c) => KIND_SPECS.account.booksInScope(c.data))
      .flatMap((customer) =>
        personsOf(customer.data).map((p) => ({
          record: { id: p.contact_person_id as string, data: p, deleted: customer.deleted },
          customer,
        })),
      );
  const records = spec.booksModule === 'items' ? input.books.items : input.books.contacts;
  return records.filter((r) => spec.booksInScope(r.data)).map((record) => ({ record }));
}

/**
 * Whether a live, unlinked record on the given side has this normalised name, as a duplicate candidate of
 * the kind (S2.3): Books candidates of the kind's Books scope, CRM candidates of its CRM module.
 */
function duplicateIndex(
  input: VerifyInput,
  byCrm: Map<string, Map<string, VerifyLink[]>>,
  byBooks: Map<string, Map<string, VerifyLink[]>>,
): (kind: SyncKind, side: 'crm' | 'books', normName: string) => boolean {
  const cache = new Map<string, Set<string>>();
  return (kind, side, normName) => {
    if (!normName) return false;
    const key = `${kind}|${side}`;
    let names = cache.get(key);
    if (!names) {
      const spec = kindSpecOf(kind);
      const entity = ENTITY_OF[kind];
      const records =
        side === 'crm'
          ? input.crm[spec.crmModule]
          : (spec.booksModule === 'items' ? input.books.items : input.books.contacts).filter((r) =>
              spec.booksInScope(r.data),
            );
      const linked = (side === 'crm' ? byCrm : byBooks).get(entity);
      names = new Set(
        records
          .filter((r) => !r.deleted && !linked?.has(r.id))
          .map((r) => normalizeName(side === 'crm' ? spec.crmName(r.data) : spec.booksName(r.data))),
      );
      cache.set(key, names);
    }
    return names.has(normName);
  };
}

/** The mapped fields of a linked pair that differ, in the CRM's representation (S2.5). */
function compare(
  kind: SyncKind,
  maps: readonly ResolvedFieldMap[],
  link: VerifyLink,
  crmData: Data,
  booksData: Data,
): VerifyProblem[] {
  const spec = kindSpecOf(kind);
  const crm = crmValues(maps, crmData);
  let books: FieldValues = booksValues(maps, booksData);
  // A Books Individual may hold its name only as a display name; the kind says how the CRM reads it.
  if (kind !== 'contact_person' && spec.completeCrmValues) books = spec.completeCrmValues(books, booksData);
  const source = booksSourceOf(maps);
  const out: VerifyProblem[] = [];
  for (const field of new Set([...Object.keys(crm), ...Object.keys(books)])) {
    const c = crm[field] ?? null;
    const b = books[field] ?? null;
    if (stableStringify(c) === stableStringify(b)) continue;
    out.push({
      problem: 'unequal',
      module: spec.module,
      side: 'crm',
      recordId: link.crmId,
      otherId: link.booksId,
      field,
      crm: c,
      books: b,
      detail:
        `${LABEL[kind].crm} ${link.crmId} ↔ ${LABEL[kind].books} ${link.booksId}: ${field} ` +
        `${JSON.stringify(c)} ≠ ${source.get(field)?.booksField ?? field} ${JSON.stringify(b)}`,
    });
  }
  return out;
}
