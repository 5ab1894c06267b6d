import { stableStringify } from '../../domain/hash';
import type { BooksOrgSettings } from '../../domain/finance/posting-checks';
import { pullBack, type PullBackResult } from '../../domain/sync/documents/mapping';
import type { LoadedDocument } from './load';
import { todayOf } from './load';
import type { Data, DocumentDeps } from './types';

/** The CRM copy's fields brought up to its Books document, and whether anything was written. */
export type CrmCopyResult = PullBackResult & { changed: boolean };

/**
 * Brings the CRM copy up to what Books holds (S9.3): status, totals, and for an invoice its balance and paid
 * amount as the customer's payments leave them. Writes only the fields that differ, and only to the version
 * read; a copy changed meanwhile throws (retryable): the retry reads it again. Idempotent.
 */
export async function updateCrmCopy(
  deps: DocumentDeps,
  doc: LoadedDocument,
  books: Data,
  org: BooksOrgSettings,
): Promise<CrmCopyResult> {
  const { integration, record, kind, spec } = doc;
  const customerId = typeof books.customer_id === 'string' ? books.customer_id : undefined;
  const payments =
    kind === 'invoice' && customerId !== undefined
      ? await deps.financeBooks.paymentsOf(integration.booksOrgId, customerId)
      : [];
  const back = pullBack({
    kind,
    crm: record.data,
    books,
    org,
    ...(kind === 'invoice' && {
      settlement: { payments: payments as never[], credits: [], refunds: [], asOf: todayOf(deps) },
    }),
  });
  if (!back.ok) return { ...back, changed: false };
  const data = { ...record.data, ...back.fields };
  if (stableStringify(data) === stableStringify(record.data)) return { ...back, changed: false };
  const written = await deps.crm
    .records(spec.crmModule)
    .patchMany(integration.crmOrgId, [
      { id: record.id, expectedModifiedTime: record.modifiedTime, base: record.data, data },
    ]);
  if (written.stale.length > 0)
    throw new Error(`the CRM ${spec.label} ${record.id} changed while its Books figures were written`);
  return { ...back, changed: written.updated > 0 };
}
