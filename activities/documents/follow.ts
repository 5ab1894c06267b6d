import { selfChangeAt } from '../../domain/finance/payments';
import { isFinalStatus } from '../../domain/finance/states';
import { updateCrmCopy } from './crm-copy';
import { loadDocument, recordRefusal } from './load';
import type { DocumentDeps, FollowDocumentInput, FollowDocumentResult } from './types';

/**
 * Reads the Books document and brings its status, totals, balance and payments to the CRM copy. A change the
 * lifecycle refuses (a paid invoice voided) is recorded as the document's failure with its reason and not
 * written. Idempotent: the copy is written only when something differs.
 */
export async function followDocument(
  deps: DocumentDeps,
  input: FollowDocumentInput,
): Promise<FollowDocumentResult> {
  const loaded = await loadDocument(deps, input);
  if (!loaded.ok) return { ok: false, status: 'unknown', problems: loaded.problems };
  const doc = loaded.doc;
  const { integration, spec } = doc;
  const [books] = await deps.financeBooks
    .records(spec.booksModule)
    .findByIds(integration.booksOrgId, [input.booksId]);
  if (!books || books.deleted)
    return {
      ok: false,
      status: 'deleted',
      problems: [
        { field: '(record)', reason: `the Books ${spec.booksModule} record ${input.booksId} was deleted` },
      ],
    };
  const org = await deps.financeBooks.orgSettings(integration.booksOrgId);
  if (!org)
    return { ok: false, status: 'unknown', problems: [{ field: '(integration)', reason: 'no Books org' }] };
  const copy = await updateCrmCopy(deps, doc, books.data, org);
  if (!copy.ok) {
    await recordRefusal(deps, input, spec, copy.problems, books.data);
    return { ok: false, status: copy.status, problems: copy.problems };
  }
  return {
    ok: true,
    status: copy.status,
    final: isFinalStatus(doc.kind, copy.status),
    changed: copy.changed,
    followAt: selfChangeAt(doc.kind, { ...books.data, status: copy.status }),
  };
}
