import type { FinanceKind } from '../../finance/documents';
import { contentHash } from '../../hash';
import { settleInvoice, type InvoiceSettlementInput } from '../../finance/payments';
import { checkBeforePosting, currencyOf, type BooksOrgSettings } from '../../finance/posting-checks';
import { checkTransition } from '../../finance/states';
import { compareAmounts, minorToNumber, type CurrencyLike, type InvoiceTotals } from '../../money';
import type { FieldProblem } from '../../validation';
import { booksAttributionOf } from '../../users/attribution';
import { customFieldsToBooks, customFieldsToCrm } from './custom-fields';
import { documentSpecOf } from './index';
import { lookupId, lookupName, textOf, type Data, type DocumentSpec } from './spec';

/*
 * A CRM finance document as the Books document it becomes (S4.1), and the Books figures that come back to
 * the CRM copy (S9.3). Pure: the activity reads the links, the org's settings and the payments, and writes
 * what this decides. Totals are never taken from the CRM: they are computed exactly (finance/totals.ts) by
 * the Books org's currency and tax settings, and a document the org cannot take is refused before posting
 * with its field and reason (finance/posting-checks.ts), to be fixed and reprocessed.
 */

/** A record the document needs in Books before it can be posted: its customer or vendor, or an item. */
export interface DocumentDependency {
  crmModule: 'Accounts' | 'Vendors' | 'Products';
  crmId: string;
  /** The CRM field naming it, for the reason when it cannot be synced. */
  field: string;
}

export type DependenciesResult =
  | { ok: true; party: DocumentDependency; items: DocumentDependency[] }
  | { ok: false; problems: FieldProblem[] };

/** The CRM lines of a document (its subform), or none. */
function linesOf(spec: DocumentSpec, crm: Data): Data[] {
  const lines = crm[spec.linesField];
  return Array.isArray(lines) ? (lines as Data[]) : [];
}

/** What a document needs in Books first: its customer (the CRM account) or vendor, and each line's item. */
export function documentDependencies(kind: FinanceKind, crm: Data): DependenciesResult {
  const spec = documentSpecOf(kind);
  const problems: FieldProblem[] = [];
  const partyId = lookupId(crm[spec.partyField]);
  if (partyId === undefined)
    problems.push({ field: spec.partyField, reason: `a ${spec.label} needs its ${spec.party}` });
  const lines = linesOf(spec, crm);
  if (lines.length === 0)
    problems.push({ field: spec.linesField, reason: `a ${spec.label} needs at least one line` });
  const items = lines.flatMap((line, index): DocumentDependency[] => {
    const productId = lookupId(line.Product_Name);
    if (productId !== undefined)
      return [{ crmModule: 'Products', crmId: productId, field: `${spec.linesField}.${index}.Product_Name` }];
    problems.push({ field: `${spec.linesField}.${index}.Product_Name`, reason: 'the line names no product' });
    return [];
  });
  if (problems.length > 0 || partyId === undefined) return { ok: false, problems };
  const partyModule = spec.party === 'vendor' ? 'Vendors' : 'Accounts';
  return { ok: true, party: { crmModule: partyModule, crmId: partyId, field: spec.partyField }, items };
}

/** The Books ids of what a document needs, where they are linked. */
export interface DocumentLinks {
  /** The Books contact id of its customer or vendor. */
  party?: string | undefined;
  /** CRM product id -> Books item id. */
  items: Readonly<Record<string, string>>;
}

export interface BooksDocumentInput {
  kind: FinanceKind;
  crm: Data;
  /** The Books document's id, derived from the CRM id (spec.ts createdRecordId). */
  booksId: string;
  links: DocumentLinks;
  org: BooksOrgSettings;
  /** YYYY-MM-DD: the document's date when the CRM gives none and it has no creation time. */
  today: string;
}

export type BooksDocumentResult =
  | { ok: true; books: Data; totals: InvoiceTotals; currency: CurrencyLike }
  | { ok: false; problems: FieldProblem[] };

/**
 * The Books document a CRM document becomes, as a draft, with its exact totals. Refused with every problem
 * at once: a dependency not linked in Books (it could not be synced first), a line tax the org does not
 * have, or what the posting checks refuse (a currency the org has not enabled, mixed discounts).
 */
