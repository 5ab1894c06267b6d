import { describeRunCounts } from '../../domain/sync/counts';
import type { RunFailureLine } from '../../domain/sync/labels';
import type { SyncStateStore } from '../../stores/sync-state-store';
import { RESULT_FAILURES, type FinishSyncRunInput, type FinishSyncRunResult } from './types';

/** Ends the run's history entry with its totals. Idempotent. */
export async function finishSyncRun(
  state: SyncStateStore,
  input: FinishSyncRunInput,
): Promise<FinishSyncRunResult> {
  const run = await state.finishRun(input.runId, {
    status: input.status,
    ...(input.reason !== undefined && { reason: input.reason }),
  });
  // S9.8: the run's outcome per module in the audit log; the id makes a retried finish append it once.
  const perModule = describeRunCounts(run.counts);
  await state.appendAudit([
    {
      _id: `${input.runId}#finished`,
      at: run.endedTime ?? new Date(),
      actor: { type: 'workflow', id: input.runId },
      integrationId: run.integrationId,
      action: `sync_run.${run.status}`,
      entity: 'sync_run',
      payloadIds: [input.runId],
      outcome: run.status === 'failed' ? 'failure' : 'success',
      detail: [`${run.trigger} run`, ...(run.reason ? [run.reason] : []), ...perModule]
        .join('; ')
        .slice(0, 4000),
    },
  ]);
  const failures =
    run.failureCount > 0
      ? (await state.listFailures(run.integrationId, { runId: input.runId, limit: RESULT_FAILURES })).map(
          (f): RunFailureLine => ({
            module: f.module,
            direction: f.direction,
            recordId: f.recordId,
            field: f.field,
            reason: f.reason,
          }),
        )
      : [];
  return { status: run.status, counts: run.counts, failureCount: run.failureCount, failures };
}
