import { condition, executeChild, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { userMigrationWorkflowId } from '../domain/ids';
import { MAX_BATCH_USERS, migrationWindowEnd, slicesOf } from '../domain/users/migration';
import { userMigrationWorkflow, type UserMigrationResult } from './user-migration';
import { migrateNowSignal, migrationWindowQuery, type MigrationWindowState } from './user-migration-messages';

export interface MigrationWindowInput {
  crmOrgId: string;
  booksOrgId: string;
  /** The integration whose audit log tells who used the finance modules. */
  integrationId?: string;
  /** ISO time the window starts; the workflow's start by default. */
  startedAt?: string;
  /** Users per window of each batch (see UserMigrationInput). */
  windowSize?: number;
}

export interface MigrationWindowResult {
  endedAt: string;
  financeUsers: number;
  batches: { batchId: string; done: number; failed: number }[];
}

const { findFinanceUsers } = proxyActivities<Activities>({
  // Paged reads of one window's audit entries.
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** "2026-03-07T09:00:00.000Z" → "20260307T090000Z": a batch id safe in a workflow id. */
function compactTime(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * The batch's search attributes (org, status) when this workflow was started with them, i.e. on a server
 * where they are registered; none otherwise (the time-skipping test server).
 */
function batchSearchAttributes() {
  const own = workflowInfo().searchAttributes;
  if (own?.BooksOrg === undefined) return {};
  return { searchAttributes: { BooksOrg: own.BooksOrg, SyncStatus: ['running'] } };
}

/**
 * An org's 3-month migration window (S6.5): a durable timer until the window ends (or the admin's early
 * request), then the CRM users who used the finance modules in it, from the audit log, are migrated to
 * integration users in batches of up to 1,000, each a child userMigrationWorkflow under its own
 * `user-migration/{booksOrg}/{batchId}` id. Users who did not use the finance modules are left as they are.
 * Deterministic; the batches' ids derive from the window's end, so a retried start finds them.
 */
export async function migrationWindowWorkflow(input: MigrationWindowInput): Promise<MigrationWindowResult> {
  const startedAt = input.startedAt ?? workflowInfo().startTime.toISOString();
  let early = false;
  const state: MigrationWindowState = {
    booksOrgId: input.booksOrgId,
    startedAt,
    endsAt: migrationWindowEnd(startedAt),
    phase: 'waiting',
    financeUsers: 0,
    batches: [],
  };
  setHandler(migrationWindowQuery, () => state);
  setHandler(migrateNowSignal, () => {
    early = true;
  });

  await condition(() => early, Math.max(0, Date.parse(state.endsAt) - Date.now()));
  if (early) state.endsAt = new Date().toISOString();

  state.phase = 'finding_users';
  const { userIds } = await findFinanceUsers({
    ...(input.integrationId !== undefined && { integrationId: input.integrationId }),
    from: startedAt,
    to: state.endsAt,
  });
  state.financeUsers = userIds.length;

  state.phase = 'migrating';
  const batches: MigrationWindowResult['batches'] = [];
  for (const [index, users] of slicesOf(userIds, MAX_BATCH_USERS).entries()) {
    const batchId = `auto-${compactTime(state.endsAt)}-${index + 1}`;
    state.batches.push(batchId);
    const done: UserMigrationResult = await executeChild(userMigrationWorkflow, {
      workflowId: userMigrationWorkflowId(input.booksOrgId, batchId),
      ...batchSearchAttributes(),
      args: [
        {
          crmOrgId: input.crmOrgId,
          booksOrgId: input.booksOrgId,
          batchId,
          userIds: users,
          actorId: `migration-window/${input.booksOrgId}`,
          ...(input.windowSize !== undefined && { windowSize: input.windowSize }),
        },
      ],
    });
    batches.push({ batchId, done: done.done, failed: done.failed });
  }
  state.phase = 'finished';
  return { endedAt: state.endsAt, financeUsers: userIds.length, batches };
}
