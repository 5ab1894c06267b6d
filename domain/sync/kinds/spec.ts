import type { FieldMapSpec, FieldValues } from '../field-maps';
import { contentHash } from '../../hash';
import type { IntegrationConfig } from '../../sync-state-schemas';
import type { SyncKind } from './index';

/**
 * What differs between the kinds of master data a sync run moves: which modules, which Books records are in
 * scope, how a new record starts, what Books or the CRM require before a record is posted (S9.6). One file
 * per kind fills this in (kinds/account.ts, …); kinds/index.ts lists them, and everything else derives from
 * those specs.
 */

export type CrmMasterModule = 'Accounts' | 'Contacts' | 'Vendors' | 'Products';
export type BooksMasterModule = 'contacts' | 'items';
export type LinkEntityOf = 'customer' | 'vendor' | 'item' | 'contact_person';
export type SyncModule = 'customers' | 'vendors' | 'items';
export type Direction = 'crm_to_books' | 'books_to_crm';

export interface FieldIssue {
  field: string;
  reason: string;
}

/** Settings of the Books org that validation needs. */
export interface BooksContext {
  baseCurrency: string;
  /** Currency codes enabled in Books (the base one included). */
  currencies: readonly string[];
}

export interface KindSpec {
  kind: SyncKind;
  entity: LinkEntityOf;
  crmModule: CrmMasterModule;
  booksModule: BooksMasterModule;
  /** The id field of the Books records (`contact_id`, `item_id`). */
  booksIdKey: 'contact_id' | 'item_id';
  /** The module name used in run counts, cursors and failures, and the configuration section it reads. */
  module: SyncModule;
  /** The kind whose Books records hold this kind's (contact persons live in Business customers). */
  embeddedIn?: SyncKind;
  /** What the run's details and the checks call its records ("contact persons", "CRM account"). */
  labels: { plural: string; crm: string; books: string };
  /** The field naming the display name on each side, named when a name is refused or ambiguous. */
  nameField: { crm: string; books: string };
  /** The basic fields mapped by default (S2.5), with their owners. */
  defaultFieldMaps: readonly FieldMapSpec[];
  /** Books fields a user may map, besides custom fields. */
  booksFields: readonly string[];
  /** The configured CRM view of its records (S2.4) and where the configuration sets it (for messages). */
  viewOf(config: IntegrationConfig): { viewId?: string | undefined; path: string };
  /** Display name matched for duplicates (S2.3). */
  crmName(data: Record<string, unknown>): string;
  booksName(data: Record<string, unknown>): string;
  /** Whether a Books record of the module belongs to this kind (e.g. Business customers for accounts). */
  booksInScope(data: Record<string, unknown>): boolean;
  /** The fixed fields of a Books record this kind creates. */
  newBooks(): Record<string, unknown>;
  /** Checks before posting to Books (S9.6), on the CRM values about to be written. */
  validateForBooks(values: FieldValues, ctx: BooksContext): FieldIssue | undefined;
  /**
   * Checks before posting to the CRM, on the Books values in the CRM representation: what the CRM requires,
   * and what Books requires of the same values (an enabled currency, an item's rate), since a record written
   * to the CRM is read again on its way to Books. So a value the sync cannot take back is a failure of the
   * record that brings it, never a write followed by a failure of every later run.
   */
  validateForCrm(values: FieldValues, ctx: BooksContext): FieldIssue | undefined;
  /** Derived Books fields after the mapped ones are written (an Individual's display name). */
  completeBooks?(data: Record<string, unknown>, written: ReadonlySet<string>): Record<string, unknown>;
  /** CRM fields always written together (an Individual's first and last name make its display name). */
  writtenTogether?: readonly string[];
  /** Values the CRM needs that Books holds only in another form (an Individual's last name). */
  completeCrmValues?(values: FieldValues, booksData: Record<string, unknown>): FieldValues;
  /**
   * The direction the module moves first when it syncs both ways (S2.2): customers and vendors fetch the CRM
   * side first, items push the Books side first. Overwriting a duplicate happens only in it (S2.3).
   */
  firstDirection: Direction;
}

export const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** An issue when the value of `field` is empty. */
export function required(values: FieldValues, field: string, what: string): FieldIssue | undefined {
  const v = values[field];
  return v === null || v === undefined || v === '' ? { field, reason: `${what} is required` } : undefined;
}

/** An issue when the record's currency is not one Books has enabled. */
export function enabledCurrency(values: FieldValues, ctx: BooksContext): FieldIssue | undefined {
  const code = values.Currency;
  if (code === null || code === undefined) return undefined;
  if (typeof code !== 'string' || !ctx.currencies.includes(code))
    return {
      field: 'Currency',
      reason: `currency ${String(code)} is not enabled in Books (enabled: ${[...ctx.currencies].sort().join(', ')})`,
    };
  return undefined;
}

/** Which Books contacts a kind of the `contacts` module owns: its contact type, and sub-type for customers. */
export const contactsInScope =
  (type: 'customer' | 'vendor', subType?: 'business' | 'individual') => (d: Record<string, unknown>) =>
    d.contact_type === type && (subType === undefined || (d.customer_sub_type ?? 'business') === subType);

/** The five maps of a CRM address block onto a Books address. */
export function addressMaps(
  crmPrefix: string,
  books: 'billing_address' | 'shipping_address',
  zip = 'Code',
): FieldMapSpec[] {
  return [
    { crmField: `${crmPrefix}_Street`, booksField: `${books}.address` },
    { crmField: `${crmPrefix}_City`, booksField: `${books}.city` },
    { crmField: `${crmPrefix}_State`, booksField: `${books}.state` },
    { crmField: `${crmPrefix}_${zip}`, booksField: `${books}.zip` },
    { crmField: `${crmPrefix}_Country`, booksField: `${books}.country` },
  ];
}

/** The Books contact fields a customer or vendor map may name. */
export function contactBooksFields(): string[] {
  const addressParts = ['attention', 'address', 'street2', 'city', 'state', 'zip', 'country', 'phone', 'fax'];
  return [
    'contact_name',
    'company_name',
    'first_name',
    'last_name',
    'email',
    'phone',
    'mobile',
    'website',
    'currency_code',
    'payment_terms',
    'notes',
    ...addressParts.map((p) => `billing_address.${p}`),
    ...addressParts.map((p) => `shipping_address.${p}`),
  ];
}

/**
 * The id of a record this integration creates on the other side: derived from the source record, so a retried
 * or replayed write converges on the same record instead of creating a second one.
 */
export function createdRecordId(
  integrationId: string,
  entity: string,
  side: 'crm' | 'books',
  sourceId: string,
): string {
  return `cbs-${side}-${contentHash([integrationId, entity, sourceId])}`;
}

/** The sync key stamped on a record we create (unique per org in the stores). */
export function syncKeyOf(integrationId: string, entity: string, sourceId: string): string {
  return `cbs:${contentHash([integrationId, entity, sourceId])}`;
}
