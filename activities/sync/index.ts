import { ApplicationFailure } from '@temporalio/activity';
import { ZodError } from 'zod';
import { ErrorType } from '../../domain/errors';
import { FieldMapError } from '../../domain/sync/field-maps';
import { ViewError } from '../../domain/views';
import { createKindSettings } from './context';
import { finishSyncRun } from './finish';
import { prepareSyncRun } from './prepare';
import { runStep } from './step';
import type {
  FinishSyncRunInput,
  FinishSyncRunResult,
  PrepareSyncRunInput,
  PrepareSyncRunResult,
  SyncDeps,
  SyncStepInput,
  SyncStepResult,
} from './types';

export * from './types';

/**
 * The sync activities. Each composes the phases in this folder: context.ts (what a step reads once),
 * window.ts (cursor and delta window), load.ts, decide.ts (the pure deciders of domain/sync/), apply.ts
 * (bulk writes), poison.ts (records that fail alone). The keys are the activity type names.
 */
export function createSyncActivities(deps: SyncDeps) {
  const settings = createKindSettings(deps);
  return {
    /** See prepare.ts. Idempotent on the run id; a refusal is returned, not thrown. */
    prepareSyncRun(input: PrepareSyncRunInput): Promise<PrepareSyncRunResult> {
      return prepareSyncRun(deps, settings, input);
    },

    /**
     * Moves up to `maxRecords` changed records of one step (kind and direction), in chunks: each chunk is read
     * through the delta index, its links and duplicate candidates loaded with one query each, decided by the
     * pure decidePage, and written with one bulk write per collection; then the step's cursor is saved and
     * heartbeated, so a retry resumes after the last finished chunk. Idempotent: created records have ids
     * derived from their source, and a chunk's counts are recorded once.
     */
    async syncStep(input: SyncStepInput): Promise<SyncStepResult> {
      try {
        return await runStep(deps, settings, input);
      } catch (err) {
        // Bad configuration or data that no retry can fix fails the step at once, with its reason.
        if (err instanceof ZodError || err instanceof ViewError || err instanceof FieldMapError)
          throw ApplicationFailure.nonRetryable(err.message, ErrorType.ValidationFailed);
        throw err;
      }
    },

    /** Ends the run's history entry with its totals. Idempotent. */
    finishSyncRun(input: FinishSyncRunInput): Promise<FinishSyncRunResult> {
      return finishSyncRun(deps.syncState, input);
    },
  };
}
