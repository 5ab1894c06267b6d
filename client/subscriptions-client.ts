import type { IntegrationRef, SubscriptionOperations } from '../api/types';
import type { HttpCall } from './users-client';

/*
 * The subscription operations (api/subscriptions.ts) over the HTTP API: the `subscriptions` member of
 * createSyncClient's SyncOperations, sending through its `call` (same errors as every operation).
 */
export function createSubscriptionsClient(
  call: HttpCall,
  base: (ref: IntegrationRef) => string,
): SubscriptionOperations {
  return {
    syncSubscriptions: async (ref) => call('POST', `${base(ref)}/subscriptions/sync`),
    listSubscriptions: async (ref, query) => call('GET', `${base(ref)}/subscriptions`, { query }),
    createSubscription: async (ref, input) => call('POST', `${base(ref)}/subscriptions`, { body: input }),
    overview: async (ref, query) => call('GET', `${base(ref)}/subscriptions/reports/overview`, { query }),
    insights: async (ref, query) => call('GET', `${base(ref)}/subscriptions/reports/insights`, { query }),
  };
}
