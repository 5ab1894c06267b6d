import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  InstantSyncResult,
  IntegrationStatusName,
  RequestWindow,
  RunSummary,
  RunTarget,
  TargetedReason,
  TargetedRunResult,
} from '../domain/integration-state';

// The integration's state types live with its state rules; the workflows and the client import them here.
export type {
  InstantSyncResult,
  IntegrationStatusName,
  RequestWindow,
  RunSummary,
  RunTarget,
  TargetedRunResult,
};

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

// ---------------------------------------------------------------------------------------------------------
// The integration entity workflow

/** Who asked for a change; written to the audit log (S9.8). */
export interface Actor {
  id: string;
  name?: string;
}

/** A change of status (pause, resume, disable) or an instant sync: who asked, and when. */
export interface StatusChangeRequest extends RequestWindow {
  actor?: Actor;
}

export interface IntegrationStatus {
  integrationId: string;
  status: IntegrationStatusName;
  direction: 'two_way' | 'one_way' | null;
  configVersion: number;
  periodicSyncMinutes: number;
  /** Runs started so far; the next run is number runsStarted + 1. */
  runsStarted: number;
  /** The run in progress, with its workflow's progress id. */
  running: { runId: string; trigger: string; startedAt: string } | null;
  lastRun: RunSummary | null;
  /** ISO time of the next periodic sync; null before the initial sync and while not active. */
  nextPeriodicSyncAt: string | null;
  pendingInstantSync: boolean;
  pendingTargetedRequests: number;
  /** CRM change notifications received (webhook) and how many of them queued a sync. */
  notifications: { received: number; queuedSync: number };
}

export interface EnableRequest extends RequestWindow {
  crmOrgId: string;
  booksOrgId: string;
  environment: 'production' | 'sandbox';
  /** The configuration as given; validated by the update validator and again by the activity. */
  config: unknown;
  /** S2.8: save and sync now, or save and sync at the next periodic time. */
  syncNow: boolean;
  actor?: Actor;
}

export interface EnableResult {
  status: IntegrationStatusName;
  direction: 'two_way' | 'one_way';
  configVersion: number;
  reEnabled: boolean;
  /** Whether a sync run was queued right away. */
  syncQueued: boolean;
}

export interface ConfigureRequest extends RequestWindow {
  config: unknown;
  syncNow: boolean;
  actor?: Actor;
}

/** A CRM change notification (webhook): which module and records changed. Queues an instant sync when active. */
export interface CrmChange {
  module: string;
  operation: string;
  ids: string[];
}

export const integrationStatusQuery = defineQuery<IntegrationStatus>('integrationStatus');
export const enableUpdate = defineUpdate<EnableResult, [EnableRequest]>('enable');
export const configureUpdate = defineUpdate<
  { configVersion: number; syncQueued: boolean },
  [ConfigureRequest]
>('configure');
export const pauseUpdate = defineUpdate<IntegrationStatus, [StatusChangeRequest]>('pause');
export const resumeUpdate = defineUpdate<IntegrationStatus, [StatusChangeRequest]>('resume');
export const disableUpdate = defineUpdate<IntegrationStatus, [StatusChangeRequest]>('disable');
export const instantSyncUpdate = defineUpdate<InstantSyncResult, [StatusChangeRequest]>('instantSync');
/** Fetch one record now, import a searched record, or reprocess failures: a run over just those records. */
export interface TargetedRunRequest extends RequestWindow {
  targets: RunTarget[];
  /** What the run is for: "fetch", "import" or "reprocess" (a reprocess run is recorded as such). */
  reason: TargetedReason;
  actor?: Actor;
}
export const targetedRunUpdate = defineUpdate<TargetedRunResult, [TargetedRunRequest]>('targetedRun');
export const crmChangedSignal = defineSignal<[CrmChange]>('crmChanged');

/** The user-migration batch's signals and queries (workflows/user-migration*.ts), for the API and the clients. */
export * from './user-migration-messages';
export * from './document-messages';
