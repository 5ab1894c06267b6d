import {
  CancellationScope,
  ContinueAsNew,
  allHandlersFinished,
  condition,
  isCancellation,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { StepWindow } from '../activities/sync';
import { rootCauseMessage } from '../domain/errors';
import { syncRunWorkflowId } from '../domain/ids';
import {
  finishedDetails,
  runningDetails,
  stepActivitySummary,
  type RunFailureLine,
} from '../domain/sync/labels';
import type { SyncStep } from '../domain/sync/plan';
import type { DeltaCursor, RunCountsByModule, RunTrigger } from '../domain/sync-state-schemas';
import { SMALL_STEP, SYNC_STEP } from './activity-options';
import { syncRunProgressQuery, type RunTarget, type SyncRunProgress } from './messages';

export interface SyncRunInput {
  integrationId: string;
  runNumber: number;
  trigger: RunTrigger;
  /** A targeted run (fetch one record, import, reprocess) moves only these records, whatever changed. */
  targets?: RunTarget[];
  /**
   * Records per syncStep activity and per chunk inside it (a chunk is read in at most 50,000). The defaults
   * are the worker's: 5,000 and 5,000, or 50,000 and 50,000 on FerretDB (activities/sync.ts STEP_SIZE).
   */
  maxRecordsPerActivity?: number;
  chunkSize?: number;
  /** Set by continue-as-new: where the previous execution stopped. */
  resume?: {
    steps: SyncStep[];
    stepIndex: number;
    cursor: DeltaCursor | null;
    records: number;
    /** The current step's window (absent in executions continued before it existed). */
    window?: StepWindow;
  };
}

export interface SyncRunResult {
  runId: string;
  status: string;
  reason?: string;
  /** By module, then direction. */
  counts: RunCountsByModule;
  failureCount: number;
  /** The first failures (record, field, reason), at most 20: what the Temporal UI shows of them. */
  failures?: RunFailureLine[];
}

const { prepareSyncRun, finishSyncRun } = proxyActivities<Activities>(SMALL_STEP);

/** A syncStep call whose summary in the Temporal UI names its step and where in it the call starts. */
function syncStepNamed(summary: string) {
  return proxyActivities<Activities>({ ...SYNC_STEP, summary }).syncStep;
}

/**
 * Keeps the run's search attributes current (the step's kind, the final status) when it was started with them
 * (by the integration workflow, where they are registered); a run started without them is left alone.
 */
function label(attributes: { SyncStatus?: string[]; SyncModule?: string[] }): void {
  if (workflowInfo().searchAttributes?.SyncStatus === undefined) return;
  upsertSearchAttributes(attributes);
}

/** Activities per execution before continuing as new, so each execution's history stays well under 2,000 events. */
const ACTIVITIES_PER_EXECUTION = 250;

/**
 * One pass over the configured modules in the seeds' order (S2.2, S3.1): prerequisites (S1.2), then each
 * step paged through bulk activities over the delta cursor, then the history entry's totals (S3.5). Records
 * never pass through the workflow: only cursors and counts do. Deterministic; a refused run ends as a
 * failed run with its reason rather than a failed workflow.
 */
export async function syncRunWorkflow(input: SyncRunInput): Promise<SyncRunResult> {
  const runId = syncRunWorkflowId(input.integrationId, input.runNumber);
  try {
    return await syncRun(input, runId);
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    // Cancelled (the integration was disabled, S4.4) or failed for good (a non-retryable step): the history
    // entry ends as a failed run with the reason, so it never stays "running".
    const reason = isCancellation(err) ? 'cancelled: the integration was disabled' : rootCauseMessage(err);
    const done = await CancellationScope.nonCancellable(() =>
      finishSyncRun({ runId, status: 'failed', reason }),
    );
    label({ SyncStatus: [isCancellation(err) ? 'cancelled' : done.status] });
    setCurrentDetails(finishedDetails({ ...done, reason, failures: done.failures ?? [] }));
    if (isCancellation(err)) throw err;
    return { runId, ...done, reason };
  }
}

async function syncRun(input: SyncRunInput, runId: string): Promise<SyncRunResult> {
  const progress: SyncRunProgress = {
    runId,
    phase: 'preparing',
    step: null,
    stepIndex: input.resume?.stepIndex ?? 0,
    steps: input.resume?.steps.length ?? 0,
    records: input.resume?.records ?? 0,
  };
  setHandler(syncRunProgressQuery, () => progress);

  let steps: SyncStep[];
  let stepIndex: number;
  let cursor: DeltaCursor | null | undefined;
  let stepWindow: StepWindow | undefined;
  if (input.resume) {
    ({ steps, stepIndex, cursor, window: stepWindow } = input.resume);
  } else {
    const prepared = await prepareSyncRun({
      integrationId: input.integrationId,
      runId,
      runNumber: input.runNumber,
      trigger: input.trigger,
      ...(input.targets && { targets: input.targets }),
    });
    if (!prepared.ok) {
      progress.phase = 'finished';
      const done = await finishSyncRun({ runId, status: 'failed', reason: prepared.reason });
      label({ SyncStatus: [done.status] });
      setCurrentDetails(finishedDetails({ ...done, reason: prepared.reason, failures: done.failures ?? [] }));
      return { runId, ...done, reason: prepared.reason };
    }
    steps = prepared.steps;
    stepIndex = 0;
    cursor = undefined;
  }
  progress.steps = steps.length;
  progress.phase = 'syncing';

  let activities = 0;
  for (; stepIndex < steps.length; stepIndex++) {
    const step = steps[stepIndex]!;
    progress.step = step;
    label({ SyncModule: [step.kind] });
    progress.stepIndex = stepIndex;
    let part = 0;
    let stepRecords = 0;
    for (;;) {
      part++;
      setCurrentDetails(runningDetails({ stepIndex, steps, records: progress.records, stepRecords }));
      const res = await syncStepNamed(stepActivitySummary(step, part, stepRecords))({
        integrationId: input.integrationId,
        runId,
        step,
        ...(cursor !== undefined && { cursor }),
        ...(stepWindow !== undefined && { window: stepWindow }),
        ...(input.maxRecordsPerActivity !== undefined && { maxRecords: input.maxRecordsPerActivity }),
        ...(input.chunkSize !== undefined && { chunkSize: input.chunkSize }),
      });
      activities++;
      progress.records += res.records;
      stepRecords += res.records;
      if (res.next === null) break;
      cursor = res.next;
      stepWindow = res.window;
      if (workflowInfo().continueAsNewSuggested || activities >= ACTIVITIES_PER_EXECUTION) {
        await condition(allHandlersFinished);
        return continueAsNew<typeof syncRunWorkflow>({
          ...input,
          resume: {
            steps,
            stepIndex,
            cursor,
            records: progress.records,
            ...(stepWindow && { window: stepWindow }),
          },
        });
      }
    }
    cursor = undefined;
    stepWindow = undefined;
  }
  progress.phase = 'finishing';
  const done = await finishSyncRun({ runId, status: 'completed' });
  progress.phase = 'finished';
  label({ SyncStatus: [done.status] });
  setCurrentDetails(finishedDetails({ ...done, failures: done.failures ?? [] }));
  return { runId, ...done };
}
