import { Context } from '@temporalio/activity';
import { DOCUMENT_MODULES, type CrmFinanceModule } from '../../domain/sync/documents';
import {
  DOCUMENT_CHANGED_SIGNAL,
  DOCUMENT_SYNC_WORKFLOW,
  documentStart,
} from '../../domain/sync/documents/workflow-start';
import type { DeltaCursor, IntegrationDoc } from '../../domain/sync-state-schemas';
import { compareCursors, settledBoundary, settledCursor } from '../../stores/delta';
import { positionOf } from '../../stores/record-collection';
import type { DocumentDeps } from './types';

/*
 * The poller's one activity (S4.1: documents written straight into the CRM store, or whose change was missed
 * by a crash, reach their workflow at most a poll interval late). It reads each finance module's delta index
 * from its saved cursor; the cursor is saved never past the settled boundary (stores/delta.ts), so a write
 * committing during the read is read again next time, and `seenThrough` keeps the records read already from
 * being signalled twice.
 */

export interface PollDocumentChangesInput {
  integrationId: string;
  /** Records read per module per poll at most; the rest wait for the next poll. */
  limit?: number;
}

export interface PollDocumentChangesResult {
  /** The integration is gone, disabled, or has transaction sync off: the poller ends. */
  stop: boolean;
  signalled: number;
}

const PAGE = 1000;
const DEFAULT_LIMIT = 10_000;

/** The cursor key of a finance module's poller (sync cursors are keyed by kind: no clash). */
const cursorModule = (module: CrmFinanceModule) => `txn_${module.toLowerCase()}`;

/** Signals (with start) the workflow of every CRM finance document changed since the last poll. Idempotent. */
export async function pollDocumentChanges(
  deps: DocumentDeps,
  input: PollDocumentChangesInput,
): Promise<PollDocumentChangesResult> {
  const integration = await deps.syncState.getIntegration(input.integrationId);
  if (!integration || integration.status === 'disabled' || !integration.config.transactionSync)
    return { stop: true, signalled: 0 };
  if (integration.status !== 'active') return { stop: false, signalled: 0 };
  let signalled = 0;
  for (const module of DOCUMENT_MODULES)
    signalled += await pollModule(deps, integration, module, input.limit ?? DEFAULT_LIMIT);
  return { stop: false, signalled };
}

async function pollModule(
  deps: DocumentDeps,
  integration: IntegrationDoc,
  module: CrmFinanceModule,
  limit: number,
): Promise<number> {
  const ctx = Context.current();
  const state = deps.syncState;
  const saved = await state.getCursorState(integration._id, cursorModule(module), 'crm_to_books');
  const from = saved?.cursor ?? null;
  const seen = saved?.seenThrough ?? null;
  const settledBefore = settledBoundary(deps.now?.() ?? new Date());
  const records = deps.crm.records(module);
  let cursor: DeltaCursor | null = from;
  let read = 0;
  let signalled = 0;
  while (read < limit) {
    const page = await records.findChangedSince(integration.crmOrgId, cursor, Math.min(PAGE, limit - read));
    for (const record of page.records) {
      // Read by an earlier poll (after the settled cursor it saved): signalled then.
      if (record.deleted || (seen !== null && compareCursors(positionOf(record), seen) <= 0)) continue;
      const start = documentStart(integration, module, record.id);
      await ctx.client.workflow.signalWithStart(DOCUMENT_SYNC_WORKFLOW, {
        workflowId: start.workflowId,
        taskQueue: ctx.info.taskQueue,
        args: start.args,
        signal: DOCUMENT_CHANGED_SIGNAL,
        signalArgs: [{ source: 'poller' }],
        searchAttributes: start.searchAttributes,
      });
      signalled++;
    }
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
      'crm_to_books',
      settled,
      through !== null && compareCursors(through, settled) > 0 ? through : undefined,
    );
  }
  return signalled;
}
