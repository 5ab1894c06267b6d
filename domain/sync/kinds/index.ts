import type { IntegrationConfig } from '../../sync-state-schemas';
import { account } from './account';
import { contact } from './contact';
import { contactPerson } from './contact-person';
import { item } from './item';
import type { BooksMasterModule, CrmMasterModule, Direction, KindSpec } from './spec';
import { vendor } from './vendor';

export { ACCOUNT_FIELD, accountIdOf } from './contact';
export * from './spec';

/**
 * Every kind of record a sync run moves, each specified in its own file. Adding a kind is adding its file
 * and a line here; the plan, the decisions, the counts, the stores' name tables and the operations derive
 * what they need from these specs.
 */
export const KIND_SPECS = {
  account,
  contact,
  contact_person: contactPerson,
  vendor,
  item,
} as const satisfies Record<string, KindSpec>;

export type SyncKind = keyof typeof KIND_SPECS;

/** The spec a kind reads and writes with. */
export function kindSpecOf(kind: SyncKind): KindSpec {
  return KIND_SPECS[kind];
}

/** The kinds whose records are collections of their own (not held inside another kind's). */
export const STORED_KINDS: readonly KindSpec[] = Object.values(KIND_SPECS).filter((s) => !s.embeddedIn);

/** The kinds counted under a sync module (`customers`: accounts, contacts, contact persons). */
export function kindsOfModule(module: string): SyncKind[] {
  return Object.values(KIND_SPECS)
    .filter((s) => s.module === module)
    .map((s) => s.kind);
}

/** The configuration section of a kind's module (customers, vendors, items). */
export function moduleConfigOf(config: IntegrationConfig, kind: SyncKind) {
  return config[KIND_SPECS[kind].module];
}

/** The order of a kind's steps (S2.2): its first direction, then the other when the module syncs both ways. */
export function directionsOf(kind: SyncKind, bothWays: boolean): Direction[] {
  if (!bothWays) return ['crm_to_books'];
  return KIND_SPECS[kind].firstDirection === 'crm_to_books'
    ? ['crm_to_books', 'books_to_crm']
    : ['books_to_crm', 'crm_to_books'];
}

type StoredModule = CrmMasterModule | BooksMasterModule;

/** A table by stored module, each read from the first stored kind that keeps its records there. */
function byStoredModule<T>(crm: (s: KindSpec) => T, books: (s: KindSpec) => T): Record<StoredModule, T> {
  const out: Partial<Record<StoredModule, T>> = {};
  for (const s of STORED_KINDS) {
    if (!(s.crmModule in out)) out[s.crmModule] = crm(s);
    if (!(s.booksModule in out)) out[s.booksModule] = books(s);
  }
  return out as Record<StoredModule, T>;
}

/** The field holding each stored module's display name, named when a name is refused. */
export const NAME_FIELD_OF: Readonly<Record<StoredModule, string>> = byStoredModule(
  (s) => s.nameField.crm,
  (s) => s.nameField.books,
);

/** The display name each stored module is matched on (S2.3), by store collection. */
export const DISPLAY_NAME_OF: Readonly<Record<StoredModule, (r: Record<string, unknown>) => string>> =
  byStoredModule(
    (s) => s.crmName,
    (s) => s.booksName,
  );
