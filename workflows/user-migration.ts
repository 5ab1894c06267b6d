import {
  type ActivityOptions,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  batchProblem,
  migrationDetails,
  progressOf,
  slicesOf,
  windowSizeOf,
  windowSummary,
  type MigrationProgress,
  type MigrationStatus,
  type UserOutcome,
} from '../domain/users/migration';
import {
  pauseMigrationSignal,
  resumeMigrationSignal,
  userMigrationProgressQuery,
} from './user-migration-messages';
import { orgTurnOf } from './user-migration-turns';

/** Batches of one org take turns (workflows/user-migration-turns.ts); histories from before replay without. */
const TAKES_TURNS = 'user-migration-org-turns';

export interface UserMigrationInput {
  crmOrgId: string;
  booksOrgId: string;
  batchId: string;
  /** CRM user ids, at most 1,000 (MAX_BATCH_USERS); a repeated id counts once. */
  userIds: string[];
  /** Who asked for the batch: the admin, or the org's migration window (audit). */
  actorId: string;
  /** Users per window (default 200, kept within 10..1,000). */
  windowSize?: number;
}

/** How the batch ended: its progress with every user's outcome. */
export type UserMigrationResult = MigrationProgress;

const RETRY = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;

const WINDOW_OPTIONS: ActivityOptions = {
  // A window of up to 1,000 users: two reads and at most 20 inserts of 50, seconds even on FerretDB.
  startToCloseTimeout: '10 minutes',
  // The activity heartbeats once the org is read and after each command of 50 (each a second or two at
  // most, even on FerretDB): a worker killed mid-window is noticed within 15 s, and the retry converges on
  // the same users (insert-if-absent by derived id).
  heartbeatTimeout: '15 seconds',
  retry: RETRY,
};

const { recordUserMigration } = proxyActivities<Activities>({
  // One audit append.
  startToCloseTimeout: '1 minute',
  retry: RETRY,
});

/** A migrateUsersWindow call whose summary in the Temporal UI says which users it takes. */
function migrateWindowNamed(summary: string) {
  return proxyActivities<Activities>({ ...WINDOW_OPTIONS, summary }).migrateUsersWindow;
}

/** Keeps the status search attribute current when the batch was started with it (the API does). */
function labelStatus(status: MigrationStatus): void {
  if (workflowInfo().searchAttributes?.SyncStatus === undefined) return;
  upsertSearchAttributes({ SyncStatus: [status] });
}

/**
 * Moves up to 1,000 of an integration's users to integration users (S6.5), window after window: each window
 * is one bulk activity (read once, decide in domain/users, insert in commands of 50), so the history holds
 * about 6 events per window whatever the window's size. Pause lets the window in flight finish and waits
 * for resume; cancel does the same and then stops, so every user is either decided with an outcome or
 * untouched, and the batch's end is audited. A user who cannot be migrated is an outcome with its reason;
 * the batch goes on. Idempotent: re-running a batch finds its users already migrated and writes nothing.
 */
export async function userMigrationWorkflow(input: UserMigrationInput): Promise<UserMigrationResult> {
  const problem = batchProblem(input.userIds);
  if (problem) throw ApplicationFailure.nonRetryable(problem, 'BatchRefused');
  const userIds = [...new Set(input.userIds)];
  const windows = slicesOf(userIds, windowSizeOf(input.windowSize));
  const outcomes: UserOutcome[] = [];
  let status: MigrationStatus = 'running';
  let windowsDone = 0;
  let pauseRequested = false;
  const progress = () =>
    progressOf({ ...input, status, total: userIds.length, windows: windows.length, windowsDone, outcomes });
  const show = (next: MigrationStatus) => {
    if (next !== status) labelStatus(next);
    status = next;
    setCurrentDetails(migrationDetails(progress()));
  };
  setHandler(userMigrationProgressQuery, progress);
  const orgTurn = orgTurnOf(input.booksOrgId);
  const takesTurns = patched(TAKES_TURNS);
  setHandler(pauseMigrationSignal, () => {
    pauseRequested = true;
  });
  setHandler(resumeMigrationSignal, () => {
    pauseRequested = false;
  });
  show('running');

  try {
    if (takesTurns) await orgTurn.take();
    let first = 0;
    for (const window of windows) {
      if (pauseRequested) {
        // A paused batch lets the org's other batches run meanwhile.
        if (takesTurns) await CancellationScope.nonCancellable(() => orgTurn.giveBack());
        show('paused');
        await condition(() => !pauseRequested);
        show('running');
        if (takesTurns) await orgTurn.take();
      }
      if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('batch cancelled');
      // Not cancellable: a cancel lets the window in flight finish, so its users all have their outcome.
      const result = await CancellationScope.nonCancellable(() =>
        migrateWindowNamed(windowSummary(first, window.length, userIds.length))({
          crmOrgId: input.crmOrgId,
          booksOrgId: input.booksOrgId,
          batchId: input.batchId,
          userIds: window,
          actorId: input.actorId,
        }),
      );
      outcomes.push(...result.outcomes);
      windowsDone++;
      first += window.length;
      show(status);
    }
    return await finish('completed');
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await finish('cancelled');
    throw err;
  }

  /** Audits how the batch ended (even once cancelled) and shows it. */
  async function finish(end: 'completed' | 'cancelled'): Promise<MigrationProgress> {
    if (takesTurns) await CancellationScope.nonCancellable(() => orgTurn.giveBack());
    const p = { ...progress(), status: end };
    const { booksOrgId, batchId, done, failed, remaining } = p;
    await CancellationScope.nonCancellable(() =>
      recordUserMigration({
        booksOrgId,
        batchId,
        status: end,
        done,
        failed,
        remaining,
        actorId: input.actorId,
      }),
    );
    show(end);
    return p;
  }
}
