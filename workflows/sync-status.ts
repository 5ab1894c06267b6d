import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';

/**
 * Keeps the SyncStatus search attribute current where the starter registered it (not on the time-skipping
 * server, which refuses an attribute it was not told of). The scheduled jobs' one copy of it.
 */
export function labelSyncStatus(status: string): void {
  if (workflowInfo().searchAttributes?.SyncStatus === undefined) return;
  upsertSearchAttributes({ SyncStatus: [status] });
}
