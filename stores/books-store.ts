import type { Db } from 'mongodb';
import { z } from 'zod';
import {
  BOOKS_CONTACT_TYPES,
  BOOKS_ID_KEYS,
  BOOKS_MODULES,
  BooksCurrencyDocSchema,
  BooksOrganizationDocSchema,
  BooksRoleDocSchema,
  BooksTaxDocSchema,
  type BooksContact,
  type BooksCurrency,
  type BooksModule,
  type BooksOrganization,
  type BooksRole,
  type BooksTax,
} from '../domain/books-schemas';
import type { BooksCreditNoteRefund, BooksPaymentRefund } from '../domain/finance/documents';
import {
  applyCredits,
  refundCreditNote,
  refundPayment,
  type InvoiceCreditEntry,
} from '../domain/finance/ledger-entries';
import { currencyOf } from '../domain/finance/posting-checks';
import type { CurrencyLike } from '../domain/money';
import { DISPLAY_NAME_OF, NAME_FIELD_OF } from '../domain/sync/kinds';
import type { FieldProblem } from '../domain/validation';
import { safeKeys } from '../domain/safe-keys';
import { JsonScalarSchema, RecordIdSchema } from '../domain/validation';
import {
  createRecordCollection,
  createSettingsCollection,
  type MongoRecordCollection,
  type RecordIndexSpec,
  type SaveResult,
  type SettingsCollection,
} from './record-collection';
import type { RecordCollection, StoredRecord } from './record-store';
import type { StoreOptions } from './server-capabilities';

/*
 * The Books store (ARCHITECTURE §4): one collection per Books record module holding Zoho Books API v3
 * documents in the envelope of record-store.ts — customers and vendors together in `books_contacts`, as Books
 * keeps them — and the organization's settings (organization, roles, currencies, taxes, custom fields).
 */

/** The Books modules kept as record collections (delta reads, duplicate lookups); the rest are settings. */
export const BOOKS_RECORD_MODULES = [
  'contacts',
  'items',
  'estimates',
  'salesorders',
  'invoices',
  'purchaseorders',
  'customerpayments',
  'creditnotes',
  'expenses',
  'users',
] as const satisfies readonly BooksModule[];
export type BooksRecordModule = (typeof BOOKS_RECORD_MODULES)[number];

/** A Books module's document type, as its schema parses it. */
export type BooksRecordOf<M extends BooksModule> = z.output<(typeof BOOKS_MODULES)[M]>;

/** The MongoDB collection of each Books record module. */
export const BOOKS_COLLECTIONS: Readonly<Record<BooksRecordModule, string>> = {
  contacts: 'books_contacts',
  items: 'books_items',
  estimates: 'books_estimates',
  salesorders: 'books_salesorders',
  invoices: 'books_invoices',
  purchaseorders: 'books_purchaseorders',
  customerpayments: 'books_customerpayments',
  creditnotes: 'books_creditnotes',
  expenses: 'books_expenses',
  users: 'books_users',
};

export const BOOKS_SETTINGS_COLLECTIONS = {
  organization: 'books_organization',
  roles: 'books_roles',
  currencies: 'books_currencies',
  taxes: 'books_taxes',
  customFields: 'books_custom_fields',
} as const;

/** Duplicate lookups among customers or among vendors (S2.3): a customer never matches a vendor. */
export const CONTACT_TYPE_NAME_INDEX: RecordIndexSpec = {
  name: 'org_contactType_normName',
  key: { org: 1, 'data.contact_type': 1, normName: 1 },
};

/** A customer's payments, which settle its invoices (S9.3): read by the document workflow per invoice. */
export const PAYMENT_CUSTOMER_INDEX: RecordIndexSpec = {
  name: 'org_customerId',
  key: { org: 1, 'data.customer_id': 1 },
};

/**
 * A customer's invoices, whose settled figures add up to its receivables on the CRM account (S10.1): read
 * when one of them changes what it owes. On FerretDB this read scans the collection like every non-`_id`
 * read; it is made only for an invoice owed, not for a draft pushed.
 */
export const INVOICE_CUSTOMER_INDEX: RecordIndexSpec = {
  name: 'org_customerId',
  key: { org: 1, 'data.customer_id': 1 },
};

type Data = Record<string, unknown>;

const str = (value: unknown) => (typeof value === 'string' ? value : '');

