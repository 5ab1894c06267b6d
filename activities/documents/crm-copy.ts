import { stableStringify } from '../../domain/hash';
import { customerPaymentsOf, invoiceRecordsOf } from '../../domain/finance/ledger';
import type { BooksOrgSettings } from '../../domain/finance/posting-checks';
import { changesReceivables } from '../../domain/sync/documents/account-figures';
import { pullBack, type PullBackResult } from '../../domain/sync/documents/mapping';
import { lookupId } from '../../domain/sync/documents/spec';
import { updateAccountReceivables } from './account-receivables';
import type { LoadedDocument } from './load';
import { todayOf } from './load';
import type { Data, DocumentDeps } from './types';

/** The CRM copy's fields brought up to its Books document, and whether anything was written. */
export type CrmCopyResult = PullBackResult & { changed: boolean };

/**
 * Brings the CRM copy up to what Books holds (S9.3): status, totals, and for an invoice its balance and paid
 * amount as the customer's payments, the credits applied to it and refunds leave them; then, when that moved
 * what the invoice owes, its account's receivables (S10.1). Writes only the fields that differ, and only to
 * the version read; a copy changed meanwhile throws (retryable): the retry reads it again. Idempotent.
 */
export async function updateCrmCopy(
  deps: DocumentDeps,
  doc: LoadedDocument,
  books: Data,
  org: BooksOrgSettings,
): Promise<CrmCopyResult> {
  const { integration, record, kind, spec } = doc;
  const customerId = typeof books.customer_id === 'string' ? books.customer_id : undefined;
  const paid =
    kind === 'invoice' && customerId !== undefined
      ? customerPaymentsOf(await deps.financeBooks.paymentsOf(integration.booksOrgId, customerId))
      : undefined;
  if (paid !== undefined && !paid.ok) return { ...paid, status: String(books.status), changed: false };
  const records = paid === undefined ? undefined : invoiceRecordsOf(books, paid);
  if (records !== undefined && !records.ok)
    return { ...records, status: String(books.status), changed: false };
  const back = pullBack({
    kind,
    crm: record.data,
    books,
    org,
    ...(records !== undefined && { settlement: { ...records.records, asOf: todayOf(deps) } }),
  });
  if (!back.ok) return { ...back, changed: false };
  const data = { ...record.data, ...back.fields };
  if (stableStringify(data) === stableStringify(record.data)) return { ...back, changed: false };
  // The account first: the copy's write is what tells a retry the work is done, so a crash between the
  // two leaves the copy behind and the retry writes both.
  const accountId = lookupId(record.data[spec.partyField]);
  if (
    paid?.ok &&
    customerId !== undefined &&
    accountId !== undefined &&
    changesReceivables(record.data, data)
  )
    await updateAccountReceivables(deps, { integration, accountId, customerId, paid, org });
  const written = await deps.crm
    .records(spec.crmModule)
    .patchMany(integration.crmOrgId, [
      { id: record.id, expectedModifiedTime: record.modifiedTime, base: record.data, data },
    ]);
  if (written.stale.length > 0)
    throw new Error(`the CRM ${spec.label} ${record.id} changed while its Books figures were written`);
  return { ...back, changed: written.updated > 0 };
}
