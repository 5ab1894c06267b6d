import type { BillingStore } from '../stores/billing-store';
import type { CrmStore } from '../stores/crm-store';
import {
  syncEveryBillingSubscription,
  type CrmSubscriptions,
  type SubscriptionSyncResult,
} from '../stores/crm-subscriptions';
import type { SyncDeps } from './sync';

export interface SubscriptionDeps extends Pick<SyncDeps, 'syncState'> {
  billingStore: BillingStore;
  crmStore: CrmStore;
  crmSubscriptions: CrmSubscriptions;
}

export interface SyncCrmSubscriptionsInput {
  integrationId: string;
}

export type SyncCrmSubscriptionsResult =
  | ({ outcome: 'synced' } & SubscriptionSyncResult)
  /** The integration is paused: nothing read or written this time. */
  | { outcome: 'paused' }
  /** The integration is disabled or gone: the job has nothing left to follow. */
  | { outcome: 'ended'; reason: string };

/** The activities of the subscriptions job (workflows/subscriptions-sync.ts). */
export function createSubscriptionActivities(deps: SubscriptionDeps) {
  const syncDeps = {
    billing: deps.billingStore,
    crm: deps.crmStore,
    crmSubscriptions: deps.crmSubscriptions,
    links: deps.syncState,
  };
  return {
    /**
     * Writes every billing subscription of the integration's Books org into its CRM Subscriptions module
     * (S7.1), as the integration stands now: a paused one is skipped, a disabled or unknown one ends the job.
     * Idempotent (an unchanged subscription writes nothing); fails with the stores' errors, retried.
     */
    async syncCrmSubscriptions(input: SyncCrmSubscriptionsInput): Promise<SyncCrmSubscriptionsResult> {
      const integration = await deps.syncState.getIntegration(input.integrationId);
      if (!integration) return { outcome: 'ended', reason: `no integration ${input.integrationId}` };
      if (integration.status === 'disabled')
        return { outcome: 'ended', reason: `integration ${input.integrationId} is disabled` };
      if (integration.status === 'paused') return { outcome: 'paused' };
      return { outcome: 'synced', ...(await syncEveryBillingSubscription(syncDeps, integration)) };
    },
  };
}