const DISPLAY_NAMES: { [M in BooksRecordModule]: (data: BooksRecordOf<M>) => string } = {
  contacts: DISPLAY_NAME_OF.contacts,
  items: DISPLAY_NAME_OF.items,
  estimates: (d) => str(d.estimate_number),
  salesorders: (d) => str(d.salesorder_number),
  invoices: (d) => str(d.invoice_number),
  purchaseorders: (d) => str(d.purchaseorder_number),
  customerpayments: (d) => str(d.payment_number),
  creditnotes: (d) => str(d.creditnote_number),
  expenses: (d) => str(d.reference_number),
  users: (d) => str(d.name),
};

/** The field each module's display name comes from, named when a name is refused. */
const NAME_FIELDS: { [M in BooksRecordModule]: string } = {
  contacts: NAME_FIELD_OF.contacts,
  items: NAME_FIELD_OF.items,
  estimates: 'estimate_number',
  salesorders: 'salesorder_number',
  invoices: 'invoice_number',
  purchaseorders: 'purchaseorder_number',
  customerpayments: 'payment_number',
  creditnotes: 'creditnote_number',
  expenses: 'reference_number',
  users: 'name',
};

/**
 * A custom field's definition (Books settings, `GET /settings/fields?entity=…`): what a user's field map may
 * target (S2.5). The module it belongs to is the scope it is saved under.
 */
export const BooksCustomFieldDefSchema = safeKeys(
  z.looseObject({
    customfield_id: RecordIdSchema,
    label: z.string().min(1),
    api_name: z.string().min(1).optional(),
    data_type: z.string().min(1),
    is_active: z.boolean().optional(),
    is_mandatory: z.boolean().optional(),
    show_in_all_pdf: z.boolean().optional(),
    default_value: JsonScalarSchema.optional(),
    /** Dropdown and multiselect options. */
    values: z.array(z.looseObject({ name: z.string() })).optional(),
  }),
);
export type BooksCustomFieldDef = z.infer<typeof BooksCustomFieldDefSchema>;

export type BooksCollections = { [M in BooksRecordModule]: MongoRecordCollection<BooksRecordOf<M>> };

/** A credit or refund recorded, or why Books refuses it (nothing written). */
export type LedgerWriteResult = { ok: true } | { ok: false; problems: FieldProblem[] };

export type BooksContactType = (typeof BOOKS_CONTACT_TYPES)[number];

export interface BooksStore {
  /** The record collection of a module, typed by it: `store.module('contacts')`. */
  module<M extends BooksRecordModule>(name: M): RecordCollection<BooksRecordOf<M>>;
  /** Creates every index of the store. Idempotent; awaited once at start-up; fails on a server error. */
  ensureIndexes(): Promise<void>;

  /** Live contacts of one type (customers or vendors) whose normalised name is one of `normNames`. Indexed. */
  findContactsByNormNames(
    org: string,
    contactType: BooksContactType,
    normNames: readonly string[],
  ): Promise<StoredRecord<BooksContact>[]>;

  /** Live invoices of one customer, each listing the credits applied to it. Indexed (a scan on FerretDB). */
  findInvoicesOfCustomer(org: string, customerId: string): Promise<StoredRecord<BooksRecordOf<'invoices'>>[]>;

  /**
   * Applies a credit note to invoices of its customer (Books' `POST /creditnotes/{id}/invoices`): each credit
   * is recorded on the invoice (`credits`) and on the credit note (`invoices_credited`, its balance and
   * status). Point reads and writes by id. Idempotent: a credit is keyed by its `creditnote_invoice_id`.
   * Refused, nothing written, beyond the credit note's balance or for another customer's invoice.
   */
  applyCreditNote(
    org: string,
    creditnoteId: string,
    credits: readonly InvoiceCreditEntry[],
  ): Promise<LedgerWriteResult>;
  /** Records a refund out of a credit note's balance. Idempotent by refund id; refused beyond its balance. */
  refundCreditNote(org: string, refund: BooksCreditNoteRefund): Promise<LedgerWriteResult>;
  /**
   * Records a refund of a customer payment on it (`payment_refunds`); with an `invoice_id`, out of what was
   * applied to that invoice, which reopens its balance. Idempotent by refund id; refused beyond what was paid.
   */
  refundPayment(org: string, refund: BooksPaymentRefund): Promise<LedgerWriteResult>;

  /** The organization's settings (base currency, country, quote preference, …); undefined when absent. */
  getOrganization(org: string): Promise<BooksOrganization | undefined>;
  /** Saves them under their own `organization_id`. Idempotent. Throws InvalidRecordsError for a bad doc. */
  saveOrganization(doc: BooksOrganization): Promise<SaveResult>;