export function toBooksDocument(input: BooksDocumentInput): BooksDocumentResult {
  const spec = documentSpecOf(input.kind);
  const { crm, links, org } = input;
  const problems: FieldProblem[] = [];
  if (links.party === undefined)
    problems.push({
      field: spec.partyField,
      reason: `its ${spec.party} is not in Books and could not be synced`,
    });
  const lines = linesOf(spec, crm).map((line, index) => booksLine(spec, line, index, links, org, problems));
  const lineDiscounted = lines.some((line) => line.discount !== undefined);
  const books = {
    [spec.booksIdKey]: input.booksId,
    [spec.booksNumberKey]: textOf(crm[spec.numberField]) ?? `CRM-${String(crm.id)}`,
    status: 'draft',
    ...partyFields(spec, crm, links.party),
    date: documentDate(spec, crm, input.today),
    ...datesOf(spec, crm),
    ...(textOf(crm.Currency) !== undefined && { currency_code: crm.Currency }),
    ...(typeof crm.Exchange_Rate === 'number' && { exchange_rate: crm.Exchange_Rate }),
    line_items: lines,
    discount_type: lineDiscounted ? 'item_level' : 'entity_level',
    ...(positive(crm.Discount) && { discount: crm.Discount }),
    ...(typeof crm.Adjustment === 'number' && crm.Adjustment !== 0 && { adjustment: crm.Adjustment }),
    reference_number: textOf(crm.Subject),
    ...(textOf(crm.Terms_and_Conditions) !== undefined && { terms: crm.Terms_and_Conditions }),
    ...(textOf(crm.Description) !== undefined && { notes: crm.Description }),
    ...(spec.party === 'customer' && dealOf(crm)),
    custom_fields: customFieldsToBooks(crm),
    ...booksAttributionOf(crm),
  };
  if (problems.length > 0) return { ok: false, problems };
  const checked = checkBeforePosting(books, org);
  if (!checked.ok) return { ok: false, problems: checked.problems };
  const currency = checked.settings.currency;
  const amounts = {
    sub_total: minorToNumber(checked.totals.sub_total, currency),
    tax_total: minorToNumber(checked.totals.tax_total, currency),
    total: minorToNumber(checked.totals.total, currency),
    ...(spec.kind === 'invoice' && {
      balance: minorToNumber(checked.totals.total, currency),
      payment_made: 0,
    }),
  };
  return { ok: true, books: { ...withoutUndefined(books), ...amounts }, totals: checked.totals, currency };
}

/** One CRM line as a Books line: its item by link, rate, quantity, discount and the org's tax of its rate. */
function booksLine(
  spec: DocumentSpec,
  line: Data,
  index: number,
  links: DocumentLinks,
  org: BooksOrgSettings,
  problems: FieldProblem[],
): Data {
  const field = `${spec.linesField}.${index}`;
  const productId = lookupId(line.Product_Name);
  const itemId = productId === undefined ? undefined : links.items[productId];
  if (productId !== undefined && itemId === undefined)
    problems.push({
      field: `${field}.Product_Name`,
      reason: 'its product is not in Books and could not be synced',
    });
  return withoutUndefined({
    item_id: itemId,
    name: lookupName(line.Product_Name),
    description: textOf(line.Description),
    rate: typeof line.List_Price === 'number' ? line.List_Price : 0,
    quantity: line.Quantity,
    discount: positive(line.Discount) ? line.Discount : undefined,
    ...lineTax(line.Tax, org, `${field}.Tax`, problems),
  });
}

/**
 * A CRM line's tax is its rate in percent; Books names a tax by id, so the rate must be one of the org's
 * taxes (S9.6: a tax the org does not have is refused before posting).
 */
function lineTax(rate: unknown, org: BooksOrgSettings, field: string, problems: FieldProblem[]): Data {
  if (!positive(rate)) return {};
  const tax = org.taxes.find((t) => compareAmounts(t.tax_percentage, rate) === 0);
  if (tax === undefined) {
    const known = org.taxes.map((t) => `${t.tax_name} ${t.tax_percentage}%`).join(', ') || 'none';
    problems.push({ field, reason: `the Books organization has no tax of ${rate}% (it has: ${known})` });
    return {};
  }
  return { tax_id: tax.tax_id, tax_percentage: tax.tax_percentage };
}

function partyFields(spec: DocumentSpec, crm: Data, partyId: string | undefined): Data {
  const name = lookupName(crm[spec.partyField]);
  return spec.party === 'vendor'
    ? { vendor_id: partyId, vendor_name: name }
    : { customer_id: partyId, customer_name: name };
}

