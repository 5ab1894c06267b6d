import type { DiagnosticsStore } from '../stores/diagnostics-store';
import { createDealActivities, type DealDeps } from './deals';
import { createDocumentActivities, type DocumentDeps } from './documents';
import { createIntegrationActivities } from './integration';
import { createSandboxActivities } from './sandbox';
import { createSubscriptionActivities, type SubscriptionDeps } from './subscriptions';
import { createSyncActivities, type SyncDeps } from './sync';
import { createUserActivities, type UserDeps } from './users';
import { createWiringActivities } from './wiring';

/** What the activities need; built by the composition root (workers/deps.ts) or by a test. */
export interface ActivityDeps
  extends SyncDeps, UserDeps, Omit<DocumentDeps, 'crm' | 'syncState'>, DealDeps, SubscriptionDeps {
  diagnostics: DiagnosticsStore;
}

/** Every activity of the worker, closed over its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createWiringActivities(deps),
    ...createSyncActivities(deps),
    ...createIntegrationActivities(deps),
    ...createUserActivities(deps),
    ...createDocumentActivities(deps),
    ...createSandboxActivities(deps),
    ...createSubscriptionActivities(deps),
    ...createDealActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
