import { Context } from '@temporalio/activity';
import { DOCUMENT_SPECS, type DocumentSpec } from '../../domain/sync/documents';
import {
  booksIdsToCheck,
  copiesToRestore,
  type CopiesToRestore,
  type RestoreLeftOut,
  type RestoreLink,
} from '../../domain/sync/documents/restore';
import type { DeltaCursor, IntegrationDoc } from '../../domain/sync-state-schemas';
import { activeTransactionSync } from './poller-start';
import type { DocumentDeps } from './types';

/*
 * The re-enable's part of S4.4: the CRM finance copies a disable deleted come back from their links, under
 * their own CRM ids. Per document type, three phases: load (the links, then the CRM copies and the Books
 * documents, one read per collection), decide (domain/sync/documents/restore.ts), apply (one bulk write per
 * batch; the store keeps to the server's limits: inserts first, at most its updates per command).
 */

export interface RestoreCrmCopiesInput {
  integrationId: string;
}

export interface RestoreCrmCopiesResult {
  /** Copies written back. */
  restored: number;
  /** Why nothing was read: the integration is not active, or transaction sync is off. */
  skipped?: string;
  /** Linked documents that got no copy back, by reason. */
  leftOut?: Partial<Record<RestoreLeftOut, number>>;
}

/** Links read per page: a page is one query per link collection. */
const LINK_PAGE = 10_000;
/** Ids per read: the stores' limit on an id list. */
const READ_LIST = 100_000;
/**
 * Copies per write, with a heartbeat between: writing a copy back is an update of a stored record, about
 * 50 ms each on FerretDB v1 (300 in 15 s, as long as the disable took to mark them), so 200 beat every 10 s
 * or so, well inside the poller's one-minute heartbeat timeout. A restore longer than its five-minute
 * timeout is retried and goes on where it stopped: the copies written are live and skipped.
 */
const WRITE_BATCH = 200;

/**
 * Writes back the CRM copy of every linked document whose copy is deleted and whose Books document still
 * exists (S4.4). Idempotent: live copies are not written, so a second re-enable or a retry writes nothing.
 * Fails with the stores' errors (retryable).
 */
export async function restoreCrmCopies(
  deps: DocumentDeps,
  input: RestoreCrmCopiesInput,
): Promise<RestoreCrmCopiesResult> {
  const { integration, skipped } = await activeTransactionSync(deps, input.integrationId);
  if (!integration) return { restored: 0, skipped };
  let restored = 0;
  const leftOut: Partial<Record<RestoreLeftOut, number>> = {};
  for (const spec of Object.values(DOCUMENT_SPECS)) {
    const decided = await decideModule(deps, integration, spec);
    restored += await writeCopies(deps, integration, spec, decided.restore);
    for (const [reason, n] of Object.entries(decided.leftOut) as [RestoreLeftOut, number][])
      leftOut[reason] = (leftOut[reason] ?? 0) + n;
  }
  return { restored, ...(Object.keys(leftOut).length > 0 && { leftOut }) };
}

/** Load and decide for one document type: its links, its CRM copies, and the Books documents of the gone. */
async function decideModule(
  deps: DocumentDeps,
  integration: IntegrationDoc,
  spec: DocumentSpec,
): Promise<CopiesToRestore> {
  const links = await linksOf(deps, integration, spec);
  if (links.length === 0) return { restore: [], leftOut: {} };
  const crm = await readByIds(
    links.map((l) => l.crmId),
    (ids) => deps.crm.records(spec.crmModule).findByIds(integration.crmOrgId, ids),
  );
  const booksIds = booksIdsToCheck(links, crm);
  // Every copy live (the usual case, and a second re-enable): Books is not read at all.
  if (booksIds.length === 0) return { restore: [], leftOut: {} };
  const books = await readByIds(booksIds, (ids) =>
    deps.financeBooks.records(spec.booksModule).findByIds(integration.booksOrgId, ids),
  );
  return copiesToRestore(links, crm, books);
}

/** Every link of the document type, page by page over its collection. */
async function linksOf(
  deps: DocumentDeps,
  integration: IntegrationDoc,
  spec: DocumentSpec,
): Promise<RestoreLink[]> {
  const links: RestoreLink[] = [];
  let after: DeltaCursor | null = null;
  for (;;) {
    const page = await deps.syncState.findLinksChangedSince(integration._id, {
      after,
      limit: LINK_PAGE,
      entities: [spec.kind],
    });
    for (const link of page.docs)
      if (link.crmModule === spec.crmModule)
        links.push({ crmId: link.crmId, booksId: link.booksId, deletedIn: link.deletedIn });
    Context.current().heartbeat();
    if (page.next === null) return links;
    after = page.next;
  }
}

/** The records of these ids, read in lists the store takes. */
async function readByIds<T>(ids: readonly string[], read: (ids: string[]) => Promise<T[]>): Promise<T[]> {
  const unique = [...new Set(ids)];
  const found: T[] = [];
  for (let i = 0; i < unique.length; i += READ_LIST)
    found.push(...(await read(unique.slice(i, i + READ_LIST))));
  return found;
}

/** Writes the copies back (undeleted, same id and sync key); returns how many were written. */
async function writeCopies(
  deps: DocumentDeps,
  integration: IntegrationDoc,
  spec: DocumentSpec,
  copies: CopiesToRestore['restore'],
): Promise<number> {
  let written = 0;
  for (let i = 0; i < copies.length; i += WRITE_BATCH) {
    const result = await deps.crm
      .records(spec.crmModule)
      .upsertMany(integration.crmOrgId, copies.slice(i, i + WRITE_BATCH));
    written += result.inserted + result.updated;
    Context.current().heartbeat();
  }
  return written;
}
