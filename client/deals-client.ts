import type { DealOperations, IntegrationRef } from '../api/types';
import type { HttpCall } from './users-client';

/*
 * The deal operations (api/deals.ts) over the HTTP API: the `deals` member of createSyncClient's
 * SyncOperations, sending through its `call` (same errors as every operation).
 */
export function createDealsClient(call: HttpCall, base: (ref: IntegrationRef) => string): DealOperations {
  const deal = (ref: IntegrationRef, dealId: string) => `${base(ref)}/deals/${encodeURIComponent(dealId)}`;
  return {
    rules: async (ref) => call('GET', `${base(ref)}/deals/rules`),
    setRules: async (ref, input) => call('PUT', `${base(ref)}/deals/rules`, { body: input }),
    writeDeal: async (ref, input) => call('POST', `${base(ref)}/deals`, { body: input }),
    editDeal: async (ref, dealId, input) => call('POST', `${deal(ref, dealId)}/changes`, { body: input }),
    deal: async (ref, dealId) => call('GET', deal(ref, dealId)),
    decisions: async (ref, query) => call('GET', `${base(ref)}/deals/decisions`, { query }),
    associate: async (ref, dealId, input) =>
      call('POST', `${deal(ref, dealId)}/associations`, { body: input }),
    dissociate: async (ref, dealId, kind, booksId) =>
      call(
        'DELETE',
        `${deal(ref, dealId)}/associations/${encodeURIComponent(kind)}/${encodeURIComponent(booksId)}`,
      ),
    associations: async (ref, dealId) => call('GET', `${deal(ref, dealId)}/associations`),
    searchDeals: async (ref, query) => call('GET', `${base(ref)}/deals/search`, { query }),
    customerDeals: async (ref, customerId) =>
      call('GET', `${base(ref)}/deals/by-customer/${encodeURIComponent(customerId)}`),
  };
}
