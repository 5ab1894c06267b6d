import { continueAsNew, proxyActivities, setCurrentDetails, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { labelSyncStatus } from './sync-status';
import { SMALL_STEP } from './activity-options';

/** How often the CRM follows billing unless the starter says otherwise: the integration's periodic sync's default. */
export const SUBSCRIPTIONS_SYNC_EVERY_MINUTES = 120;

export interface SubscriptionsSyncInput {
  /** The integration whose CRM Subscriptions module follows its Books org's billing. */
  integrationId: string;
  /** Minutes between two syncs (the durable timer); SUBSCRIPTIONS_SYNC_EVERY_MINUTES by default. */
  everyMinutes?: number;
  /** Syncs done by earlier runs of this job (carried over continue-as-new, shown in the details). */
  syncsBefore?: number;
}

export interface SubscriptionsSyncResult {
  syncs: number;
  /** Why the job stopped: the integration was disabled or removed. */
  reason: string;
}

const { syncCrmSubscriptions } = proxyActivities<Activities>({
  // One read of billing and the integration's links, then the CRM writes: a minute covers thousands.
  ...SMALL_STEP,
  startToCloseTimeout: '5 minutes',
  summary: 'sync billing subscriptions into the CRM Subscriptions module',
});

/**
 * The scheduled job of S7.1, id `subscriptions-sync/{crmOrg}/{booksOrg}/{env}`: started by enabling an
 * integration with Billing, it syncs billing's subscriptions into the CRM Subscriptions module, then waits on
 * a durable timer and syncs again, so the module follows billing on its own. A paused integration is
 * skipped; a disabled or removed one ends the job. Deterministic; continues as new when the history grows.
 */
export async function subscriptionsSyncWorkflow(
  input: SubscriptionsSyncInput,
): Promise<SubscriptionsSyncResult> {
  const everyMs = (input.everyMinutes ?? SUBSCRIPTIONS_SYNC_EVERY_MINUTES) * 60_000;
  let syncs = input.syncsBefore ?? 0;
  for (;;) {
    labelSyncStatus('running');
    const done = await syncCrmSubscriptions({ integrationId: input.integrationId });
    if (done.outcome === 'ended') {
      setCurrentDetails(`Stopped after ${syncs} syncs: ${done.reason}.`);
      labelSyncStatus('completed');
      return { syncs, reason: done.reason };
    }
    const at = new Date().toISOString();
    const next = new Date(Date.now() + everyMs).toISOString();
    if (done.outcome === 'synced') syncs++;
    setCurrentDetails(
      (done.outcome === 'synced'
        ? `Sync ${syncs} at ${at}: ${done.inserted} added, ${done.updated} updated, ${done.unchanged} unchanged` +
          (done.withoutAccount ? `, ${done.withoutAccount} without a CRM account yet` : '')
        : `Skipped at ${at}: the integration is paused`) + `. Next at ${next}.`,
    );
    labelSyncStatus('scheduled');
    await sleep(everyMs);
    if (workflowInfo().continueAsNewSuggested)
      await continueAsNew<typeof subscriptionsSyncWorkflow>({ ...input, syncsBefore: syncs });
  }
}