/** The document's date: its own field, else the day it was created in the CRM, else today. */
function documentDate(spec: DocumentSpec, crm: Data, today: string): string {
  const own = spec.dateField === undefined ? undefined : textOf(crm[spec.dateField]);
  return own ?? textOf(crm.Created_Time)?.slice(0, 10) ?? today;
}

function datesOf(spec: DocumentSpec, crm: Data): Data {
  return Object.fromEntries(
    spec.dateMaps.flatMap((m) => (textOf(crm[m.crm]) ? [[m.books, crm[m.crm]]] : [])),
  );
}

/** The deal a sales document came from (S4.3 shows it on the Books side). */
function dealOf(crm: Data): Data {
  const id = lookupId(crm.Deal_Name);
  return id === undefined ? {} : { zcrm_potential_id: id, zcrm_potential_name: lookupName(crm.Deal_Name) };
}

const positive = (v: unknown): v is number => typeof v === 'number' && v > 0;

function withoutUndefined(data: Data): Data {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
}

// ---------------------------------------------------------------------------------------------------------
// Books -> CRM

export interface PullBackInput {
  kind: FinanceKind;
  /** The CRM copy as it is. */
  crm: Data;
  /** The Books document as it is. */
  books: Data;
  org: BooksOrgSettings;
  /** An invoice's payments, credits and refunds, and the day its status is judged on; invoices only. */
  settlement?: Omit<InvoiceSettlementInput, 'invoice' | 'currency'>;
}

export type PullBackResult =
  { ok: true; status: string; fields: Data } | { ok: false; problems: FieldProblem[]; status: string };

/**
 * The CRM fields pullBack writes: Books owns them, so a change of theirs alone is no CRM change. The custom
 * fields it writes are not among them: the CRM sets those too (they go to Books while it holds a draft), so
 * a change of theirs is pushed; a copy of Books' own values pushes nothing new.
 */
export const PULL_BACK_FIELDS = [
  'Books_Id',
  'Status',
  'Sub_Total',
  'Tax',
  'Grand_Total',
  'Balance',
  'Payment_Made',
] as const;

/**
 * The hash of what the CRM says of a document, its Books figures and modified time left out: stored on the
 * link at each push, so the poller knows a CRM write that changed only those (the pull-back's own write) from
 * a change to push again.
 */
export function crmSideHash(crm: Data): string {
  const ignored = new Set<string>([...PULL_BACK_FIELDS, 'Modified_Time']);
  return contentHash(Object.fromEntries(Object.entries(crm).filter(([key]) => !ignored.has(key))));
}

/**
 * What the CRM copy shows of its Books document (S9.3): Books id, status, totals, its custom fields (S4.2,
 * custom-fields.ts), and for an invoice its balance and paid amount as its payments leave them
 * (finance/payments.ts). A status change the lifecycle
 * refuses (a paid invoice voided) is refused with its reason and nothing is written.
 */
export function pullBack(input: PullBackInput): PullBackResult {
  const spec = documentSpecOf(input.kind);
  const { books, crm } = input;
  const code = textOf(books.currency_code) ?? input.org.organization.currency_code;
  const currency = currencyOf(input.org, code) ?? code;
  let status = String(books.status);
  const extra: Data = {};
  if (input.kind === 'invoice' && input.settlement !== undefined) {
    const settled = settleInvoice({
      ...input.settlement,
      invoice: books as InvoiceSettlementInput['invoice'],
      currency,
    });
    if (!settled.ok) return { ok: false, problems: settled.problems, status };
    status = settled.status;
    extra.Balance = minorToNumber(settled.balance, currency);
    extra.Payment_Made = minorToNumber(settled.payment_made, currency);
  }
  const before = textOf(crm.Status);
  if (before !== undefined) {
    const change = checkTransition({ kind: input.kind, from: before, to: status });
    if (!change.allowed)
      return { ok: false, problems: [{ field: change.field, reason: change.reason }], status };
  }
  return {
    ok: true,
    status,
    fields: {
      Books_Id: books[spec.booksIdKey],
      Status: status,
      ...(typeof books.sub_total === 'number' && { Sub_Total: books.sub_total }),
      ...(typeof books.tax_total === 'number' && { Tax: books.tax_total }),
      ...(typeof books.total === 'number' && { Grand_Total: books.total }),
      ...customFieldsToCrm(books),
      ...extra,
    },
  };
}
