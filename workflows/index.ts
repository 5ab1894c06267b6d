// The worker's only workflowsPath: every workflow type is exported from here.
export { wiringCheckWorkflow } from './wiring-check';
export { syncRunWorkflow } from './sync-run';
export { integrationWorkflow } from './integration';
export { userMigrationWorkflow } from './user-migration';
export { migrationWindowWorkflow } from './user-migration-window';
export { documentSyncWorkflow } from './document-sync';
export { documentPollerWorkflow } from './document-poller';
export { sandboxModulesWorkflow } from './sandbox-modules';
export { subscriptionsSyncWorkflow } from './subscriptions-sync';
export { dealAutomationWorkflow } from './deal-automation';
export { migrationTurnsWorkflow } from './user-migration-turns';
