import type { FinanceKind } from '../../finance/documents';
import { DOCUMENT_SPECS } from '.';
import type { BooksFinanceModule, Data } from './spec';

/*
 * Which synced documents a change in Books concerns (issue 16, S9.3): a Books estimate, sales order, invoice
 * or purchase order concerns itself; a customer payment, the invoices it is applied to; a credit note, the
 * invoice it was raised on and those it credits. The poller reads these modules' delta cursors and wakes the
 * workflows of the CRM documents linked to them, so a payment recorded in Books reaches the CRM copy within
 * a poll even after the document's workflow went quiet.
 */

/** The Books modules whose changes the poller reads. */
export type BooksChangeModule = BooksFinanceModule | 'customerpayments' | 'creditnotes';

export const BOOKS_CHANGE_MODULES: readonly BooksChangeModule[] = [
  ...Object.values(DOCUMENT_SPECS).map((s) => s.booksModule),
  'customerpayments',
  'creditnotes',
];

/** A Books document a change concerns; `itself` when the changed record is that document. */
export interface ConcernedDocument {
  kind: FinanceKind;
  booksId: string;
  itself: boolean;
}

const idIn = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** The invoice ids of a list of `{invoice_id}` parts (a payment's `invoices`, a credit note's credits). */
function invoiceIdsOf(parts: unknown): string[] {
  if (!Array.isArray(parts)) return [];
  return parts.flatMap((part: unknown) =>
    part !== null && typeof part === 'object' ? (idIn((part as Data).invoice_id) ?? []) : [],
  );
}

/** The documents a changed Books record of `module` concerns, each once. Pure. */
export function documentsConcerned(module: BooksChangeModule, id: string, data: Data): ConcernedDocument[] {
  const spec = Object.values(DOCUMENT_SPECS).find((s) => s.booksModule === module);
  if (spec) return [{ kind: spec.kind, booksId: id, itself: true }];
  const invoiceIds =
    module === 'customerpayments'
      ? invoiceIdsOf(data.invoices)
      : [
          ...(idIn(data.invoice_id) ? [data.invoice_id as string] : []),
          ...invoiceIdsOf(data.invoices_credited),
        ];
  return [...new Set(invoiceIds)].map((booksId) => ({ kind: 'invoice' as const, booksId, itself: false }));
}
