import { Context } from '@temporalio/activity';
import { DOCUMENT_MODULES, documentSpecOfModule, type CrmFinanceModule } from '../../domain/sync/documents';
import {
  BOOKS_CHANGE_MODULES,
  documentsConcerned,
  type BooksChangeModule,
} from '../../domain/sync/documents/books-changes';
import { crmSideHash } from '../../domain/sync/documents/mapping';
import {
  DOCUMENT_SYNC_WORKFLOW,
  documentSignalWithStart,
  type DocumentChangeSource,
} from '../../domain/sync/documents/workflow-start';
import type { DeltaCursor, IntegrationDoc, LinkDoc, SyncDirection } from '../../domain/sync-state-schemas';
import { compareCursors, settledBoundary, settledCursor } from '../../stores/delta';
import { positionOf } from '../../stores/record-collection';
import type { RecordCollection, StoredRecord } from '../../stores/record-store';
import type { Data, DocumentDeps } from './types';

/*
 * The poller's one activity. CRM side (S4.1): documents written straight into the CRM store, or whose change
 * was missed by a crash, reach their workflow at most a poll interval late. Books side (S9.3): a payment, a
 * credit note or a status change in Books wakes the workflow of the CRM document linked to it, also after
 * that workflow went quiet. Each module is read from its saved delta cursor, saved never past the settled
 * boundary (stores/delta.ts), so a write committing during the read is read again next time, and
 * `seenThrough` keeps the records read already from being signalled twice.
 */

export interface PollDocumentChangesInput {
  integrationId: string;
  /** Records read per module per poll at most; the rest wait for the next poll. */
  limit?: number;
}

export interface PollDocumentChangesResult {
  /** The integration is gone, disabled, or has transaction sync off: the poller ends. */
  stop: boolean;
  /** Document workflows signalled for a CRM change, and (`booksSignalled`) for a Books change. */
  signalled: number;
  booksSignalled?: number;
  /**
   * Changes left out, by reason: `created_in_books` (a Books document with no CRM document: only CRM-created
   * ones sync, S4.1), `own_write` (the pull-back's write to the CRM copy, or the push's to Books).
   */
  leftOut?: Partial<Record<LeftOutReason, number>>;
}

export type LeftOutReason = 'created_in_books' | 'own_write';

const PAGE = 1000;
const DEFAULT_LIMIT = 10_000;
/** Signals sent at once: enough to hide the round trips, few enough not to crowd the Temporal server. */
const SIGNALS_AT_ONCE = 16;

/** The cursor key of a module's poller (sync cursors are keyed by kind: no clash). */
const cursorModule = (module: string) => `txn_${module.toLowerCase()}`;

/** Signals (with start) the workflow of every finance document changed since the last poll. Idempotent. */
export async function pollDocumentChanges(
  deps: DocumentDeps,
  input: PollDocumentChangesInput,
): Promise<PollDocumentChangesResult> {
  const integration = await deps.syncState.getIntegration(input.integrationId);
  if (!integration || integration.status === 'disabled' || !integration.config.transactionSync)
    return { stop: true, signalled: 0 };
  if (integration.status !== 'active') return { stop: false, signalled: 0 };
  const limit = input.limit ?? DEFAULT_LIMIT;
  const tally = newTally();
  for (const module of DOCUMENT_MODULES)
    await walkDelta(deps, integration, module, 'crm_to_books', deps.crm.records(module), limit, (page) =>
      crmChanges(deps, integration, module, page, tally),
    );
  for (const module of BOOKS_CHANGE_MODULES)
    await walkDelta(
      deps,
      integration,
      `books_${module}`,
      'books_to_crm',
      deps.financeBooks.records(module),
      limit,
      (page) => booksChanges(deps, integration, module, page, tally),
    );
  return {
    stop: false,
    signalled: tally.crm,
    booksSignalled: tally.books,
    ...(Object.keys(tally.leftOut).length > 0 && { leftOut: tally.leftOut }),
  };
}

interface Tally {
  crm: number;
  books: number;
  leftOut: Partial<Record<LeftOutReason, number>>;
}

const newTally = (): Tally => ({ crm: 0, books: 0, leftOut: {} });
const leaveOut = (tally: Tally, reason: LeftOutReason) =>
  (tally.leftOut[reason] = (tally.leftOut[reason] ?? 0) + 1);

/**
 * Reads one module's changes from its saved cursor (`start` when none is saved yet), hands each page's
 * records not seen by an earlier poll to `onPage`, and saves the settled cursor. Also the deals' poll
 * (activities/deals-poll.ts).
 */