  listRoles(org: string): Promise<BooksRole[]>;
  saveRoles(org: string, roles: readonly BooksRole[]): Promise<SaveResult>;
  listCurrencies(org: string): Promise<BooksCurrency[]>;
  saveCurrencies(org: string, currencies: readonly BooksCurrency[]): Promise<SaveResult>;
  listTaxes(org: string): Promise<BooksTax[]>;
  saveTaxes(org: string, taxes: readonly BooksTax[]): Promise<SaveResult>;

  /** The custom fields defined on one module (`contacts`, `items`, `invoices`, …). */
  listCustomFields(org: string, module: BooksRecordModule): Promise<BooksCustomFieldDef[]>;
  /** Idempotent; unchanged definitions are not written. Throws InvalidRecordsError (nothing written). */
  saveCustomFields(
    org: string,
    module: BooksRecordModule,
    fields: readonly BooksCustomFieldDef[],
  ): Promise<SaveResult>;
}

const RecordModuleSchema = z.enum(BOOKS_RECORD_MODULES);

/**
 * The MongoDB implementation, over an injected Books `Db`, with the server capabilities resolved at start
 * (probed on first use when not given). `now` is injectable for tests.
 */
export function createBooksStore(
  db: Db,
  options: StoreOptions = {},
): BooksStore & {
  readonly collections: BooksCollections;
  readonly settings: {
    organization: SettingsCollection<BooksOrganization>;
    roles: SettingsCollection<BooksRole>;
    currencies: SettingsCollection<BooksCurrency>;
    taxes: SettingsCollection<BooksTax>;
    customFields: SettingsCollection<BooksCustomFieldDef>;
  };
} {
  const record = <M extends BooksRecordModule>(module: M): MongoRecordCollection<BooksRecordOf<M>> =>
    createRecordCollection<BooksRecordOf<M>>(db, {
      name: BOOKS_COLLECTIONS[module],
      schema: BOOKS_MODULES[module] as unknown as z.ZodType<BooksRecordOf<M>>,
      displayName: DISPLAY_NAMES[module],
      nameField: NAME_FIELDS[module],
      modifiedField: 'last_modified_time',
      idKey: BOOKS_ID_KEYS[module],
      ...(module === 'contacts'
        ? { lookups: [{ field: 'data.contact_type', index: CONTACT_TYPE_NAME_INDEX }] }
        : {}),
      ...(module === 'customerpayments'
        ? { lookups: [{ field: 'data.customer_id', index: PAYMENT_CUSTOMER_INDEX }] }
        : {}),
      ...(module === 'invoices'
        ? { lookups: [{ field: 'data.customer_id', index: INVOICE_CUSTOMER_INDEX }] }
        : {}),
      ...options,
    });
  const collections: BooksCollections = {
    contacts: record('contacts'),
    items: record('items'),
    estimates: record('estimates'),
    salesorders: record('salesorders'),
    invoices: record('invoices'),
    purchaseorders: record('purchaseorders'),
    customerpayments: record('customerpayments'),
    creditnotes: record('creditnotes'),
    expenses: record('expenses'),
    users: record('users'),
  };
  const settings = {
    organization: createSettingsCollection<BooksOrganization>(db, {
      name: BOOKS_SETTINGS_COLLECTIONS.organization,
      schema: BooksOrganizationDocSchema,
      idOf: (o) => o.organization_id,
      ...options,
    }),
    roles: createSettingsCollection<BooksRole>(db, {
      name: BOOKS_SETTINGS_COLLECTIONS.roles,
      schema: BooksRoleDocSchema,
      idOf: (r) => r.role_id,
      ...options,
    }),
    currencies: createSettingsCollection<BooksCurrency>(db, {
      name: BOOKS_SETTINGS_COLLECTIONS.currencies,
      schema: BooksCurrencyDocSchema,
      idOf: (c) => c.currency_id,
      ...options,
    }),
    taxes: createSettingsCollection<BooksTax>(db, {
      name: BOOKS_SETTINGS_COLLECTIONS.taxes,
      schema: BooksTaxDocSchema,
      idOf: (t) => t.tax_id,
      ...options,
    }),
    customFields: createSettingsCollection<BooksCustomFieldDef>(db, {
      name: BOOKS_SETTINGS_COLLECTIONS.customFields,
      schema: BooksCustomFieldDefSchema,
      idOf: (f) => f.customfield_id,
      ...options,
    }),
  };

  /** The live documents with these ids, as plain data. Reads by `_id`. */
  const liveByIds = async <T>(collection: RecordCollection<T>, org: string, ids: readonly string[]) =>
    (await collection.findByIds(org, ids)).filter((r) => !r.deleted).map((r) => r.data);
  const writeAll = async (
    collection: RecordCollection<unknown>,
    org: string,
    docs: Data[],
    idKey: string,
  ) => {
    if (docs.length > 0)
      await collection.upsertMany(
        org,
        docs.map((data) => ({ id: String(data[idKey]), data })),
      );
  };
  /** A document's currency with the org's precision (its base currency when it names none). */
  const currencyOfDoc = async (org: string, doc: Data): Promise<CurrencyLike> => {
    const organization = await settings.organization.get(org, org);
    const base = organization?.currency_code ?? '';
    const code = typeof doc.currency_code === 'string' && doc.currency_code !== '' ? doc.currency_code : base;
    if (!organization) return code;
    return (
      currencyOf({ organization, currencies: await settings.currencies.list(org), taxes: [] }, code) ?? code
    );
  };
  /** Reads one document by id, and writes it with an entry recorded on it as `record` decides, or why not. */
  const recordOn = async <T extends Data>(
    collection: RecordCollection<T>,
    org: string,
    idKey: string,
    id: string,
    record: (
      doc: T,
      currency: CurrencyLike,
    ) => { ok: true; doc: Data } | { ok: false; problems: FieldProblem[] },
  ): Promise<LedgerWriteResult> => {
    const [doc] = await liveByIds(collection, org, [id]);
    if (!doc) return missing(idKey, `no ${idKey.replace(/_id$/, '')} ${id}`);
    const recorded = record(doc, await currencyOfDoc(org, doc));
    if (!recorded.ok) return recorded;
    await writeAll(collection, org, [recorded.doc], idKey);
    return { ok: true };
  };
  const missing = (field: string, reason: string): LedgerWriteResult => ({
    ok: false,
    problems: [{ field, reason }],
  });

  return {
    collections,
    settings,
    module: (name) => collections[name],

    async ensureIndexes() {
      for (const c of [...Object.values(collections), ...Object.values(settings)]) await c.ensureIndexes();
    },

    async findContactsByNormNames(org, contactType, normNames) {
      if (normNames.length === 0) return [];
      return collections.contacts.findWhere(org, {
        'data.contact_type': z.enum(BOOKS_CONTACT_TYPES).parse(contactType),
        normName: normNames,
      });
    },

    findInvoicesOfCustomer: (org, customerId) =>
      collections.invoices.findWhere(org, { 'data.customer_id': RecordIdSchema.parse(customerId) }),

    async applyCreditNote(org, creditnoteId, credits) {
      const [note] = await liveByIds(collections.creditnotes, org, [creditnoteId]);
      if (!note) return missing('creditnote_id', `no credit note ${creditnoteId}`);
      const invoiceIds = [...new Set(credits.map((c) => c.invoice_id))];
      const invoices = await liveByIds(collections.invoices, org, invoiceIds);
      const applied = applyCredits({
        creditNote: note,
        invoices,
        credits,
        currency: await currencyOfDoc(org, note),
      });
      if (!applied.ok) return applied;
      // The invoices first: they are what the CRM copies read, and a retry writes both again.
      await writeAll(collections.invoices, org, applied.invoices, 'invoice_id');
      await writeAll(collections.creditnotes, org, [applied.creditNote], 'creditnote_id');
      return { ok: true };
    },

    refundCreditNote: (org, refund) =>
      recordOn(collections.creditnotes, org, 'creditnote_id', refund.creditnote_id, (note, currency) => {
        const refunded = refundCreditNote(note, refund, currency);
        return refunded.ok ? { ok: true, doc: refunded.creditNote } : refunded;
      }),

    refundPayment: (org, refund) =>
      recordOn(collections.customerpayments, org, 'payment_id', refund.payment_id, (payment, currency) => {
        const refunded = refundPayment(payment, refund, currency);
        return refunded.ok ? { ok: true, doc: refunded.payment } : refunded;
      }),

    getOrganization: (org) => settings.organization.get(org, org),
    saveOrganization: (doc) => settings.organization.saveMany(doc.organization_id, [doc]),
    listRoles: (org) => settings.roles.list(org),
    saveRoles: (org, roles) => settings.roles.saveMany(org, roles),
    listCurrencies: (org) => settings.currencies.list(org),
    saveCurrencies: (org, currencies) => settings.currencies.saveMany(org, currencies),
    listTaxes: (org) => settings.taxes.list(org),
    saveTaxes: (org, taxes) => settings.taxes.saveMany(org, taxes),
    async listCustomFields(org, module) {
      return settings.customFields.list(org, RecordModuleSchema.parse(module));
    },
    async saveCustomFields(org, module, fields) {
      return settings.customFields.saveMany(org, fields, RecordModuleSchema.parse(module));
    },
  };
}
