import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { MigrationProgress } from '../domain/users/migration';
import { MIGRATION_TURNS, type TurnRequest } from '../domain/users/migration-turns';

/*
 * The user-migration workflows' signals and queries, shared by the workflows and the client. Kept beside
 * messages.ts rather than in it while that file is being restructured; the lead may fold them in.
 */

/** Pause the batch: the window in flight finishes, the next one waits for resume. */
export const pauseMigrationSignal = defineSignal('pauseUserMigration');
export const resumeMigrationSignal = defineSignal('resumeUserMigration');
/** Done, failed, remaining, and each handled user's outcome with the reason of a failure. */
export const userMigrationProgressQuery = defineQuery<MigrationProgress>('userMigrationProgress');

export interface MigrationWindowState {
  booksOrgId: string;
  /** ISO times: when the window started and when it ends (or ended early, on the admin's request). */
  startedAt: string;
  endsAt: string;
  phase: 'waiting' | 'finding_users' | 'migrating' | 'finished';
  /** The finance users found once the window closed, and the batches started for them. */
  financeUsers: number;
  batches: string[];
}

/** Ends the 3-month window now: the finance users of the window so far are migrated at once. */
export const migrateNowSignal = defineSignal('migrateUsersNow');
export const migrationWindowQuery = defineQuery<MigrationWindowState>('migrationWindow');

/** To the org's turns workflow: this batch asks for the org (sent with signal-with-start by an activity). */
export const requestMigrationTurnSignal = defineSignal<[TurnRequest]>(MIGRATION_TURNS.requestSignal);
/** To the org's turns workflow: this batch gives the org back, or no longer waits for it. */
export const releaseMigrationTurnSignal = defineSignal<[{ workflowId: string }]>(
  MIGRATION_TURNS.releaseSignal,
);
/** To a batch: the org is its for this turn (sent again when another batch gets in line: a check it still runs). */
export const migrationTurnGrantedSignal = defineSignal<[{ turn: number }]>(MIGRATION_TURNS.grantedSignal);