export async function walkDelta(
  deps: Pick<DocumentDeps, 'syncState' | 'now'>,
  integration: IntegrationDoc,
  module: string,
  direction: SyncDirection,
  records: RecordCollection<Data>,
  limit: number,
  onPage: (records: StoredRecord<Data>[]) => Promise<void>,
  start: DeltaCursor | null = null,
): Promise<void> {
  const ctx = Context.current();
  const state = deps.syncState;
  const org = direction === 'crm_to_books' ? integration.crmOrgId : integration.booksOrgId;
  const saved = await state.getCursorState(integration._id, cursorModule(module), direction);
  const from = saved?.cursor ?? start;
  const seen = saved?.seenThrough ?? null;
  const settledBefore = settledBoundary(deps.now?.() ?? new Date());
  let cursor: DeltaCursor | null = from;
  let read = 0;
  while (read < limit) {
    const page = await records.findChangedSince(org, cursor, Math.min(PAGE, limit - read));
    // Read by an earlier poll (after the settled cursor it saved): signalled then.
    await onPage(
      page.records.filter((r) => !r.deleted && (seen === null || compareCursors(positionOf(r), seen) > 0)),
    );
    read += page.records.length;
    cursor = page.position ?? cursor;
    ctx.heartbeat();
    if (!page.next) break;
  }
  const settled = settledCursor(cursor, settledBefore, from);
  if (settled) {
    const through = seen !== null && cursor !== null && compareCursors(seen, cursor) > 0 ? seen : cursor;
    await state.saveCursor(
      integration._id,
      cursorModule(module),
      direction,
      settled,
      through !== null && compareCursors(through, settled) > 0 ? through : undefined,
    );
  }
}

/** CRM documents changed: each signalled, unless the change is the pull-back's own write to the copy. */
async function crmChanges(
  deps: DocumentDeps,
  integration: IntegrationDoc,
  module: CrmFinanceModule,
  records: StoredRecord<Data>[],
  tally: Tally,
): Promise<void> {
  if (records.length === 0) return;
  const kind = documentSpecOfModule(module)!.kind;
  const links = await deps.syncState.findLinksByCrmIds(
    integration._id,
    kind,
    records.map((r) => r.id),
  );
  const pushedHash = new Map(links.map((l) => [l.crmId, l.contentHash.crm]));
  const changed = records.filter((r) => {
    const own = pushedHash.get(r.id) === crmSideHash(r.data);
    if (own) leaveOut(tally, 'own_write');
    return !own;
  });
  await signalAll(changed, (r) =>
    signal(integration, module, r.id, 'poller', undefined, r.modifiedTime.toISOString()),
  );
  tally.crm += changed.length;
}

/**
 * Books records changed: the workflows of the CRM documents they concern are woken to read Books back. A
 * Books document with no CRM document (created in Books) is left out and counted; so is the push's own
 * write (the Books document not modified since its link was written).
 */
async function booksChanges(
  deps: DocumentDeps,
  integration: IntegrationDoc,
  module: BooksChangeModule,
  records: StoredRecord<Data>[],
  tally: Tally,
): Promise<void> {
  const concerned = records.flatMap((record) =>
    documentsConcerned(module, record.id, record.data).map((doc) => ({ ...doc, record })),
  );
  const kinds = [...new Set(concerned.map((c) => c.kind))];
  const links = new Map<string, LinkDoc>();
  for (const kind of kinds) {
    const ids = [...new Set(concerned.filter((c) => c.kind === kind).map((c) => c.booksId))];
    for (let i = 0; i < ids.length; i += PAGE)
      for (const link of await deps.syncState.findLinksByBooksIds(
        integration._id,
        kind,
        ids.slice(i, i + PAGE),
      ))
        links.set(`${kind}|${link.booksId}`, link);
  }
  const wake = new Map<string, { link: LinkDoc }>();
  for (const c of concerned) {
    const link = links.get(`${c.kind}|${c.booksId}`);
    if (!link || link.deletedIn !== undefined) leaveOut(tally, 'created_in_books');
    else if (c.itself && c.record.modifiedTime.getTime() <= link.modifiedTime.getTime())
      leaveOut(tally, 'own_write');
    else wake.set(link._id, { link });
  }
  const woken = [...wake.values()];
  await signalAll(woken, ({ link }) =>
    signal(integration, link.crmModule as CrmFinanceModule, link.crmId, 'books', link.booksId),
  );
  tally.books += woken.length;
}

/** Signal-with-start of one document workflow, by names (activities import no workflow code). */
async function signal(
  integration: IntegrationDoc,
  module: CrmFinanceModule,
  crmId: string,
  source: DocumentChangeSource,
  booksId?: string,
  version?: string,
): Promise<void> {
  const ctx = Context.current();
  await ctx.client.workflow.signalWithStart(
    DOCUMENT_SYNC_WORKFLOW,
    documentSignalWithStart(integration, module, crmId, source, ctx.info.taskQueue, booksId, version),
  );
}

/** Runs `send` over every item, SIGNALS_AT_ONCE at a time. */
export async function signalAll<T>(items: readonly T[], send: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += SIGNALS_AT_ONCE)
    await Promise.all(items.slice(i, i + SIGNALS_AT_ONCE).map(send));
}
