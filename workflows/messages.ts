import { defineQuery } from '@temporalio/workflow';

/** Shared by workflows and the client: the signal, query and update definitions. */

export interface WiringCheckProgress {
  roundsDone: number;
  roundsTotal: number;
  /** ISO time of the next round, while the workflow waits on its timer. */
  nextRoundAt: string | null;
}

export const wiringCheckProgressQuery = defineQuery<WiringCheckProgress>('wiringCheckProgress');

export interface SyncRunProgress {
  runId: string;
  phase: 'preparing' | 'syncing' | 'finishing' | 'finished';
  step: { kind: string; direction: string } | null;
  stepIndex: number;
  steps: number;
  /** Source records handled so far (all executions of the run). */
  records: number;
}

export const syncRunProgressQuery = defineQuery<SyncRunProgress>('syncRunProgress');
