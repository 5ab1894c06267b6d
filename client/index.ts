/**
 * What a service imports to drive the system, and all that other folders may import from client/ (the lint
 * rules refuse deeper paths): the typed Temporal client — connect, enable an integration, its workflow's
 * handle, the wiring check, history lengths — and the typed HTTP client over the API's operations.
 */
export {
  connectClient,
  historyLengths,
  integrationHandle,
  startEnableIntegration,
  startWiringCheck,
  wiringCheckProgress,
} from './temporal';
export { startSandboxModules, type SandboxModulesStart } from './sandbox-modules';
export { startSubscriptionsSync, type SubscriptionsSyncStart } from './subscriptions-sync';
export { createSyncClient, kindOfStatus } from './sync-client';
