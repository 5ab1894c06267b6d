import { ApplicationFailure, Context } from '@temporalio/activity';
import { ErrorType } from '../domain/errors';
import type { DiagnosticsStore } from '../stores/diagnostics-store';

export interface RecordWiringCheckInput {
  checkId: string;
  round: number;
}

export interface RecordWiringCheckResult {
  checkId: string;
  round: number;
  /** ISO time of the first write of this round (a retry keeps it). */
  writtenAt: string;
  roundTripMs: number;
  serverVersion: string;
}

export function createWiringActivities(deps: { diagnostics: DiagnosticsStore }) {
  return {
    /**
     * Writes one round of the wiring check to the sync-state store and reads it back. Idempotent (upsert on
     * a key of check and round). A read-back that differs is a non-retryable StoreMismatch; connection
     * errors are thrown as they are, for Temporal to retry.
     */
    async recordWiringCheck(input: RecordWiringCheckInput): Promise<RecordWiringCheckResult> {
      const started = Date.now();
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? 'standalone';
      await deps.diagnostics.recordWiringCheck({ ...input, workflowId });
      const stored = await deps.diagnostics.findWiringCheck(input.checkId, input.round);
      if (!stored || stored.workflowId !== workflowId) {
        throw ApplicationFailure.nonRetryable(
          `wiring check ${input.checkId} round ${input.round} did not read back what was written`,
          ErrorType.StoreMismatch,
        );
      }
      return {
        checkId: input.checkId,
        round: input.round,
        writtenAt: stored.writtenAt.toISOString(),
        roundTripMs: Date.now() - started,
        serverVersion: await deps.diagnostics.serverVersion(),
      };
    },
  };
}
