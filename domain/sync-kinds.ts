import type { FieldValues, SyncKind } from './field-maps';
import { contentHash } from './hash';
import { crmContactFullName } from './names';

/**
 * What differs between the kinds of master data a sync run moves: which modules, which Books records are in
 * scope, how a new record starts, what Books or the CRM require before a record is posted (S9.6).
 */

export type CrmMasterModule = 'Accounts' | 'Contacts' | 'Vendors' | 'Products';
export type BooksMasterModule = 'contacts' | 'items';
export type LinkEntityOf = 'customer' | 'vendor' | 'item' | 'contact_person';

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
  /** The module name used in run counts, cursors and failures. */
  module: 'customers' | 'vendors' | 'items';
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
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');

function required(values: FieldValues, field: string, what: string): FieldIssue | undefined {
  const v = values[field];
  return v === null || v === undefined || v === '' ? { field, reason: `${what} is required` } : undefined;
}

function currency(values: FieldValues, ctx: BooksContext): FieldIssue | undefined {
  const code = values.Currency;
  if (code === null || code === undefined) return undefined;
  if (typeof code !== 'string' || !ctx.currencies.includes(code))
    return {
      field: 'Currency',
      reason: `currency ${String(code)} is not enabled in Books (enabled: ${[...ctx.currencies].sort().join(', ')})`,
    };
  return undefined;
}

/** Books items need a rate: the CRM unit price it comes from, or goes to. */
function itemRate(values: FieldValues): FieldIssue | undefined {
  const rate = values.Unit_Price;
  if (rate === null || rate === undefined)
    return { field: 'Unit_Price', reason: 'Books items need a rate: the unit price is empty' };
  if (typeof rate !== 'number' || rate < 0)
    return { field: 'Unit_Price', reason: 'the unit price must be a number ≥ 0' };
  return undefined;
}

const contactsInScope =
  (type: 'customer' | 'vendor', subType?: 'business' | 'individual') => (d: Record<string, unknown>) =>
    d.contact_type === type && (subType === undefined || (d.customer_sub_type ?? 'business') === subType);

export const KIND_SPECS: Readonly<Record<Exclude<SyncKind, 'contact_person'>, KindSpec>> = {
  account: {
    kind: 'account',
    entity: 'customer',
    crmModule: 'Accounts',
    booksModule: 'contacts',
    booksIdKey: 'contact_id',
    module: 'customers',
    crmName: (d) => text(d.Account_Name),
    booksName: (d) => text(d.contact_name),
    booksInScope: contactsInScope('customer', 'business'),
    newBooks: () => ({ contact_type: 'customer', customer_sub_type: 'business', status: 'active' }),
    validateForBooks: (v, ctx) =>
      required(v, 'Account_Name', 'the account name (Books display name)') ?? currency(v, ctx),
    validateForCrm: (v, ctx) =>
      required(v, 'Account_Name', 'the customer display name (CRM account name)') ?? currency(v, ctx),
  },
  contact: {
    kind: 'contact',
    entity: 'customer',
    crmModule: 'Contacts',
    booksModule: 'contacts',
    booksIdKey: 'contact_id',
    module: 'customers',
    crmName: (d) =>
      crmContactFullName({
        First_Name: text(d.First_Name),
        Last_Name: text(d.Last_Name),
        Full_Name: text(d.Full_Name),
      }),
    booksName: (d) => text(d.contact_name),
    booksInScope: contactsInScope('customer', 'individual'),
    newBooks: () => ({ contact_type: 'customer', customer_sub_type: 'individual', status: 'active' }),
    validateForBooks: (v, ctx) => required(v, 'Last_Name', 'the last name') ?? currency(v, ctx),
    validateForCrm: (v, ctx) =>
      required(v, 'Last_Name', 'the last name (CRM contacts require it)') ?? currency(v, ctx),
    writtenTogether: ['First_Name', 'Last_Name'],
    completeBooks: (d, written) =>
      !written.has('First_Name') && !written.has('Last_Name') && d.contact_name
        ? d
        : {
            ...d,
            contact_name:
              crmContactFullName({ First_Name: text(d.first_name), Last_Name: text(d.last_name) }) ||
              d.contact_name,
          },
    completeCrmValues: (v, d) => {
      if (v.Last_Name !== null && v.Last_Name !== undefined) return v;
      // A Books Individual may carry only a display name: its last word becomes the CRM last name.
      const words = text(d.contact_name).trim().split(/\s+/).filter(Boolean);
      if (words.length === 0) return v;
      return {
        ...v,
        Last_Name: words[words.length - 1] ?? null,
        First_Name: v.First_Name ?? (words.slice(0, -1).join(' ') || null),
      };
    },
  },
  vendor: {
    kind: 'vendor',
    entity: 'vendor',
    crmModule: 'Vendors',
    booksModule: 'contacts',
    booksIdKey: 'contact_id',
    module: 'vendors',
    crmName: (d) => text(d.Vendor_Name),
    booksName: (d) => text(d.contact_name),
    booksInScope: contactsInScope('vendor'),
    newBooks: () => ({ contact_type: 'vendor', status: 'active' }),
    validateForBooks: (v, ctx) => required(v, 'Vendor_Name', 'the vendor name') ?? currency(v, ctx),
    validateForCrm: (v, ctx) => required(v, 'Vendor_Name', 'the vendor display name') ?? currency(v, ctx),
  },
  item: {
    kind: 'item',
    entity: 'item',
    crmModule: 'Products',
    booksModule: 'items',
    booksIdKey: 'item_id',
    module: 'items',
    crmName: (d) => text(d.Product_Name),
    booksName: (d) => text(d.name),
    booksInScope: () => true,
    newBooks: () => ({ status: 'active' }),
    validateForBooks: (v) => required(v, 'Product_Name', 'the product name (Books item name)') ?? itemRate(v),
    validateForCrm: (v) => required(v, 'Product_Name', 'the item name (CRM product name)') ?? itemRate(v),
  },
};

/** The CRM → Books / Books → CRM order of a module's steps (S2.2): items push the Books side first. */
export function stepOrder(
  module: 'customers' | 'vendors' | 'items',
  bothWays: boolean,
): ('crm_to_books' | 'books_to_crm')[] {
  if (!bothWays) return ['crm_to_books'];
  return module === 'items' ? ['books_to_crm', 'crm_to_books'] : ['crm_to_books', 'books_to_crm'];
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

/** The spec a kind reads and writes with: a contact person is a CRM contact. */
export function kindSpecOf(kind: SyncKind): KindSpec {
  return KIND_SPECS[kind === 'contact_person' ? 'contact' : kind];
}
