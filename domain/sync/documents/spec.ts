import type { FinanceKind, FinanceParty } from '../../finance/documents';

/*
 * What differs between the four finance documents that transaction sync pushes (S4.1): which CRM and Books
 * modules hold them, where the CRM keeps their lines, number and dates, and which Books fields those become.
 * One file per document type fills this in (documents/estimate.ts, …), as kinds/ does for master data;
 * documents/index.ts lists them, and the mapping (mapping.ts) reads nothing else.
 */

export type CrmFinanceModule = 'Quotes' | 'Sales_Orders' | 'Invoices' | 'Purchase_Orders';
export type BooksFinanceModule = 'estimates' | 'salesorders' | 'invoices' | 'purchaseorders';
export type Data = Record<string, unknown>;

export interface DocumentSpec {
  kind: FinanceKind;
  crmModule: CrmFinanceModule;
  booksModule: BooksFinanceModule;
  /** The Books id field (`estimate_id`, …). */
  booksIdKey: string;
  /** The Books number field (`estimate_number`, …): Books requires one. */
  booksNumberKey: string;
  /** Who the document is with: a customer through the CRM account, or a vendor. */
  party: FinanceParty;
  /** The CRM lookup naming the customer or vendor (`Account_Name`, `Vendor_Name`). */
  partyField: 'Account_Name' | 'Vendor_Name';
  /** The CRM subform holding the lines (`Quoted_Items`, …). */
  linesField: string;
  /** The CRM number field (`Quote_Number`, …). */
  numberField: string;
  /** The CRM field holding the document's date, when the module has one. */
  dateField?: string;
  /** Further CRM date fields and the Books fields they become (`Valid_Till` -> `expiry_date`). */
  dateMaps: readonly { crm: string; books: string }[];
  /** What people call it, in reasons ("quote", "purchase order"). */
  label: string;
}

/** The text of a CRM value, or undefined when it is empty. */
export function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The id of a CRM lookup field (`{id, name}`), or undefined when it is empty. */
export function lookupId(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  return textOf((value as { id?: unknown }).id);
}

/** The name of a CRM lookup field, or undefined. */
export function lookupName(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  return textOf((value as { name?: unknown }).name);
}
